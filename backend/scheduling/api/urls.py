from django.urls import include, path

urlpatterns = [
    path("", include("backend.scheduling.api.resource_urls")),
    path("", include("backend.scheduling.api.appointment_urls")),
]

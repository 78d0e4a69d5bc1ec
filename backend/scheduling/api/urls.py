from django.urls import include, path

urlpatterns = [
    path("", include("backend.scheduling.api.resource_urls")),
    path("", include("backend.scheduling.api.appointment_urls")),
    path("", include("backend.scheduling.api.day_urls")),
    path("", include("backend.scheduling.api.feed_urls")),
    path("", include("backend.scheduling.api.report_urls")),
]

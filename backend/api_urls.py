"""The /api/v1/ namespace: each app contributes its routes."""

from django.urls import include, path

urlpatterns = [
    path("", include("backend.scheduling.urls")),
    path("", include("backend.plans.api.urls")),
    path("", include("backend.interop.urls")),
]

"""The interop app's API routes under /api/v1/."""

from django.urls import include, path

urlpatterns = [
    path("", include("backend.interop.webhooks.urls")),
]

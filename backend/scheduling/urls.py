"""The scheduling topics' routes under /api/v1/; each topic owns its urls module."""

from django.urls import include, path

urlpatterns = [
    path("", include("backend.scheduling.resources.urls")),
    path("", include("backend.scheduling.booking.urls")),
    path("", include("backend.scheduling.day.urls")),
    path("", include("backend.scheduling.feeds.urls")),
    path("", include("backend.scheduling.reports.urls")),
    path("", include("backend.scheduling.auth.urls")),
    path("", include("backend.scheduling.accounts.urls")),
    path("", include("backend.scheduling.absences.urls")),
    path("", include("backend.scheduling.authorizations.urls")),
    path("", include("backend.scheduling.groups.urls")),
]

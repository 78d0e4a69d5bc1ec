from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    # The staff console: server-rendered pages for the front desk, clinicians and managers.
    path("", include("backend.console.urls")),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/", include("backend.api_urls")),
    # Public pages: the URL's unguessable token is the credential, no login.
    path("feeds/", include("backend.scheduling.feeds.public_urls")),
    path("ride/", include("backend.scheduling.day.public_urls")),
]

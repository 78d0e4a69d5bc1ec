from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from backend.console.views import auth as login_views
from backend.plans import public as plans_public

# The API docs page (drf-spectacular's Swagger UI) carries a <style> block of its own and
# Swagger UI adds styles as it renders; its script is a separate file (the split view), so
# only inline styles are allowed, and only on this page.
api_docs = csp_update({"style-src": [UNSAFE_INLINE]})(
    SpectacularSwaggerSplitView.as_view(url_name="schema")
)

urlpatterns = [
    # The staff console: server-rendered pages for the front desk, clinicians and managers.
    path("", include("backend.console.urls")),
    # One login for the console and the admin: password, then the one-time code if set up.
    path("admin/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("admin/", admin.site.urls),
    path("accounts/login/", login_views.LoginView.as_view(), name="login"),
    path("accounts/login/verify/", login_views.login_verify, name="login-verify"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", api_docs, name="api-docs"),
    path("api/v1/", include("backend.api_urls")),
    path("fhir/R4/", include("backend.interop.fhir.urls")),
    # Public pages: the URL's unguessable token is the credential, no login.
    path("feeds/", include("backend.scheduling.feeds.public_urls")),
    path("ride/", include("backend.scheduling.day.public_urls")),
    path("visit/<str:token>/", plans_public.patient_link, name="patient-link"),
]

"""The /api/v1/ namespace: each app contributes its routes; the root lists the collections."""

from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.utils import extend_schema
from rest_framework.routers import APIRootView

urlpatterns = [
    path("", include("backend.scheduling.urls")),
    path("", include("backend.plans.api.urls")),
    path("", include("backend.interop.urls")),
]


def _collections(patterns, found=None) -> dict[str, str]:
    """Every list route under /api/v1/ (``<prefix>: <url name>``), from the routes above."""
    found = {} if found is None else found
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            _collections(pattern.url_patterns, found)
        elif isinstance(pattern, URLPattern) and (pattern.name or "").endswith("-list"):
            prefix = str(pattern.pattern).strip("^$").rstrip("/")
            found[prefix] = pattern.name
    return found


@extend_schema(exclude=True)  # a browsing aid: every collection it lists is documented
class ApiRootView(APIRootView):
    """The collections of the API, so the browsable API can be walked from the top."""


urlpatterns.append(
    path("", ApiRootView.as_view(api_root_dict=_collections(urlpatterns)), name="api-root")
)

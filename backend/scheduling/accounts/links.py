"""Where an invitation's link points: the public origin, else the request's own."""

from django.conf import settings


def invitation_base_url(request) -> str:
    """``PUBLIC_BASE_URL`` when set, else the origin the request came to."""
    return settings.PUBLIC_BASE_URL or request.build_absolute_uri("/")

"""View decorators: logged in with a clinic role, and allowed the action (else 403)."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from backend.common.permissions import user_roles
from backend.console.roles import can
from backend.console.site import page

FORBIDDEN_TEMPLATE = "console/forbidden.html"


def forbidden(
    request: HttpRequest,
    reason: str = "Your role does not allow this.",
    *,
    template: str = FORBIDDEN_TEMPLATE,
) -> HttpResponse:
    return page(request, template, {"reason": reason}, status=403)


def forbidden_unless(request: HttpRequest, action: str, clinic_id: int) -> HttpResponse | None:
    """The 403 page if the user's role in ``clinic_id`` does not allow ``action``."""
    return None if can(request.user, action, clinic_id) else forbidden(request)


def staff_required(view: Callable) -> Callable:
    """Logged in, and holding at least one of the three roles."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not user_roles(request.user):
            return forbidden(request, "Your account has no clinic role.")
        return view(request, *args, **kwargs)

    return wrapped


def action_required(
    action: str, *, forbidden_template: str = FORBIDDEN_TEMPLATE
) -> Callable[[Callable], Callable]:
    """Refuses with 403 unless the user's role in some clinic may take ``action``.

    A view that acts on one object then asks again for the object's own clinic
    (``forbidden_unless``).

    ``forbidden_template`` is the page that says so, for pages that explain who may use them.
    """

    def decorator(view: Callable) -> Callable:
        @staff_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not can(request.user, action):
                return forbidden(request, template=forbidden_template)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator

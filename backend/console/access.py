"""View decorators: logged in with a clinic role, and allowed the action (else 403)."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from backend.common.permissions import user_roles
from backend.console.roles import can
from backend.console.site import page


def forbidden(request: HttpRequest, reason: str = "Your role does not allow this.") -> HttpResponse:
    return page(request, "console/forbidden.html", {"reason": reason}, status=403)


def staff_required(view: Callable) -> Callable:
    """Logged in, and holding at least one of the three roles."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not user_roles(request.user):
            return forbidden(request, "Your account has no clinic role.")
        return view(request, *args, **kwargs)

    return wrapped


def action_required(action: str) -> Callable[[Callable], Callable]:
    """Refuses with 403 unless the user's role may take ``action``."""

    def decorator(view: Callable) -> Callable:
        @staff_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not can(request.user, action):
                return forbidden(request)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator

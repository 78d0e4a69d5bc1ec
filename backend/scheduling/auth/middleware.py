"""Middleware of account security: idle sessions end, and sessions that skipped the second
factor are refused. (The Content-Security-Policy header is django-csp's middleware.)
"""

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, resolve_url

from backend.scheduling.auth.policy import (
    VERIFIED_SESSION_KEY,
    has_second_factor,
    second_factor_required,
)

API_PREFIX = "/api/"
# When the session's user last did something (Unix seconds).
ACTIVITY_KEY = "last_activity"
# Activity is written down at most once a minute: a session is not saved on every request.
TOUCH_EVERY_SECONDS = 60
# The session's row and cookie outlive the timeout by a few minutes (more than activity may
# go unwritten), so that this middleware, not the session store, ends the session and says so.
EXPIRY_MARGIN_SECONDS = 5 * 60


def _logged_in_session(request: HttpRequest) -> bool:
    """A user logged in through this session (not an API token, which has none)."""
    session = getattr(request, "session", None)
    return session is not None and SESSION_KEY in session


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def _is_background(request: HttpRequest) -> bool:
    """A request a page makes by itself (the day board's refresh), not a person's click."""
    return "X-Requested-With" in request.headers


class IdleSessionMiddleware:
    """Ends a session after ``SESSION_IDLE_MINUTES`` without activity; activity extends it.

    Each request the user makes extends the session (written down at most once a minute, so
    the timeout is exact to within that minute); requests a page makes by itself, such as
    the day board's refresh, do not, so a screen left open still logs out. The session's
    own expiry (database row and cookie) slides along with it, a few minutes behind.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _logged_in_session(request) and self._idle_too_long(request):
            logout(request)
            if not _is_api(request) and not _is_background(request):
                messages.info(
                    request,
                    f"You were logged out after {settings.SESSION_IDLE_MINUTES} minutes "
                    "without activity.",
                )
        response = self.get_response(request)
        # After the view: a login has just put the user in the session.
        if _logged_in_session(request) and not _is_background(request):
            self._touch(request)
        return response

    @staticmethod
    def _idle_too_long(request: HttpRequest) -> bool:
        last = request.session.get(ACTIVITY_KEY)
        if not isinstance(last, int | float):
            return False
        return time.time() - last > settings.SESSION_IDLE_MINUTES * 60

    @staticmethod
    def _touch(request: HttpRequest) -> None:
        now = time.time()
        last = request.session.get(ACTIVITY_KEY)
        fresh = isinstance(last, int | float) and 0 <= now - last < TOUCH_EVERY_SECONDS
        if not fresh:
            request.session[ACTIVITY_KEY] = int(now)
            request.session.set_expiry(settings.SESSION_IDLE_MINUTES * 60 + EXPIRY_MARGIN_SECONDS)


class SecondFactorMiddleware:
    """No session reaches a page (console, admin or API) without the second factor it needs.

    - A user with an authenticator whose session was opened without its code (a login from
      before they set it up, or any login path that skipped the code) is logged out.
    - A user whose clinic requires a second factor and who has none is sent to set one up
      (``SECOND_FACTOR_SETUP_URL``); the API answers 403 instead.

    Sessions whose login gave a code are not checked again (no query).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self._refusal(request) or self.get_response(request)

    def _refusal(self, request: HttpRequest) -> HttpResponse | None:
        if not _logged_in_session(request) or request.session.get(VERIFIED_SESSION_KEY):
            return None
        path = request.path_info
        if path == resolve_url("logout"):
            return None
        user = request.user
        if has_second_factor(user):
            logout(request)
            if not _is_api(request) and not _is_background(request):
                messages.info(request, "Log in again with a code from your authenticator app.")
            return None
        setup_url = resolve_url(settings.SECOND_FACTOR_SETUP_URL)
        if path == setup_url or not second_factor_required(user):
            return None
        if _is_api(request):
            return JsonResponse(
                {
                    "detail": "Your clinic requires a second login factor: set up an "
                    "authenticator app in the console first.",
                    "errors": {},
                },
                status=403,
            )
        return redirect(f"{setup_url}?{urlencode({'next': request.get_full_path()})}")

"""Login lockout (django-axes): who a client is, and what a locked-out client is told.

Failures count per username *and* client address (``AXES_LOCKOUT_PARAMETERS``): after
``LOGIN_FAILURE_LIMIT`` failures within ``LOGIN_LOCKOUT_MINUTES``, that username is refused
from that address, even with the right password, until that many minutes pass without a
further attempt. Counting per pair means that a clinic's shared address is not locked out
for everyone by one person's typos, and that nobody can lock a colleague out from elsewhere.

A wrong one-time code counts as a failure too (``login_failed``), so the six digits cannot be
guessed either.
"""

import math

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

LOCKED_OUT_STATUS = 429
LOCKED_OUT_TEMPLATE = "registration/locked_out.html"
API_PREFIX = "/api/"


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or the one the nearest trusted proxy saw.

    With ``REVERSE_PROXY_COUNT`` proxies in front of the app, each appends the address it
    received the request from to X-Forwarded-For, so the client is that many entries from
    the right; entries further left come from the client itself and prove nothing.
    """
    hops = settings.REVERSE_PROXY_COUNT
    if hops > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR")


def lockout_minutes(request: HttpRequest | None = None) -> int:
    cool_off = get_cool_off(request)
    return math.ceil(cool_off.total_seconds() / 60) if cool_off else 0


def lockout_message(request: HttpRequest | None = None) -> str:
    return (
        "Too many failed login attempts. Try again in "
        f"{lockout_minutes(request)} minutes; every attempt before then starts the wait again."
    )


def is_locked_out(request: HttpRequest, username: str) -> bool:
    """Whether ``username`` is locked out from this client (checked before a code is tried)."""
    if not settings.AXES_ENABLED:
        return False
    return AxesProxyHandler.is_locked(request, {settings.AXES_USERNAME_FORM_FIELD: username})


def login_failed(request: HttpRequest, username: str) -> bool:
    """Counts a failed login that got past the password (a wrong one-time code).

    Returns whether the client is now locked out; the lockout answer then replaces the
    response (``AxesMiddleware`` and ``lockout_response``).
    """
    user_login_failed.send(
        sender=__name__,
        credentials={settings.AXES_USERNAME_FORM_FIELD: username},
        request=request,
    )
    return bool(getattr(request, "axes_locked_out", False))


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the answer to a request that hit or met the lockout.

    The API answers 429 in its usual error shape (the token endpoint may have built that
    answer itself already); the console answers 429 with a page saying when to try again.
    """
    if original_response is not None and original_response.status_code == LOCKED_OUT_STATUS:
        response = original_response
    elif request.path.startswith(API_PREFIX):
        response = JsonResponse(
            {"detail": lockout_message(request), "errors": {}}, status=LOCKED_OUT_STATUS
        )
    else:
        response = render(
            request,
            LOCKED_OUT_TEMPLATE,
            {"minutes": lockout_minutes(request), "message": lockout_message(request)},
            status=LOCKED_OUT_STATUS,
        )
    minutes = lockout_minutes(request)
    if minutes and not response.has_header("Retry-After"):
        response["Retry-After"] = str(minutes * 60)
    return response

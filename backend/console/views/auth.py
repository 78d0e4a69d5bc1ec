"""Logging in to the console, in two steps when the user has an authenticator app, and
setting one up.

1. ``LoginView``: the password. A user without an authenticator is logged in here. A user
   with one is not: the session only remembers, for a few minutes, who gave the right
   password, and the browser goes on to step 2. Nothing of the console (or of the admin or
   the API) is reachable in between: the session is not logged in.
2. ``login_verify``: the current code from the app; right, and the user is logged in.
   A wrong code counts towards the lockout like a wrong password.

``two_factor_setup`` shows a new secret (QR code and text), and turns it on once the user
types a first code from it. Users whose clinic requires a second factor are sent there
before anything else (``backend.scheduling.auth.middleware.SecondFactorMiddleware``).
"""

import time
from base64 import b32encode

import django_otp
import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from backend.console.site import page
from backend.scheduling.auth.lockout import is_locked_out, lockout_response, login_failed
from backend.scheduling.auth.policy import (
    code_is_valid,
    confirmed_device,
    device_confirm,
    pending_device,
    second_factor_required,
)

# Who gave the right password and is yet to give a code: {"user", "backend", "at", "next"}.
PENDING_LOGIN = "login_pending"
PENDING_SECONDS = 5 * 60
WRONG_CODE = "That code is not right (or was used already). Type the code the app shows now."


class CodeForm(forms.Form):
    otp_token = forms.CharField(
        label="Code from your authenticator app",
        max_length=16,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "spellcheck": "false",
            }
        ),
    )


def _safe_next(request: HttpRequest, url: str | None) -> str:
    allowed = url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if allowed else resolve_url(settings.LOGIN_REDIRECT_URL)


class LoginView(auth_views.LoginView):
    """Step 1, the password (Django's own login, so the lockout counts every failure)."""

    template_name = "registration/login.html"

    def form_valid(self, form):
        user = form.get_user()
        if confirmed_device(user) is None:
            return super().form_valid(form)
        # A new session key, as a login would get: the one before may have been planted.
        self.request.session.cycle_key()
        self.request.session[PENDING_LOGIN] = {
            "user": user.pk,
            "backend": user.backend,
            "at": int(time.time()),
            "next": self.get_success_url(),
        }
        return redirect("login-verify")


def _pending_user(request: HttpRequest):
    pending = request.session.get(PENDING_LOGIN)
    if not isinstance(pending, dict) or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None, None
    user = get_user_model()._default_manager.filter(pk=pending.get("user"), is_active=True)
    return user.first(), pending


@sensitive_post_parameters("otp_token")
@csrf_protect
@never_cache
def login_verify(request: HttpRequest) -> HttpResponse:
    """Step 2, the code."""
    user, pending = _pending_user(request)
    if user is None:
        request.session.pop(PENDING_LOGIN, None)
        messages.info(request, "Log in with your password first.")
        return redirect(settings.LOGIN_URL)
    device = confirmed_device(user)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if device is not None and request.method == "POST" and form.is_valid():
        username = user.get_username()
        if is_locked_out(request, username):
            return lockout_response(request)
        if code_is_valid(device, form.cleaned_data["otp_token"]):
            return _finish_login(request, user, pending, device)
        form.add_error("otp_token", WRONG_CODE)
        login_failed(request, username)  # at the limit, the lockout page replaces this one
    elif device is None:
        # The authenticator was removed (by an admin) after the password step.
        return _finish_login(request, user, pending, None)
    return render(request, "registration/login_verify.html", {"form": form})


def _finish_login(request: HttpRequest, user, pending: dict, device) -> HttpResponse:
    request.session.pop(PENDING_LOGIN, None)
    auth_login(request, user, backend=pending["backend"])
    if device is not None:
        django_otp.login(request, device)
    return redirect(_safe_next(request, pending.get("next")))


def _qr_svg(url: str) -> str:
    return segno.make(url, error="m").svg_inline(
        scale=4, border=3, dark="#1d2433", light="#ffffff", title="QR code for your app"
    )


def _secret_text(device) -> str:
    """The secret as the app asks for it when typed in, in groups of four."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@login_required
@sensitive_post_parameters("otp_token")
@never_cache
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan, type its first code, done."""
    user = request.user
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    context = {
        "next": next_url if url_has_allowed_host_and_scheme(next_url, {request.get_host()}) else "",
        "required": second_factor_required(user),
    }
    device = confirmed_device(user)
    if device is not None:
        return page(request, "console/security/two_factor.html", {**context, "device": device})
    pending = pending_device(user)
    form = CodeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        if code_is_valid(pending, form.cleaned_data["otp_token"]):
            device_confirm(pending)
            # This session's login counts as verified: the user just gave a code.
            django_otp.login(request, pending)
            messages.success(
                request,
                "Two-step login is on. From now on, log in with your password and then a "
                "code from the app.",
            )
            return redirect(_safe_next(request, next_url or reverse("console:board")))
        form.add_error("otp_token", WRONG_CODE)
    context.update(
        {
            "form": form,
            "qr": _qr_svg(pending.config_url),
            "secret": _secret_text(pending),
            "issuer": settings.OTP_TOTP_ISSUER,
        }
    )
    return page(request, "console/security/two_factor.html", context)

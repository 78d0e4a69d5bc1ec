"""The second login factor: a one-time code from an authenticator app (TOTP, django-otp).

- A user with a confirmed authenticator gives its code at every login: on the console after
  the password (``backend.console.views.auth``), on the token endpoint in ``otp``.
- A user who holds a role in a clinic that requires a second factor
  (``Clinic.require_second_factor``) must set one up before using the console or getting
  an API token. A membership without a clinic, and a superuser, reach every clinic: one
  clinic's requirement is enough.

Superusers follow the same rules as everyone else.
"""

import django_otp
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from backend.scheduling.resources.models import Clinic

DEVICE_NAME = "Authenticator app"
# Session key that marks a session whose login gave a one-time code (django-otp's own).
VERIFIED_SESSION_KEY = django_otp.DEVICE_ID_SESSION_KEY


def confirmed_device(user) -> TOTPDevice | None:
    """The user's authenticator, once they have confirmed it with a first code."""
    if user is None or not user.is_authenticated:
        return None
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def has_second_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def second_factor_required(user) -> bool:
    """Whether a clinic where the user holds a role requires a second factor."""
    return Clinic.objects.for_user(user).filter(require_second_factor=True).exists()


def normalized_code(code: str | None) -> str:
    """What the user typed, without the spaces apps show in the middle of a code."""
    return "".join((code or "").split())


def code_is_valid(device: TOTPDevice, code: str | None) -> bool:
    """Whether ``code`` is the device's current code, not used before.

    django-otp refuses a code already used (replay) and slows down repeated failures; the
    row is locked so that two requests cannot both use one code.
    """
    code = normalized_code(code)
    if not code.isdigit():
        return False
    with transaction.atomic():
        locked = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        valid = locked.verify_token(code)
    if valid:
        device.refresh_from_db()
    return valid


def pending_device(user) -> TOTPDevice:
    """The unconfirmed authenticator being set up: the same one (and secret) until confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def device_confirm(device: TOTPDevice) -> None:
    """Makes ``device`` the user's authenticator; any other one of theirs is removed."""
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user_id=device.user_id).exclude(pk=device.pk).delete()

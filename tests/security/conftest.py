"""Account-security fixtures: a clinic member with a password, a browser that has not logged
in, and one-time codes computed the way an authenticator app computes them."""

from datetime import UTC, datetime

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from backend.common.roles import Role
from tests.factories import UserFactory

PASSWORD = "kap-test-password"  # UserFactory's
LOGIN = "/accounts/login/"
VERIFY = "/accounts/login/verify/"
SETUP = "/security/two-factor/"
TOKEN = "/api/v1/auth/token/"
# A fixed start, so that codes and time steps never depend on when the tests run.
START = datetime(2026, 5, 6, 14, 0, 5, tzinfo=UTC)


def code_for(device: TOTPDevice) -> str:
    """The device's code at this moment, as the app shows it (six digits, leading zeros)."""
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{value:0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    return f"{(int(code_for(device)) + 1) % 10**device.digits:0{device.digits}d}"


def add_device(user, *, confirmed: bool = True) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=confirmed)


def log_in(client: Client, username: str, password: str = PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/"}, **extra)


def is_logged_in(client: Client) -> bool:
    """Whether the console opens (its day board) rather than sending the browser to log in."""
    response = client.get("/")
    return response.status_code == 200


@pytest.fixture
def clock(time_machine):
    """The clock stands still at ``START``; tests move it with ``clock.shift(...)``."""
    time_machine.move_to(START, tick=False)
    return time_machine


@pytest.fixture
def member(db, clinic):
    """A front-desk member of ``clinic``, without an authenticator."""
    return UserFactory(username="desk", memberships=[(clinic, Role.FRONT_DESK)])


@pytest.fixture
def browser() -> Client:
    return Client()

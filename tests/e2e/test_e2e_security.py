"""Account security in the browser: a clinic that requires two-step login, and lockout.

A manager of a clinic that requires a second factor is sent to set up an authenticator on
first login, turns it on with a code, and from then on logs in with password and code.
Repeated wrong passwords lock the login, and then even the right password is refused.
"""

from base64 import b32decode
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from backend.scheduling.resources.models import Clinic
from tests.e2e.browser_kit import DESKTOP, SCREENSHOTS, TIMEOUT_MS, Shots, chromium
from tests.e2e.test_e2e_console import DEMO, PASSWORD

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("builtins_restored"),
]


@pytest.fixture
def demo(db):
    call_command("loaddata", str(DEMO), verbosity=0)
    for user in get_user_model().objects.all():
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    return Clinic.objects.get(slug="harbor-light")


@pytest.fixture
def shots() -> Shots:
    # A folder of their own: the console flow's screenshots stay as CI expects them.
    return Shots(SCREENSHOTS.parent / "e2e-security")


def code_for(secret_text: str) -> str:
    """The six digits an authenticator app shows now for the key the page printed."""
    key = b32decode(secret_text.replace(" ", "") + "=" * (-len(secret_text.replace(" ", "")) % 8))
    return f"{totp(key):06d}"


def password_step(page, base: str, username: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Log in").click()


def test_a_clinic_that_requires_it_gets_two_step_login(live_server, demo, shots):
    Clinic.objects.filter(pk=demo.pk).update(require_second_factor=True)
    base = live_server.url

    with chromium() as browser, time_machine.travel(timezone.now()) as clock:
        page = browser.new_page(viewport=DESKTOP)
        page.set_default_timeout(TIMEOUT_MS)

        # First login: the password alone leads to the set-up page, nowhere else.
        password_step(page, base, "manager")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Two-step login")
        expect(page.get_by_role("alert")).to_contain_text("requires two-step login")
        page.goto(f"{base}/patients/")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Two-step login")
        shots.take(page, "two-factor-setup")

        # A wrong code is refused next to the field; the app's code turns it on.
        secret = page.locator("#totp-secret").inner_text()
        page.fill("#id_otp_token", "000000" if code_for(secret) != "000000" else "111111")
        page.get_by_role("button", name="Turn on two-step login").click()
        expect(page.locator(".errorlist")).to_be_visible()
        # django-otp makes the next try wait after a wrong code; the app's code comes later.
        clock.shift(timedelta(seconds=5))
        page.fill("#id_otp_token", code_for(secret))
        page.get_by_role("button", name="Turn on two-step login").click()
        page.goto(f"{base}/")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Day board")
        page.get_by_role("button", name="Log out").click()

        # The next login asks for the code after the password (a fresh one: codes are
        # single-use, so the clock moves to the app's next code).
        clock.shift(timedelta(seconds=31))
        password_step(page, base, "manager")
        expect(page).to_have_url(f"{base}/accounts/login/verify/")
        page.fill("#id_otp_token", code_for(secret))
        page.get_by_role("button", name="Verify").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Day board")
        shots.take(page, "two-factor-login")

    assert TOTPDevice.objects.filter(user__username="manager", confirmed=True).count() == 1


def test_repeated_wrong_passwords_lock_the_login(live_server, demo, shots, settings):
    base = live_server.url
    limit = settings.AXES_FAILURE_LIMIT

    with chromium() as browser:
        page = browser.new_page(viewport=DESKTOP)
        page.set_default_timeout(TIMEOUT_MS)

        for _ in range(limit):
            password_step(page, base, "frontdesk", "not-the-password")
        locked = page.content()
        password_step(page, base, "frontdesk")
        still_locked = page.content()
        shots.take(page, "locked-out")

    assert "locked" in locked.lower()
    assert "locked" in still_locked.lower()
    assert "Day board" not in still_locked

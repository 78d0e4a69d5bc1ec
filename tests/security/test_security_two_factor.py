"""The second login factor on the console: the code after the password, setting up an
authenticator app, and clinics that require one."""

import re
from base64 import b32encode
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from backend.common.roles import Role
from tests.factories import ClinicFactory, UserFactory
from tests.security.conftest import (
    LOGIN,
    PASSWORD,
    SETUP,
    VERIFY,
    add_device,
    code_for,
    is_logged_in,
    log_in,
    wrong_code,
)

LIMIT = 5


def verify(client: Client, code: str):
    return client.post(VERIFY, {"otp_token": code})


# --- logging in with a code ------------------------------------------------------------


def test_the_password_alone_does_not_log_in_a_user_with_an_authenticator(member, browser, clock):
    add_device(member)

    response = log_in(browser, "desk")

    assert response.status_code == 302
    assert response["Location"] == VERIFY
    assert SESSION_KEY not in browser.session
    # No console page, admin page or API call is reachable before the code.
    assert browser.get("/")["Location"] == f"{LOGIN}?next=/"
    assert browser.get("/patients/").status_code == 302
    assert browser.get("/admin/").status_code == 302
    assert browser.get("/api/v1/clinics/").status_code in (401, 403)
    assert "Code from your authenticator app" in browser.get(VERIFY).content.decode()


def test_the_right_code_logs_in_and_goes_where_the_user_was_going(member, browser, clock):
    device = add_device(member)
    browser.post(LOGIN, {"username": "desk", "password": PASSWORD, "next": "/patients/"})

    response = verify(browser, code_for(device))

    assert response.status_code == 302
    assert response["Location"] == "/patients/"
    assert is_logged_in(browser)


def test_a_wrong_code_keeps_the_user_out(member, browser, clock):
    device = add_device(member)
    log_in(browser, "desk")

    response = verify(browser, wrong_code(device))

    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert SESSION_KEY not in browser.session
    assert not is_logged_in(browser)
    # After django-otp's short pause, the right code still works.
    clock.shift(timedelta(seconds=5))
    assert verify(browser, code_for(device))["Location"] == "/"
    assert is_logged_in(browser)


def test_a_code_with_spaces_is_accepted(member, browser, clock):
    device = add_device(member)
    log_in(browser, "desk")
    code = code_for(device)

    assert verify(browser, f"{code[:3]} {code[3:]}").status_code == 302
    assert is_logged_in(browser)


def test_the_code_step_expires_after_five_minutes(member, browser, clock):
    device = add_device(member)
    log_in(browser, "desk")
    clock.shift(timedelta(minutes=6))

    response = verify(browser, code_for(device))

    assert response["Location"] == LOGIN
    assert not is_logged_in(browser)


def test_the_code_step_needs_the_password_step(member, browser, clock):
    device = add_device(member)

    assert verify(browser, code_for(device))["Location"] == LOGIN
    assert not is_logged_in(browser)


def test_wrong_codes_lock_out_and_then_the_right_code_is_refused(member, browser, clock):
    device = add_device(member)
    log_in(browser, "desk")
    statuses = []
    for _ in range(LIMIT):
        clock.shift(timedelta(seconds=20))
        statuses.append(verify(browser, wrong_code(device)).status_code)

    assert statuses == [200, 200, 200, 200, 429]
    clock.shift(timedelta(seconds=40))
    assert verify(browser, code_for(device)).status_code == 429
    assert log_in(browser, "desk").status_code == 429
    assert not is_logged_in(browser)


def test_a_session_that_skipped_the_code_is_logged_out(member, browser, clock):
    """A login that did not ask for the code (here: the test client's) gets nowhere."""
    add_device(member)
    browser.force_login(member)

    assert browser.get("/")["Location"] == f"{LOGIN}?next=/"
    assert SESSION_KEY not in browser.session
    assert browser.get("/api/v1/clinics/").status_code in (401, 403)


def test_superusers_give_the_code_too(browser, db, clock):
    boss = UserFactory(username="boss", is_superuser=True, is_staff=True)
    device = add_device(boss)
    log_in(browser, "boss")
    assert SESSION_KEY not in browser.session
    assert browser.get("/admin/").status_code == 302

    verify(browser, code_for(device))

    assert browser.get("/admin/").status_code == 200


def test_an_unconfirmed_authenticator_asks_for_no_code(member, browser, clock):
    add_device(member, confirmed=False)

    assert log_in(browser, "desk")["Location"] == "/"
    assert is_logged_in(browser)


# --- setting up an authenticator ---------------------------------------------------------


def secret_on(page: str) -> str:
    return re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")


def test_setting_up_shows_a_qr_code_and_the_secret_and_keeps_them_until_confirmed(
    member, browser, clock
):
    browser.force_login(member)

    first = browser.get(SETUP).content.decode()
    again = browser.get(SETUP).content.decode()

    assert "<svg" in first
    assert 'class="segno"' in first
    device = TOTPDevice.objects.get(user=member)
    assert not device.confirmed
    assert secret_on(first) == b32encode(device.bin_key).decode().rstrip("=")
    assert secret_on(again) == secret_on(first)


def test_confirming_with_a_code_turns_two_step_login_on(member, browser, clock):
    browser.force_login(member)
    browser.get(SETUP)
    device = TOTPDevice.objects.get(user=member)

    response = browser.post(SETUP, {"otp_token": code_for(device)})

    assert response.status_code == 302
    assert response["Location"] == "/"
    device.refresh_from_db()
    assert device.confirmed
    # This session gave a code: it stays in.
    assert is_logged_in(browser)
    assert "Two-step login is on" in browser.get(SETUP).content.decode()
    # The next login asks for the code (a new one: each code is good once).
    other = Client()
    assert log_in(other, "desk")["Location"] == VERIFY
    clock.shift(timedelta(seconds=30))
    assert verify(other, code_for(device)).status_code == 302
    assert is_logged_in(other)


def test_a_wrong_code_does_not_turn_it_on(member, browser, clock):
    browser.force_login(member)
    browser.get(SETUP)
    device = TOTPDevice.objects.get(user=member)

    response = browser.post(SETUP, {"otp_token": wrong_code(device)})

    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert log_in(Client(), "desk")["Location"] == "/"


def test_setting_up_needs_a_login(browser, db):
    assert browser.get(SETUP)["Location"] == f"{LOGIN}?next={SETUP}"


# --- clinics that require a second factor ------------------------------------------------


@pytest.fixture
def strict(db):
    return ClinicFactory(name="Strict", require_second_factor=True)


def test_a_member_of_a_requiring_clinic_must_set_up_first(strict, browser, clock):
    user = UserFactory(username="nurse", memberships=[(strict, Role.CLINICIAN)])
    assert log_in(browser, "nurse")["Location"] == "/"

    for page in ("/", "/patients/", "/admin/"):
        response = browser.get(page)
        assert response.status_code == 302, page
        assert response["Location"].startswith(f"{SETUP}?next="), page
    api = browser.get("/api/v1/clinics/")
    assert api.status_code == 403
    assert "second login factor" in api.json()["detail"]
    page = browser.get(SETUP).content.decode()
    assert "Your clinic requires two-step login" in page

    device = TOTPDevice.objects.get(user=user)
    response = browser.post(SETUP, {"otp_token": code_for(device), "next": "/patients/"})

    assert response["Location"] == "/patients/"
    assert browser.get("/patients/").status_code == 200


def test_logging_out_stays_possible_before_setting_up(strict, browser, clock):
    UserFactory(username="nurse", memberships=[(strict, Role.CLINICIAN)])
    log_in(browser, "nurse")

    response = browser.post("/accounts/logout/")

    assert response.status_code in (200, 302)
    assert SESSION_KEY not in browser.session


def test_members_of_other_clinics_are_not_asked(strict, clinic, member, browser, clock):
    log_in(browser, "desk")

    assert is_logged_in(browser)


@pytest.mark.parametrize(
    "make_user",
    [
        pytest.param(lambda: UserFactory(username="u", roles=[Role.MANAGER]), id="every-clinic"),
        pytest.param(lambda: UserFactory(username="u", is_superuser=True), id="superuser"),
    ],
)
def test_users_who_reach_every_clinic_are_asked_when_one_clinic_requires_it(
    strict, browser, clock, make_user
):
    make_user()
    log_in(browser, "u")

    assert browser.get("/")["Location"] == f"{SETUP}?next=%2F"


def test_turning_the_requirement_on_applies_at_the_next_request(clinic, member, browser, clock):
    log_in(browser, "desk")
    assert is_logged_in(browser)

    clinic.require_second_factor = True
    clinic.save()

    assert browser.get("/")["Location"].startswith(SETUP)

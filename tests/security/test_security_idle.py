"""Idle sessions end: 30 minutes without activity log the user out; activity extends it."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import SESSION_KEY

from tests.security.conftest import LOGIN, is_logged_in, log_in

BACKGROUND = {"HTTP_X_REQUESTED_WITH": "fetch"}  # the day board's own refresh


def test_the_default_is_thirty_minutes():
    assert settings.SESSION_IDLE_MINUTES == 30


def test_thirty_one_minutes_idle_log_out(member, browser, clock):
    log_in(browser, "desk")
    clock.shift(timedelta(minutes=31))

    response = browser.get("/patients/")

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/patients/"
    assert SESSION_KEY not in browser.session
    page = browser.get(response["Location"]).content.decode()
    assert "You were logged out after 30 minutes without activity." in page


def test_activity_every_29_minutes_keeps_the_session(member, browser, clock):
    log_in(browser, "desk")
    for _ in range(4):
        clock.shift(timedelta(minutes=29))
        assert is_logged_in(browser)

    clock.shift(timedelta(minutes=31))
    assert not is_logged_in(browser)


def test_29_minutes_idle_keep_the_session(member, browser, clock):
    log_in(browser, "desk")
    clock.shift(timedelta(minutes=29, seconds=59))

    assert is_logged_in(browser)


def test_the_board_refreshing_itself_is_not_activity(member, browser, clock):
    log_in(browser, "desk")
    clock.shift(timedelta(minutes=20))
    assert browser.get("/?partial=1", **BACKGROUND).status_code == 200

    clock.shift(timedelta(minutes=11))
    assert browser.get("/?partial=1", **BACKGROUND).status_code == 302
    assert not is_logged_in(browser)


def test_the_session_cookie_and_row_expire_soon_after_it(member, browser, clock):
    log_in(browser, "desk")
    clock.shift(timedelta(minutes=10))
    response = browser.get("/")

    assert response.cookies["sessionid"]["max-age"] == 35 * 60
    assert browser.session.get_expiry_age() == 35 * 60


def test_the_timeout_is_configurable(member, browser, clock, settings):
    settings.SESSION_IDLE_MINUTES = 60
    log_in(browser, "desk")

    clock.shift(timedelta(minutes=45))
    assert is_logged_in(browser)
    clock.shift(timedelta(minutes=61))
    assert not is_logged_in(browser)


def test_api_token_requests_leave_no_session(api, member):
    """The API's token clients have no session to time out; none is created for them."""
    token = api.post("/api/v1/auth/token/", {"username": "desk", "password": "kap-test-password"})
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")

    response = api.get("/api/v1/clinics/")

    assert response.status_code == 200
    assert "sessionid" not in response.cookies


def test_hours_idle_log_out_too(member, browser, clock):
    """Past the session row's own expiry the store drops it: logged out all the same."""
    log_in(browser, "desk")
    clock.shift(timedelta(hours=3))

    assert not is_logged_in(browser)
    assert SESSION_KEY not in browser.session

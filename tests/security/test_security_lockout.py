"""Lockout after repeated failed logins (django-axes), on the console's login page.

Five failures by one username from one address lock that pair out for 15 minutes after the
last attempt: the right password is refused too, with 429 and a page that says so.
"""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client

from backend.scheduling.auth.lockout import client_ip
from tests.factories import UserFactory
from tests.security.conftest import LOGIN, PASSWORD, is_logged_in, log_in

LIMIT = 5


def fail(client: Client, username: str, times: int, **extra) -> list[int]:
    return [log_in(client, username, "wrong-password", **extra).status_code for _ in range(times)]


def test_the_settings_lock_after_five_failures_for_fifteen_minutes():
    limit, cool_off = settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME

    assert limit == LIMIT
    assert cool_off == timedelta(minutes=15)


def test_the_fifth_failure_locks_out_and_the_right_password_is_refused(member, browser, clock):
    statuses = fail(browser, "desk", LIMIT)

    assert statuses == [200, 200, 200, 200, 429]
    response = log_in(browser, "desk", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed login attempts" in response.content.decode()
    assert response["Retry-After"] == "900"
    assert SESSION_KEY not in browser.session
    assert not is_logged_in(browser)


def test_four_failures_do_not_lock_out(member, browser, clock):
    fail(browser, "desk", LIMIT - 1)

    response = log_in(browser, "desk", PASSWORD)

    assert response.status_code == 302
    assert is_logged_in(browser)


def test_a_success_starts_the_count_again(member, browser, clock):
    fail(browser, "desk", LIMIT - 1)
    log_in(browser, "desk", PASSWORD)
    browser.post("/accounts/logout/")

    statuses = fail(browser, "desk", LIMIT - 1)

    assert statuses == [200] * (LIMIT - 1)
    assert log_in(browser, "desk", PASSWORD).status_code == 302


def test_the_lockout_ends_fifteen_minutes_after_the_last_attempt(member, browser, clock):
    fail(browser, "desk", LIMIT)
    clock.shift(timedelta(minutes=10))
    assert log_in(browser, "desk", PASSWORD).status_code == 429  # restarts the wait

    clock.shift(timedelta(minutes=14))
    assert log_in(browser, "desk", PASSWORD).status_code == 429

    clock.shift(timedelta(minutes=16))
    assert log_in(browser, "desk", PASSWORD).status_code == 302
    assert is_logged_in(browser)


def test_the_lockout_holds_one_username_from_one_address(member, browser, clinic, clock):
    UserFactory(username="colleague")
    fail(browser, "desk", LIMIT)

    colleague = Client()
    assert log_in(colleague, "colleague", PASSWORD).status_code == 302
    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    assert log_in(elsewhere, "desk", PASSWORD).status_code == 302


def test_an_unknown_username_locks_out_like_a_known_one(db, browser, clock):
    assert fail(browser, "nobody", LIMIT)[-1] == 429


def test_the_admin_logs_in_through_the_console_login(member, browser):
    response = browser.get("/admin/login/?next=/admin/")

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/admin/"
    # Reaching the admin without a session ends up there too.
    assert browser.get("/admin/", follow=True).redirect_chain[-1][0] == (
        f"{LOGIN}?next=%2Fadmin%2F"
    )


@pytest.mark.parametrize(
    ("proxies", "forwarded", "remote", "expected"),
    [
        (0, "203.0.113.9", "10.0.0.2", "10.0.0.2"),
        (1, "203.0.113.9", "10.0.0.2", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "10.0.0.2", "203.0.113.9"),
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.5", "10.0.0.2", "203.0.113.9"),
        (1, "", "10.0.0.2", "10.0.0.2"),
    ],
)
def test_the_client_address_trusts_only_the_proxies_in_front(
    rf, settings, proxies, forwarded, remote, expected
):
    """A client cannot pick its own address by sending X-Forwarded-For itself."""
    settings.REVERSE_PROXY_COUNT = proxies
    request = rf.get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR=remote)

    assert client_ip(request) == expected


def test_behind_a_proxy_clients_are_locked_out_one_by_one(member, settings, clock):
    settings.REVERSE_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    attacker = Client(HTTP_X_FORWARDED_FOR="203.0.113.66", **proxy)
    fail(attacker, "desk", LIMIT)

    desk = Client(HTTP_X_FORWARDED_FOR="198.51.100.20", **proxy)

    assert log_in(attacker, "desk", PASSWORD).status_code == 429
    assert log_in(desk, "desk", PASSWORD).status_code == 302

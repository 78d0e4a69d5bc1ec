"""Django's last-resort answers: JSON under /api/, and 503 with Retry-After (never 500)
when an error that reaches Django itself comes from an unavailable database."""

import sqlite3

from django.db import OperationalError
from django.test import RequestFactory

from backend.common.handlers import not_found, server_error


def locked_database_error(tmp_path) -> OperationalError:
    path = tmp_path / "locked.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("create table t (x)")
    holder.execute("begin exclusive")
    waiter = sqlite3.connect(path, timeout=0)
    try:
        waiter.execute("insert into t values (1)")
    except sqlite3.OperationalError as driver_error:
        error = OperationalError(str(driver_error))
        error.__cause__ = driver_error
        return error
    finally:
        waiter.close()
        holder.execute("rollback")
        holder.close()
    raise AssertionError("the write was not refused")


def test_a_database_error_raised_outside_the_api_views_is_503_json_under_the_api(tmp_path):
    request = RequestFactory().get("/api/v1/rooms/")
    try:
        raise locked_database_error(tmp_path)
    except OperationalError:
        response = server_error(request)

    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert response["Content-Type"] == "application/json"


def test_a_database_error_on_a_console_page_is_a_503_page(tmp_path):
    request = RequestFactory().get("/board/")
    try:
        raise locked_database_error(tmp_path)
    except OperationalError:
        response = server_error(request)

    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert b"database" in response.content


def test_any_other_error_stays_a_500_in_json_under_the_api():
    request = RequestFactory().get("/api/v1/rooms/")
    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(request)

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"


def test_an_unmatched_api_path_is_a_json_404():
    response = not_found(RequestFactory().get("/api/v1/nowhere/"), None)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"

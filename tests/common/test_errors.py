"""The one exception handler: nested field errors in the input's shape, 409 for deleting
what is still referenced, 503 with Retry-After when the database cannot serve."""

import sqlite3

import pytest
from django.db import OperationalError
from django.db.models import ProtectedError
from rest_framework import serializers

from backend.common.db import database_unavailable
from backend.common.errors import api_exception_handler, nested_errors
from backend.scheduling.resources.models import Room
from tests.factories import AppointmentFactory


class Item(serializers.Serializer):
    name = serializers.CharField()


class Body(serializers.Serializer):
    items = Item(many=True)
    tags = serializers.ListField(child=serializers.IntegerField())
    box = Item()


def errors_of(data) -> dict:
    form = Body(data=data)
    assert not form.is_valid()
    response = api_exception_handler(serializers.ValidationError(form.errors), {})
    assert response.status_code == 400
    return response.data["errors"]


def test_list_item_errors_come_back_as_lists_aligned_with_the_items():
    errors = errors_of({"items": [{"name": "a"}, {}], "tags": [1, "x", 3], "box": {"name": "ok"}})

    assert errors["items"] == [{}, {"name": ["This field is required."]}]
    assert errors["tags"] == [[], ["A valid integer is required."], []][: len(errors["tags"])]
    assert errors["tags"][1] == ["A valid integer is required."]


def test_nested_object_errors_come_back_as_objects():
    errors = errors_of({"items": [], "tags": [], "box": {}})

    assert errors["box"] == {"name": ["This field is required."]}


def test_nested_errors_leave_string_keys_and_messages_alone():
    assert nested_errors({"a": ["x"], "b": {"c": ["y"]}}) == {"a": ["x"], "b": {"c": ["y"]}}
    assert nested_errors({2: ["late"]}) == [[], [], ["late"]]


@pytest.mark.django_db
def test_deleting_a_referenced_row_is_a_409_naming_the_referrers_from_any_view():
    appointment = AppointmentFactory()
    room = appointment.room
    with pytest.raises(ProtectedError) as raised:
        room.delete()

    response = api_exception_handler(raised.value, {"view": None})

    assert response.status_code == 409
    assert "referenced by" in response.data["detail"]
    assert response.data["conflicts"]
    assert Room.objects.filter(pk=room.pk).exists()


def _sqlite_error(sql: str, *, uri: str) -> sqlite3.Error:
    db = sqlite3.connect(uri, uri=True)
    try:
        db.execute(sql)
    except sqlite3.Error as exc:
        return exc
    finally:
        db.close()
    raise AssertionError("the statement did not fail")


def test_a_read_only_sqlite_database_is_a_503_not_a_500(tmp_path):
    path = tmp_path / "ro.sqlite3"
    db = sqlite3.connect(path)
    db.execute("create table t (x)")
    db.close()
    driver_error = _sqlite_error("insert into t values (1)", uri=f"file:{path}?mode=ro")
    exc = OperationalError(str(driver_error))
    exc.__cause__ = driver_error

    response = api_exception_handler(exc, {})

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response.data["reason"] == "read_only"
    assert "nothing was written" in response.data["detail"]


def test_a_locked_sqlite_database_is_busy(tmp_path):
    path = tmp_path / "locked.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("create table t (x)")
    holder.execute("begin exclusive")
    try:
        waiter = sqlite3.connect(path, timeout=0)
        try:
            waiter.execute("insert into t values (1)")
        except sqlite3.OperationalError as driver_error:
            exc = OperationalError(str(driver_error))
            exc.__cause__ = driver_error
        finally:
            waiter.close()
    finally:
        holder.execute("rollback")
        holder.close()

    unavailable = database_unavailable(exc)

    assert unavailable is not None and unavailable.reason == "busy"


def test_a_bug_in_sql_stays_an_error(tmp_path):
    driver_error = _sqlite_error("select * from no_such_table", uri=f"file:{tmp_path / 'x'}")
    exc = OperationalError(str(driver_error))
    exc.__cause__ = driver_error

    assert database_unavailable(exc) is None
    assert api_exception_handler(exc, {}) is None  # Django's 500: a bug must be seen

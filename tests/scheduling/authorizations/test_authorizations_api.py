"""Authorizations over the API: record, count units, and refuse bookings they do not cover."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from backend.scheduling.authorizations.services import (
    NO_SHOW_STATUS,
    SCHEDULED_STATUSES,
    USED_STATUSES,
)
from backend.scheduling.booking.models import Appointment, AppointmentEvent, AppointmentStatus
from backend.scheduling.day.services import appointment_no_show
from tests.scheduling.authorizations.conftest import authorize

pytestmark = pytest.mark.django_db

AUTHS = "/api/v1/authorizations/"
APPOINTMENTS = "/api/v1/appointments/"


def usage(client, authorization):
    body = client.get(f"{AUTHS}{authorization.id}/").json()
    return body["used"], body["scheduled"], body["remaining"]


def book(client, world, start, **extra):
    body = {"patient": world.patient.id, "session_type": world.spravato.id, "start": start}
    return client.post(APPOINTMENTS, {**body, **extra}, format="json")


def test_status_names_match_booking():
    statuses = set(AppointmentStatus.values)

    assert {*USED_STATUSES, NO_SHOW_STATUS, *SCHEDULED_STATUSES} <= statuses


def test_create_authorization_answers_units(front_desk_api, world):
    body = {
        "patient": world.patient.id,
        "payer": "Acme Health",
        "number": "PA-1",
        "session_types": [world.spravato.id],
        "units": 8,
        "start_date": str(world.day),
        "end_date": str(world.day + timedelta(days=90)),
    }

    response = front_desk_api.post(AUTHS, body, format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["used"], data["scheduled"], data["remaining"]) == (0, 0, 8)
    assert data["session_types"] == [world.spravato.id]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"units": 0}, "units", id="no-units"),
        pytest.param({"end_date": "2020-01-01"}, "end_date", id="ends-before-start"),
        pytest.param({"session_types": []}, "session_types", id="no-types"),
    ],
)
def test_create_authorization_bad_input_is_400_naming_the_field(
    front_desk_api, world, change, field
):
    body = {
        "patient": world.patient.id,
        "payer": "Acme",
        "number": "PA-1",
        "session_types": [world.spravato.id],
        "units": 8,
        "start_date": str(world.day),
        "end_date": str(world.day + timedelta(days=90)),
        **change,
    }

    response = front_desk_api.post(AUTHS, body, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_booking_without_authorization_is_409_of_kind_authorization(
    front_desk_api, authorized_world
):
    world = authorized_world

    response = book(front_desk_api, world, world.at(9).isoformat())

    assert response.status_code == 409, response.json()
    assert [c["kind"] for c in response.json()["conflicts"]] == ["authorization"]
    assert Appointment.objects.count() == 0


def test_booking_a_type_that_needs_none_ignores_authorizations(front_desk_api, world):
    response = book(front_desk_api, world, world.at(9).isoformat())

    assert response.status_code == 201
    assert response.json()["authorization"] is None


def test_booking_uses_a_unit_and_cancelling_returns_it(front_desk_api, authorized_world):
    world = authorized_world
    authorization = authorize(world, units=2)

    response = book(front_desk_api, world, world.at(9).isoformat())

    assert response.status_code == 201, response.json()
    assert response.json()["authorization"] == authorization.id
    assert usage(front_desk_api, authorization) == (0, 1, 1)
    cancel = front_desk_api.post(
        f"{APPOINTMENTS}{response.json()['id']}/cancel/", {"reason": "ill"}, format="json"
    )
    assert cancel.status_code == 200
    assert usage(front_desk_api, authorization) == (0, 0, 2)


def test_booking_outside_the_authorized_dates_is_409(front_desk_api, authorized_world):
    world = authorized_world
    authorize(world, start=world.day + timedelta(days=1))

    response = book(front_desk_api, world, world.at(9).isoformat())

    assert response.status_code == 409
    assert response.json()["conflicts"][0]["kind"] == "authorization"


def test_booking_when_the_units_are_spent_is_409(front_desk_api, authorized_world):
    world = authorized_world
    authorize(world, units=1)
    assert book(front_desk_api, world, world.at(9).isoformat()).status_code == 201

    response = book(front_desk_api, world, world.at(9, day=world.day + timedelta(days=1)))

    assert response.status_code == 409
    assert response.json()["conflicts"][0]["kind"] == "authorization"


def test_override_books_without_authorization_and_is_audited(front_desk_api, authorized_world):
    world = authorized_world

    response = book(
        front_desk_api,
        world,
        world.at(9).isoformat(),
        authorization_override="Payer confirmed by phone, paperwork follows",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["authorization"] is None
    event = AppointmentEvent.objects.get(appointment_id=response.json()["id"], action="booked")
    assert "Payer confirmed by phone" in event.note


@pytest.mark.parametrize(
    ("no_show_uses", "expected"),
    [pytest.param(True, (1, 0, 1), id="consumes"), pytest.param(False, (0, 0, 2), id="returns")],
)
def test_no_show_consumes_the_unit_unless_the_clinic_says_otherwise(
    front_desk_api, authorized_world, time_machine, no_show_uses, expected
):
    world = authorized_world
    world.clinic.no_show_uses_authorization = no_show_uses
    world.clinic.save(update_fields=["no_show_uses_authorization"])
    authorization = authorize(world, units=2)
    booked = book(front_desk_api, world, world.at(9).isoformat()).json()
    time_machine.move_to(world.at(11))

    appointment_no_show(
        actor=None, appointment=Appointment.objects.get(pk=booked["id"]), now=timezone.now()
    )

    assert usage(front_desk_api, authorization) == expected


def test_work_list_filters_expiring_and_low(front_desk_api, authorized_world):
    world = authorized_world
    today = timezone.localdate()
    soon = authorize(world, units=10, start=today, end=today + timedelta(days=10))
    low = authorize(world, units=2, start=today, end=today + timedelta(days=200))
    fine = authorize(world, units=10, start=today, end=today + timedelta(days=200))

    expiring = front_desk_api.get(AUTHS, {"expiring_within_days": 30}).json()
    running_low = front_desk_api.get(AUTHS, {"remaining_lte": 2}).json()
    either = front_desk_api.get(AUTHS, {"expiring_within_days": 30, "remaining_lte": 2}).json()
    mine = front_desk_api.get(AUTHS, {"patient": world.other_patient.id}).json()

    assert [a["id"] for a in expiring["results"]] == [soon.id]
    assert [a["id"] for a in running_low["results"]] == [low.id]
    assert {a["id"] for a in either["results"]} == {soon.id, low.id}
    assert fine.id not in {a["id"] for a in either["results"]}
    assert mine["count"] == 0


def test_work_list_counts_days_on_the_clinics_calendar(front_desk_api, world, time_machine):
    # 21:00 in New York on 30 November is already 1 December on the server (UTC): an
    # authorization whose last day is the clinic's today has not ended yet.
    evening = datetime(2026, 11, 30, 21, 0, tzinfo=world.zone)
    time_machine.move_to(evening)
    today = evening.date()
    last_day = authorize(world, units=10, start=today - timedelta(days=30), end=today)
    tomorrow = authorize(world, units=10, start=today, end=today + timedelta(days=1))
    far = authorize(world, units=10, start=today, end=today + timedelta(days=3))
    assert timezone.localdate() != today  # the server's date is the next day

    listed = front_desk_api.get(AUTHS, {"expiring_within_days": 1}).json()["results"]

    assert [a["id"] for a in listed] == [last_day.id, tomorrow.id]
    assert far.id not in [a["id"] for a in listed]


@pytest.mark.parametrize("rows", [1, 3])
def test_list_queries_do_not_grow_with_rows(
    front_desk_api, authorized_world, django_assert_max_num_queries, rows
):
    for _ in range(rows):
        authorize(authorized_world)

    with django_assert_max_num_queries(6):
        response = front_desk_api.get(AUTHS)

    assert response.json()["count"] == rows


def reschedule(client, appointment_id, start):
    return client.post(
        f"{APPOINTMENTS}{appointment_id}/reschedule/", {"start": start.isoformat()}, format="json"
    )


def test_moving_a_session_out_of_its_authorized_dates_is_409(front_desk_api, authorized_world):
    world = authorized_world
    authorize(world, units=3, start=world.day, end=world.day + timedelta(days=1))
    booked = book(front_desk_api, world, world.at(9).isoformat()).json()

    inside = reschedule(
        front_desk_api, booked["id"], world.at(9, day=world.day + timedelta(days=1))
    )
    outside = reschedule(
        front_desk_api, booked["id"], world.at(9, day=world.day + timedelta(days=7))
    )

    assert inside.status_code == 200, inside.json()
    assert outside.status_code == 409, outside.json()
    assert outside.json()["conflicts"][0]["kind"] == "authorization"
    assert Appointment.objects.get(pk=booked["id"]).start == world.at(
        9, day=world.day + timedelta(days=1)
    )


def test_moving_a_session_takes_a_unit_of_the_authorization_covering_the_new_date(
    front_desk_api, authorized_world
):
    world = authorized_world
    first = authorize(world, units=3, start=world.day, end=world.day + timedelta(days=1))
    later = authorize(
        world, units=1, start=world.day + timedelta(days=5), end=world.day + timedelta(days=9)
    )
    booked = book(front_desk_api, world, world.at(9).isoformat()).json()
    assert booked["authorization"] == first.id

    next_week = world.day + timedelta(days=7)
    moved = reschedule(front_desk_api, booked["id"], world.at(9, day=next_week))

    assert moved.status_code == 200, moved.json()
    assert moved.json()["authorization"] == later.id
    assert usage(front_desk_api, first) == (0, 0, 3)
    assert usage(front_desk_api, later) == (0, 1, 0)

from datetime import datetime, timedelta

import pytest
from django.db import connection

from backend.scheduling.booking.fetch import clinic_config
from backend.scheduling.booking.models import Appointment, AppointmentStatus, Hold
from tests.factories import ClosureFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/appointments/"


def book(client, patient, session_type, start, **extra):
    body = {"patient": patient.id, "session_type": session_type.id, "start": start.isoformat()}
    body.update(extra)
    return client.post(URL, body, format="json")


def test_book_spravato_holds_the_recliner_through_recovery(front_desk_api, world):
    patient = world.patients[0]

    response = book(front_desk_api, patient, world.spravato, world.at(9))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["start"] == world.at(9).isoformat()
    assert body["end"] == world.at(9, 15).isoformat()
    assert body["recovery_end"] == world.at(11, 15).isoformat()
    assert body["status"] == "booked"
    assert body["sequence"] == 0
    assert body["room"] == world.dosing_room.id
    assert body["staff"] == world.nurses[0].id
    assert body["escort"] == {
        "name": "Escort 0",
        "phone": "555-0100",
        "required": True,
        "missing": False,
    }
    assert [(h["kind"], h["seat"], h["start"], h["end"]) for h in body["holds"]] == [
        ("session", world.recliners[0].id, world.at(9).isoformat(), world.at(9, 15).isoformat()),
        (
            "recovery",
            world.recliners[0].id,
            world.at(9, 15).isoformat(),
            world.at(11, 15).isoformat(),
        ),
    ]


def test_book_infusion_recovers_in_the_lounge(front_desk_api, world):
    response = book(front_desk_api, world.patients[0], world.infusion, world.at(10))

    assert response.status_code == 201, response.json()
    holds = response.json()["holds"]
    assert [(h["kind"], h["room"]) for h in holds] == [
        ("session", world.dosing_room.id),
        ("recovery", world.lounge.id),
    ]
    assert holds[1]["start"] == world.at(10, 55).isoformat()
    assert holds[1]["end"] == world.at(11, 55).isoformat()


def test_book_escort_missing_is_flagged(front_desk_api, world):
    patient = world.patients[0]
    patient.escort_name = ""
    patient.save()

    response = book(front_desk_api, patient, world.spravato, world.at(9))

    assert response.status_code == 201
    assert response.json()["escort"]["missing"] is True


def test_book_third_patient_when_two_recliners_are_taken_is_409_with_next_start(
    front_desk_api, world
):
    for patient in world.patients[:2]:
        assert book(front_desk_api, patient, world.spravato, world.at(9)).status_code == 201

    response = book(front_desk_api, world.patients[2], world.spravato, world.at(9, 30))

    assert response.status_code == 409
    body = response.json()
    assert [c["resource"] for c in body["conflicts"]] == ["seat"]
    assert body["next_free_start"] == world.at(11, 15).isoformat()
    assert "11:15" in body["detail"]
    assert Appointment.objects.count() == 2


def test_book_second_dosing_session_on_one_day_is_409(front_desk_api, world):
    patient = world.patients[0]
    assert book(front_desk_api, patient, world.spravato, world.at(9)).status_code == 201

    response = book(front_desk_api, patient, world.infusion, world.at(14))

    assert response.status_code == 409
    assert "dosing_day" in [c["resource"] for c in response.json()["conflicts"]]


def test_book_overlapping_the_patients_own_appointment_is_409(front_desk_api, world):
    patient = world.patients[0]
    assert book(front_desk_api, patient, world.spravato, world.at(9)).status_code == 201

    response = book(front_desk_api, patient, world.therapy, world.at(10))

    assert response.status_code == 409
    assert [c["resource"] for c in response.json()["conflicts"]] == ["patient"]


def test_book_when_every_nurse_is_busy_is_409_naming_staff(front_desk_api, world):
    # Two infusions take both nurses 10:00-10:55 but free their recliners at 10:55.
    for patient in world.patients[:2]:
        assert book(front_desk_api, patient, world.infusion, world.at(10)).status_code == 201

    response = book(front_desk_api, world.patients[2], world.therapy, world.at(10))
    blocked = book(front_desk_api, world.patients[3], world.infusion, world.at(10, 30))

    assert response.status_code == 201
    assert blocked.status_code == 409
    assert "staff" in [c["resource"] for c in blocked.json()["conflicts"]]


@pytest.mark.parametrize(
    ("hour", "minute", "field_message"),
    [
        pytest.param(7, 0, "open", id="before-opening"),
        pytest.param(16, 0, "open", id="recovery-runs-past-closing"),
    ],
)
def test_book_outside_opening_hours_is_400_naming_start(
    front_desk_api, world, hour, minute, field_message
):
    response = book(front_desk_api, world.patients[0], world.spravato, world.at(hour, minute))

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["start"]
    assert Appointment.objects.count() == 0


def test_book_last_start_leaves_room_for_recovery(front_desk_api, world):
    response = book(front_desk_api, world.patients[0], world.spravato, world.at(15, 45))

    assert response.status_code == 201
    assert response.json()["recovery_end"] == world.at(18).isoformat()


def test_book_on_a_closure_is_400_naming_start(front_desk_api, world):
    ClosureFactory(clinic=world.clinic, start_date=world.day, end_date=world.day, reason="Drill")

    response = book(front_desk_api, world.patients[0], world.spravato, world.at(9))

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["start"]


def test_book_in_the_past_is_400_naming_start(front_desk_api, world):
    response = book(
        front_desk_api, world.patients[0], world.spravato, world.at(9) - timedelta(days=60)
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["start"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"start": "2030-01-02T09:00:00"}, "start", id="naive-datetime"),
        pytest.param({"start": "next tuesday"}, "start", id="garbage-datetime"),
        pytest.param({"patient": "abc"}, "patient", id="wrong-type"),
    ],
)
def test_book_bad_input_is_400_naming_the_field(front_desk_api, world, change, field):
    body = {
        "patient": world.patients[0].id,
        "session_type": world.spravato.id,
        "start": world.at(9).isoformat(),
    }
    body.update(change)

    response = front_desk_api.post(URL, body, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert Appointment.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"patient": 999999}, "patient", id="unknown-patient"),
        pytest.param({"session_type": 999999}, "session_type", id="unknown-session-type"),
        pytest.param({"staff": 999999}, "staff", id="unknown-staff"),
    ],
)
def test_book_unknown_reference_is_404_naming_the_field(front_desk_api, world, change, field):
    # An id the caller cannot see answers the same whether it exists in another clinic or
    # not at all, so other clinics' ids do not leak.
    body = {
        "patient": world.patients[0].id,
        "session_type": world.spravato.id,
        "start": world.at(9).isoformat(),
    }
    body.update(change)

    response = front_desk_api.post(URL, body, format="json")

    assert response.status_code == 404
    assert list(response.json()["errors"]) == [field]
    assert Appointment.objects.count() == 0


def test_book_room_of_the_wrong_kind_is_400_naming_room(front_desk_api, world):
    response = book(
        front_desk_api, world.patients[0], world.spravato, world.at(9), room=world.lounge.id
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["room"]


def test_book_staff_of_the_wrong_role_is_400_naming_staff(front_desk_api, world):
    response = book(
        front_desk_api, world.patients[0], world.spravato, world.at(9), staff=world.therapist.id
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["staff"]


def test_book_malformed_json_is_400(front_desk_api, world):
    response = front_desk_api.post(URL, "{not json", content_type="application/json")

    assert response.status_code == 400
    assert "detail" in response.json()


def test_book_dosing_with_screening_pending_is_400_saying_what_is_missing(front_desk_api, world):
    patient = world.patients[0]
    patient.screening_status = "pending"
    patient.rems_enrolled_on = None
    patient.save()

    response = book(front_desk_api, patient, world.spravato, world.at(9))

    assert response.status_code == 400
    message = response.json()["errors"]["patient"][0]
    assert "Screening" in message
    assert "REMS" in message


def test_book_as_clinician_is_403(clinician_api, world):
    response = book(clinician_api, world.patients[0], world.spravato, world.at(9))

    assert response.status_code == 403


def test_book_unauthenticated_is_401(api, world):
    response = book(api, world.patients[0], world.spravato, world.at(9))

    assert response.status_code == 401


def test_reschedule_keeps_the_row_raises_sequence_and_moves_holds(front_desk_api, world):
    created = book(front_desk_api, world.patients[0], world.spravato, world.at(9)).json()

    response = front_desk_api.post(
        f"{URL}{created['id']}/reschedule/", {"start": world.at(13).isoformat()}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["id"] == created["id"]
    assert body["sequence"] == 1
    assert body["start"] == world.at(13).isoformat()
    assert {h["start"] for h in body["holds"]} == {
        world.at(13).isoformat(),
        world.at(13, 15).isoformat(),
    }
    assert Hold.objects.filter(appointment_id=created["id"]).count() == 3  # 2 seat + staff


def test_reschedule_into_a_full_slot_is_409_and_changes_nothing(front_desk_api, world):
    for patient in world.patients[:2]:
        book(front_desk_api, patient, world.spravato, world.at(13))
    created = book(front_desk_api, world.patients[2], world.spravato, world.at(9)).json()

    response = front_desk_api.post(
        f"{URL}{created['id']}/reschedule/", {"start": world.at(13).isoformat()}, format="json"
    )

    assert response.status_code == 409
    again = front_desk_api.get(f"{URL}{created['id']}/").json()
    assert again["start"] == world.at(9).isoformat()
    assert again["sequence"] == 0


def test_cancel_keeps_the_row_and_frees_the_seat(front_desk_api, world, front_desk_user):
    first = book(front_desk_api, world.patients[0], world.spravato, world.at(9)).json()
    book(front_desk_api, world.patients[1], world.spravato, world.at(9))

    response = front_desk_api.post(
        f"{URL}{first['id']}/cancel/", {"reason": "Patient unwell"}, format="json"
    )
    third = book(front_desk_api, world.patients[2], world.spravato, world.at(9))

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "cancelled"
    assert body["cancel_reason"] == "Patient unwell"
    assert body["sequence"] == 1
    assert body["holds"] == []
    cancelled = Appointment.objects.get(pk=first["id"])
    assert cancelled.cancelled_by == front_desk_user
    assert cancelled.cancelled_at is not None
    assert third.status_code == 201


def test_cancel_twice_is_409_naming_the_state(front_desk_api, world):
    created = book(front_desk_api, world.patients[0], world.spravato, world.at(9)).json()
    url = f"{URL}{created['id']}/cancel/"
    front_desk_api.post(url, {"reason": "first"}, format="json")

    response = front_desk_api.post(url, {"reason": "again"}, format="json")

    assert response.status_code == 409
    assert "cancelled" in response.json()["detail"]


def test_cancel_without_reason_is_400_naming_reason(front_desk_api, world):
    created = book(front_desk_api, world.patients[0], world.spravato, world.at(9)).json()

    response = front_desk_api.post(f"{URL}{created['id']}/cancel/", {}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["reason"]
    assert Appointment.objects.get(pk=created["id"]).status == AppointmentStatus.BOOKED


def test_history_lists_every_change_with_who_and_what(front_desk_api, world):
    created = book(front_desk_api, world.patients[0], world.spravato, world.at(9)).json()
    front_desk_api.post(
        f"{URL}{created['id']}/reschedule/", {"start": world.at(10).isoformat()}, format="json"
    )
    front_desk_api.post(f"{URL}{created['id']}/cancel/", {"reason": "moved away"}, format="json")

    response = front_desk_api.get(f"{URL}{created['id']}/history/")

    assert response.status_code == 200
    events = response.json()["events"]
    assert [e["action"] for e in events] == ["booked", "rescheduled", "cancelled"]
    assert {e["actor"] for e in events} == {"frontdesk"}
    old, new = (datetime.fromisoformat(v) for v in events[1]["changes"]["start"])
    assert (old, new) == (world.at(9), world.at(10))
    assert events[2]["note"] == "moved away"


def test_unknown_appointment_is_404(front_desk_api, world):
    response = front_desk_api.get(f"{URL}999999/")

    assert response.status_code == 404


def test_list_filters_by_patient_status_and_local_date(front_desk_api, world):
    book(front_desk_api, world.patients[0], world.spravato, world.at(9))
    book(front_desk_api, world.patients[1], world.spravato, world.at(9))
    next_day = world.day + timedelta(days=1)
    book(front_desk_api, world.patients[0], world.spravato, world.at(9, day=next_day))

    by_patient = front_desk_api.get(URL, {"patient": world.patients[0].id}).json()
    by_day = front_desk_api.get(
        URL,
        {"clinic": world.clinic.id, "start_after": str(world.day), "start_before": str(world.day)},
    ).json()
    by_status = front_desk_api.get(URL, {"status": "cancelled"}).json()

    assert by_patient["count"] == 2
    assert by_day["count"] == 2
    assert by_status["count"] == 0


def test_list_naive_start_after_is_400(front_desk_api, world):
    response = front_desk_api.get(URL, {"start_after": "2030-01-01T09:00:00"})

    assert response.status_code == 400
    assert "start_after" in response.json()["errors"]


@pytest.mark.parametrize("count", [1, 3], ids=["one", "three"])
def test_list_query_count_does_not_grow(front_desk_api, world, django_assert_num_queries, count):
    for i in range(count):
        book(front_desk_api, world.patients[i], world.spravato, world.at(9 + 3 * i))

    # count, rows, holds with their seats and rooms (roles are cached on the user), and the
    # access-log insert (one for the whole page)
    with django_assert_num_queries(4):
        response = front_desk_api.get(URL)

    assert response.json()["count"] == count


def test_book_with_a_named_nurse_who_is_busy_is_409_naming_them(front_desk_api, world):
    nurse = world.nurses[0]
    first = book(front_desk_api, world.patients[0], world.spravato, world.at(9), staff=nurse.id)
    assert first.status_code == 201

    response = book(
        front_desk_api, world.patients[1], world.spravato, world.at(9, 5), staff=nurse.id
    )

    assert response.status_code == 409
    assert "Nurse A is not working or not free 09:05-09:20" in response.json()["detail"]


def test_a_session_type_limited_to_one_room_books_only_there(front_desk_api, world):
    from tests.factories import RoomFactory, SeatFactory

    other = RoomFactory(clinic=world.clinic, name="A Infusion Room", kind="dosing")
    SeatFactory(room=other, name="Chair 1")
    world.spravato.rooms.add(world.dosing_room)

    booked = book(front_desk_api, world.patients[0], world.spravato, world.at(9))
    wrong_room = book(
        front_desk_api, world.patients[1], world.spravato, world.at(13), room=other.id
    )

    assert booked.status_code == 201
    assert booked.json()["room"] == world.dosing_room.id
    assert wrong_room.status_code == 400
    assert list(wrong_room.json()["errors"]) == ["room"]


def test_a_room_list_of_another_clinic_does_not_limit_this_one(front_desk_api, world):
    from tests.factories import ClinicFactory, RoomFactory

    elsewhere = RoomFactory(clinic=ClinicFactory(), name="Elsewhere", kind="dosing")
    world.spravato.rooms.add(elsewhere)

    response = book(front_desk_api, world.patients[0], world.spravato, world.at(9))

    assert response.status_code == 201


def test_book_at_a_time_with_seconds_is_400_naming_start(front_desk_api, world):
    response = book(
        front_desk_api,
        world.patients[0],
        world.spravato,
        world.at(9) + timedelta(seconds=30),
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["start"]


@pytest.mark.parametrize("booked_before", [0, 5], ids=["quiet-day", "busy-day"])
def test_book_query_count_does_not_grow_with_the_calendar(
    front_desk_api, world, django_assert_num_queries, booked_before
):
    for i in range(booked_before):
        day = world.day + timedelta(days=7 * (i + 1))
        assert book(front_desk_api, world.patients[i % 4], world.spravato, world.at(9, day=day))
    front_desk_api.get(URL)  # caches the user's roles, as any earlier request does
    # Any earlier search or booking at this clinic has loaded its setup into this process.
    clinic_config(world.clinic)

    # patient + clinic; savepoint; (PostgreSQL: the row locks, one statement, the clinic's
    # row among them, which serialises the monitoring ratio); one query for the seats' and
    # staff's holds, the patient's day, the clinic's recovering patients and the staff's
    # absences; the appointment insert; its holds, audit entry and outbox event (one
    # statement on PostgreSQL, three elsewhere); release.
    # The clinic's setup (hours, closures, seats, staff, room limits, session types) comes
    # from this process's cache, which the clinic row's stamp says is current. Nothing is
    # read back.
    postgres = connection.vendor == "postgresql"
    locks = 1 if connection.features.has_select_for_update else 0
    with django_assert_num_queries((6 if postgres else 8) + locks):
        response = book(front_desk_api, world.patients[0], world.spravato, world.at(9))

    assert response.status_code == 201


def test_reschedule_a_session_of_a_retired_type_still_works(front_desk_api, world):
    created = book(front_desk_api, world.patients[0], world.spravato, world.at(9)).json()
    world.spravato.active = False
    world.spravato.save()

    moved = front_desk_api.post(
        f"{URL}{created['id']}/reschedule/", {"start": world.at(13).isoformat()}, format="json"
    )
    fresh = book(front_desk_api, world.patients[1], world.spravato, world.at(9))

    assert moved.status_code == 200
    assert fresh.status_code == 400
    assert list(fresh.json()["errors"]) == ["session_type"]


def test_a_409s_next_free_start_on_a_later_day_is_free_there(front_desk_api, world):
    # The patient's dosing day is taken, so the next start is on a later day; there both
    # recliners are taken at the opening. The 409 reads the calendar of the day it
    # searches, not only of the day asked for.
    patient = world.patients[0]
    assert book(front_desk_api, patient, world.spravato, world.at(9)).status_code == 201
    following = world.day + timedelta(days=1)
    while following.weekday() >= 5:
        following += timedelta(days=1)
    for other in world.patients[1:3]:
        taken = book(front_desk_api, other, world.spravato, world.at(9, day=following))
        assert taken.status_code == 201

    response = book(front_desk_api, patient, world.spravato, world.at(14))

    assert response.status_code == 409
    offered = response.json()["next_free_start"]
    assert offered is not None
    retry = book(front_desk_api, patient, world.spravato, datetime.fromisoformat(offered))
    assert retry.status_code == 201, retry.json()

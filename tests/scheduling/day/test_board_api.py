"""The front-desk board and the unconfirmed-rides list, against the real clock."""

from datetime import timedelta

import pytest
from django.utils import timezone

from backend.scheduling.booking.models import AppointmentStatus
from backend.scheduling.day.models import RideConfirmation
from backend.scheduling.day.services import board_monitoring_alerts, day_board_fetch
from tests.factories import ClinicFactory
from tests.worlds import api_time, build_clinic_world

pytestmark = pytest.mark.django_db

BOARD = "/api/v1/board/"
RIDES = "/api/v1/board/rides/"


def ago(minutes: int):
    return timezone.now() - timedelta(minutes=minutes)


def confirm_ride(appointment, *, confirmed=True):
    return RideConfirmation.objects.create(
        appointment=appointment,
        token_hash=f"{appointment.id:064d}",
        created_at=timezone.now(),
        confirmed_at=timezone.now() if confirmed else None,
    )


def by_id(body) -> dict:
    return {entry["id"]: entry for entry in body["appointments"]}


def test_board_lists_the_day_with_places_times_and_escort(front_desk_api, live):
    appointment = live.appointment(start=ago(-60), seat=live.recliners[1])

    response = front_desk_api.get(BOARD, {"clinic": live.clinic.id})

    assert response.status_code == 200
    body = response.json()
    assert (body["clinic"], body["date"], body["timezone"]) == (
        live.clinic.id,
        live.day.isoformat(),
        live.clinic.timezone,
    )
    zone = live.zone
    assert body["appointments"] == [
        {
            "id": appointment.id,
            "patient": live.patients[0].id,
            "patient_name": live.patients[0].full_name,
            "session_type": live.spravato.id,
            "session_type_name": "Spravato",
            "status": "booked",
            "room": live.dosing_room.id,
            "room_name": "Spravato Room",
            "seat": live.recliners[1].id,
            "seat_name": "Recliner 2",
            "recovery_room_name": None,
            "recovery_seat_name": None,
            "staff_name": "Nurse A",
            "start": api_time(appointment.start, zone),
            "end": api_time(appointment.end, zone),
            "recovery_end": api_time(appointment.recovery_end, zone),
            "checked_in_at": None,
            "session_started_at": None,
            "discharged_at": None,
            "earliest_discharge": None,
            "expected_discharge": api_time(appointment.recovery_end, zone),
            "escort": {
                "name": "Sam Escort",
                "phone": "555-0199",
                "required": True,
                "missing": False,
                "ride_confirmed": False,
            },
            "flags": ["ride_unconfirmed"],
        }
    ]


def test_board_shows_the_recovery_room_when_recovery_moves(front_desk_api, live):
    appointment = live.appointment(start=ago(-60), session_type=live.infusion)

    entry = by_id(front_desk_api.get(BOARD, {"clinic": live.clinic.id}).json())[appointment.id]

    assert (entry["recovery_room_name"], entry["recovery_seat_name"]) == (
        "Recovery Lounge",
        "Lounge 1",
    )


def test_board_flags_against_the_real_clock(front_desk_api, live):
    late = live.appointment(start=ago(20), patient=live.patients[0])
    on_time = live.appointment(start=ago(10), patient=live.patients[1])
    overrun = live.appointment(
        start=ago(150),
        status=AppointmentStatus.RECOVERING,
        session_started_at=ago(148),
        patient=live.patients[2],
    )
    due = live.appointment(
        start=ago(122),
        status=AppointmentStatus.RECOVERING,
        session_started_at=ago(121),
        patient=live.patients[3],
    )
    for appointment in (late, on_time, overrun, due):
        confirm_ride(appointment)

    entries = by_id(front_desk_api.get(BOARD, {"clinic": live.clinic.id}).json())

    assert entries[late.id]["flags"] == ["late"]
    assert entries[on_time.id]["flags"] == []
    assert entries[overrun.id]["flags"] == ["recovery_overrun", "discharge_due"]
    assert entries[due.id]["flags"] == ["discharge_due"]
    assert entries[due.id]["escort"]["ride_confirmed"] is True


def test_board_expected_discharge_follows_a_late_first_dose(front_desk_api, live):
    appointment = live.appointment(
        start=ago(40), status=AppointmentStatus.IN_SESSION, session_started_at=ago(20)
    )

    entry = by_id(front_desk_api.get(BOARD, {"clinic": live.clinic.id}).json())[appointment.id]

    started = appointment.session_started_at.astimezone(live.zone)
    assert entry["earliest_discharge"] == api_time(started + timedelta(minutes=120), live.zone)
    assert entry["expected_discharge"] == api_time(started + timedelta(minutes=135), live.zone)
    assert entry["flags"] == ["ride_unconfirmed"]


def test_board_keeps_cancelled_and_no_shows_without_flags(front_desk_api, live):
    cancelled = live.appointment(start=ago(60), status=AppointmentStatus.CANCELLED)
    no_show = live.appointment(start=ago(60), status=AppointmentStatus.NO_SHOW)

    entries = by_id(front_desk_api.get(BOARD, {"clinic": live.clinic.id}).json())

    assert entries[cancelled.id]["flags"] == entries[no_show.id]["flags"] == []
    assert entries[cancelled.id]["expected_discharge"] is None


def test_board_of_another_date_and_other_clinics_are_apart(front_desk_api, live):
    tomorrow = live.day + timedelta(days=1)
    later = live.appointment(start=live.at(10, day=tomorrow))
    live.appointment(start=ago(30))
    other = ClinicFactory()

    body = front_desk_api.get(BOARD, {"clinic": live.clinic.id, "date": tomorrow}).json()
    empty = front_desk_api.get(BOARD, {"clinic": other.id}).json()

    assert [e["id"] for e in body["appointments"]] == [later.id]
    assert empty["appointments"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [({}, "clinic"), ({"clinic": "x"}, "clinic")],
    ids=["missing", "not-a-number"],
)
def test_board_bad_query_is_400_naming_the_field(front_desk_api, live, params, field):
    response = front_desk_api.get(BOARD, params)

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_board_of_an_unknown_clinic_is_404_naming_it(front_desk_api, live):
    response = front_desk_api.get(BOARD, {"clinic": 999999})

    assert response.status_code == 404
    assert list(response.json()["errors"]) == ["clinic"]


def test_board_bad_date_is_400(front_desk_api, live):
    response = front_desk_api.get(BOARD, {"clinic": live.clinic.id, "date": "2026-13-01"})

    assert response.status_code == 400
    assert "date" in response.json()["errors"]


def test_board_needs_a_login(api, live):
    assert api.get(BOARD, {"clinic": live.clinic.id}).status_code == 401


@pytest.mark.parametrize("count", [1, 3])
def test_board_query_count_does_not_grow(front_desk_api, live, count, django_assert_num_queries):
    for i in range(count):
        appointment = live.appointment(
            start=ago(30 * i), session_type=live.infusion, patient=live.patients[i]
        )
        confirm_ride(appointment)

    # A first request loads the clinic's setup cache and caches the user's roles.
    front_desk_api.get(BOARD, {"clinic": live.clinic.id})
    # clinic, appointments (with patient, type, places, ride), recovery holds; for the
    # monitoring alerts (monitors and their hours from the cached setup): absences and the
    # clinic's recoveries
    with django_assert_num_queries(5):
        response = front_desk_api.get(BOARD, {"clinic": live.clinic.id})

    assert len(response.json()["appointments"]) == count


def test_board_service_uses_the_now_it_is_given(day):
    appointment = day.appointment(start=day.at(9))

    before = day_board_fetch(clinic=day.clinic, day=day.day, now=day.at(9, 14))
    after = day_board_fetch(clinic=day.clinic, day=day.day, now=day.at(9, 15))

    assert [e.appointment.id for e in before] == [appointment.id]
    assert before[0].flags == ("ride_unconfirmed",)
    assert after[0].flags == ("late", "ride_unconfirmed")


# --- Unconfirmed rides ------------------------------------------------------------------


def test_rides_default_to_tomorrow_and_list_only_unconfirmed(front_desk_api, live):
    tomorrow = live.day + timedelta(days=1)
    unconfirmed = live.appointment(start=live.at(10, day=tomorrow), patient=live.patients[0])
    pending_link = live.appointment(start=live.at(11, day=tomorrow), patient=live.patients[1])
    confirm_ride(pending_link, confirmed=False)
    confirmed = live.appointment(start=live.at(12, day=tomorrow), patient=live.patients[2])
    confirm_ride(confirmed)
    live.appointment(
        start=live.at(13, day=tomorrow), session_type=live.therapy, patient=live.patients[3]
    )
    live.appointment(
        start=live.at(14, day=tomorrow), status=AppointmentStatus.CANCELLED, escort_name=""
    )
    live.appointment(start=ago(30))  # today

    response = front_desk_api.get(RIDES, {"clinic": live.clinic.id})

    assert response.status_code == 200
    body = response.json()
    assert body["date"] == tomorrow.isoformat()
    assert [r["id"] for r in body["rides"]] == [unconfirmed.id, pending_link.id]
    first = body["rides"][0]
    assert first == {
        "id": unconfirmed.id,
        "patient": live.patients[0].id,
        "patient_name": live.patients[0].full_name,
        "patient_phone": live.patients[0].phone,
        "status": "booked",
        "start": api_time(live.at(10, day=tomorrow), live.zone),
        "expected_pickup": api_time(live.at(12, 15, day=tomorrow), live.zone),
        "escort": {
            "name": "Sam Escort",
            "phone": "555-0199",
            "required": True,
            "missing": False,
            "ride_confirmed": False,
        },
        "reminder_sent_at": None,
    }


def test_rides_of_a_given_date(front_desk_api, live):
    appointment = live.appointment(start=ago(30), escort_name="")

    body = front_desk_api.get(RIDES, {"clinic": live.clinic.id, "date": live.day}).json()

    assert [(r["id"], r["escort"]["missing"]) for r in body["rides"]] == [(appointment.id, True)]


@pytest.mark.parametrize("count", [1, 3])
def test_rides_query_count_does_not_grow(front_desk_api, live, count, django_assert_num_queries):
    tomorrow = live.day + timedelta(days=1)
    for i in range(count):
        live.appointment(start=live.at(9 + i, day=tomorrow), patient=live.patients[i])

    # roles, clinic, appointments, reminders sent
    with django_assert_num_queries(4):
        response = front_desk_api.get(RIDES, {"clinic": live.clinic.id})

    assert len(response.json()["rides"]) == count


def test_board_flags_a_late_discharge_that_pushes_the_ratio_over(day):
    day.clinic.recovering_per_monitor = 1
    day.clinic.save()
    for nurse in day.nurses[1:]:
        nurse.active = False
        nurse.save()
    # Still recovering at 11:20, ten minutes past the planned 11:15 discharge, while the
    # next patient's recovery starts at 11:30.
    late = day.appointment(
        start=day.at(9),
        status=AppointmentStatus.RECOVERING,
        session_started_at=day.at(9),
        patient=day.patients[0],
    )
    day.appointment(start=day.at(11, 15), patient=day.patients[1])
    now = day.at(11, 20)

    entries = day_board_fetch(clinic=day.clinic, day=day.day, now=now)
    alerts = board_monitoring_alerts(clinic=day.clinic, day=day.day, now=now, entries=entries)
    on_time = board_monitoring_alerts(
        clinic=day.clinic, day=day.day, now=day.at(10), entries=entries
    )

    assert [(a.start, a.end, a.recovering, a.monitors) for a in alerts] == [
        (day.at(11, 30), day.at(11, 50), 2, 1)
    ]
    assert late.recovery_end == day.at(11, 15)
    assert on_time == []


def test_board_writes_a_zero_utc_offset_as_z_in_every_time(front_desk_api):
    # In a zone at UTC+0 the hand-built parts of the body (now, alerts) and the serializer
    # fields must agree on one spelling; they once differed (+00:00 against Z).
    clinic = ClinicFactory(name="Greenwich Clinic", timezone="Etc/GMT", with_hours=True)
    world = build_clinic_world(clinic, day=timezone.now().date() + timedelta(days=14))
    appointment = world.appointment(start=world.at(10))

    body = front_desk_api.get(BOARD, {"clinic": clinic.id, "date": world.day.isoformat()}).json()

    assert body["now"].endswith("Z")
    entry = by_id(body)[appointment.id]
    assert (entry["start"], entry["expected_discharge"]) == (
        f"{world.day.isoformat()}T10:00:00Z",
        api_time(appointment.recovery_end, clinic.zone),
    )


def test_every_null_a_board_entry_can_carry_is_nullable_in_the_schema(front_desk_api, live):
    # A booked appointment: not checked in, not started, not discharged, no escort times.
    live.appointment(start=ago(-60), seat=live.recliners[1])
    entry = front_desk_api.get(BOARD, {"clinic": live.clinic.id}).json()["appointments"][0]
    schema = front_desk_api.get("/api/schema/", {"format": "json"}).json()
    properties = schema["components"]["schemas"]["BoardEntry"]["properties"]

    nulls = {name for name, value in entry.items() if value is None}

    assert {"checked_in_at", "session_started_at", "discharged_at"} <= nulls
    assert {name for name in nulls if not properties[name].get("nullable")} == set()

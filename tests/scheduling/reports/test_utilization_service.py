"""The utilization service: what it loads from the database, and in how many queries."""

from datetime import date, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from backend.common.errors import InvalidInput
from backend.scheduling.booking.fetch import clinic_config
from backend.scheduling.booking.models import AppointmentStatus, HoldKind
from backend.scheduling.reports.services import utilization_report
from backend.scheduling.resources.choices import RoomKind
from tests.factories import (
    ClinicFactory,
    ClosureFactory,
    HoldFactory,
    RoomFactory,
    SeatFactory,
    StaffFactory,
    add_opening_hours,
)
from tests.scheduling.reports.world import NEW_YORK_DAY, ReportWorld

pytestmark = pytest.mark.django_db

# Everything the report loads, whatever the number of holds: clinic, seats with their rooms,
# holds (opening hours and closures come from the process's cached clinic setup); for the
# monitor load: the monitors' absences and the clinic's recoveries.
REPORT_QUERIES = 5


def run(world, **kwargs):
    arguments = {"date_from": NEW_YORK_DAY, "date_to": NEW_YORK_DAY, "granularity": "day"}
    return utilization_report(clinic_id=world.clinic.id, **{**arguments, **kwargs}).report


def rooms_by_name(report):
    return {room.room.name: room for room in report.rooms}


def test_utilization_report_counts_active_holds_of_each_room(world):
    recliner_1, recliner_2 = world.recliners
    world.book(recliner_1, world.at(9), world.at(10), world.at(11))
    world.book(recliner_2, world.at(9, 30), world.at(10))

    dosing = rooms_by_name(run(world))["Dosing Room"]

    assert dosing.usage.available_seat_minutes == 2 * 600
    assert dosing.usage.session_seat_minutes == 90
    assert dosing.usage.recovery_seat_minutes == 60
    assert dosing.usage.peak_concurrency == 2


def test_utilization_report_leaves_out_cancelled_appointments(world):
    world.book(world.recliners[0], world.at(9), world.at(10), world.at(11))
    world.book(
        world.recliners[1],
        world.at(9),
        world.at(10),
        world.at(11),
        status=AppointmentStatus.CANCELLED,
    )

    usage = rooms_by_name(run(world))["Dosing Room"].usage

    assert (usage.session_seat_minutes, usage.recovery_seat_minutes) == (60, 60)
    assert usage.no_show_seat_minutes == 0


def test_utilization_report_counts_no_shows_apart_as_lost_capacity(world):
    world.book(
        world.recliners[0],
        world.at(9),
        world.at(10),
        world.at(11),
        status=AppointmentStatus.NO_SHOW,
    )

    usage = rooms_by_name(run(world))["Dosing Room"].usage

    assert usage.used_seat_minutes == 0
    assert usage.no_show_seat_minutes == 120
    assert usage.peak_concurrency == 0


def test_utilization_report_counts_recovery_in_the_lounge_for_the_lounge(world):
    world.book(
        world.recliners[0],
        world.at(9),
        world.at(9, 30),
        world.at(11, 30),
        recovery_seat=world.lounge_chairs[0],
    )

    rooms = rooms_by_name(run(world))

    assert rooms["Dosing Room"].usage.session_seat_minutes == 30
    assert rooms["Dosing Room"].usage.recovery_seat_minutes == 0
    assert rooms["Recovery Lounge"].usage.recovery_seat_minutes == 120
    assert rooms["Recovery Lounge"].usage.recovery_share == 1


def test_utilization_report_covers_active_rooms_with_active_seats_only(world):
    therapy = RoomFactory(clinic=world.clinic, name="Therapy A", kind=RoomKind.THERAPY)
    SeatFactory(room=therapy, name="Chair")
    SeatFactory(room=therapy, name="Old chair", active=False)
    SeatFactory(room=RoomFactory(clinic=world.clinic, name="Closed room", active=False))
    SeatFactory(room=RoomFactory(clinic=world.clinic, name="Empty room"), active=False)
    SeatFactory(room=RoomFactory(name="Another clinic's room"))

    report = run(world)

    assert [(r.room.name, r.room.kind, r.room.capacity) for r in report.rooms] == [
        ("Dosing Room", "dosing", 2),
        ("Recovery Lounge", "recovery", 2),
        ("Therapy A", "therapy", 1),
    ]


def test_utilization_report_ignores_other_clinics_staff_holds_and_inactive_seats(world):
    old_seat = SeatFactory(room=world.dosing_room, name="Retired recliner", active=False)
    world.book(old_seat, world.at(9), world.at(10))
    other = ClinicFactory(with_hours=True)
    other_seat = SeatFactory(room=RoomFactory(clinic=other))
    appointment = world.book(world.recliners[0], world.at(9), world.at(10))
    HoldFactory(
        appointment=appointment,
        kind=HoldKind.STAFF,
        seat=None,
        staff=StaffFactory(clinic=world.clinic),
        start=world.at(9),
        end=world.at(12),
    )
    HoldFactory(appointment__clinic=other, seat=other_seat, start=world.at(9), end=world.at(12))

    report = run(world)

    assert report.total.used_seat_minutes == 60
    assert report.total.available_seat_minutes == 4 * 600


def test_utilization_report_applies_closures(world):
    ClosureFactory(clinic=world.clinic, start_date=NEW_YORK_DAY, end_date=NEW_YORK_DAY)
    world.book(world.recliners[0], world.at(9), world.at(10))

    report = run(world, date_to=NEW_YORK_DAY + timedelta(days=1))

    assert report.periods[0].opening_minutes == 0
    assert report.total.available_seat_minutes == 4 * 600
    assert report.total.used_seat_minutes == 0


def test_utilization_report_clips_holds_running_over_the_range_edges():
    clinic = ClinicFactory()
    add_opening_hours(clinic, weekdays=range(7), opens=time(0), closes=time(23, 59))
    room = RoomFactory(clinic=clinic, name="Night room")
    world = ReportWorld(clinic, room, [SeatFactory(room=room)], None, [])
    sunday, tuesday = NEW_YORK_DAY - timedelta(days=1), NEW_YORK_DAY + timedelta(days=1)
    world.book(world.recliners[0], world.at(23, day=sunday), world.at(1))
    world.book(world.recliners[0], world.at(23, 30), world.at(0, 30, day=tuesday))

    report = run(world)

    # 00:00-01:00 of the first, and 23:30-23:59 of the last open minute of the range.
    assert report.total.session_seat_minutes == 60 + 29


@pytest.mark.parametrize("appointments", [1, 4], ids=["one", "four"])
def test_utilization_report_query_count_does_not_grow(world, appointments):
    for i in range(appointments):
        seat = world.recliners[i % 2]
        start = world.at(9 + i)
        world.book(seat, start, start + timedelta(minutes=30), start + timedelta(minutes=60))
    world.book(world.recliners[0], world.at(15), world.at(16), status=AppointmentStatus.NO_SHOW)

    clinic_config(world.clinic)  # as any earlier request at this clinic has done
    with CaptureQueriesContext(connection) as queries:
        report = run(world, date_to=NEW_YORK_DAY + timedelta(days=30))

    assert len(queries) == REPORT_QUERIES
    assert report.total.session_seat_minutes == 30 * appointments


def test_utilization_report_names_an_unknown_clinic():
    with pytest.raises(InvalidInput) as raised:
        utilization_report(clinic_id=999_999, date_from=date(2026, 5, 4), date_to=date(2026, 5, 4))

    assert list(raised.value.errors) == ["clinic"]


@pytest.mark.parametrize(
    ("date_to", "granularity", "field"),
    [
        (date(2026, 5, 3), "day", "date_to"),
        (date(2027, 5, 5), "day", "date_to"),
        (date(2026, 5, 4), "month", "granularity"),
    ],
    ids=["backwards", "too-long", "granularity"],
)
def test_utilization_report_names_the_bad_field(world, date_to, granularity, field):
    with pytest.raises(InvalidInput) as raised:
        run(world, date_to=date_to, granularity=granularity)

    assert list(raised.value.errors) == [field]

"""Golden files: the exact bytes of each kind of feed for fixed data and a fixed stamp.

A change in the output shows as a diff against tests/scheduling/feeds/golden/. When the
change is intended, regenerate with ``UPDATE_GOLDEN=1 pytest tests/scheduling/feeds`` and
review the diff (and raise FEED_FORMAT in services/feeds.py so subscribers' ETags move).
"""

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from backend.scheduling.feeds.content import (
    AppointmentFacts,
    ClinicInfo,
    SessionInfo,
    patient_calendar,
    patient_event,
    room_calendar,
    room_event,
    staff_calendar,
    staff_event,
)
from backend.scheduling.feeds.ical import FeedCalendar, calendar_bytes
from tests.scheduling.feeds.strict import events_by_uid, parse_strictly

GOLDEN = Path(__file__).parent / "golden"
NEW_YORK = ZoneInfo("America/New_York")
STAMP = datetime(2027, 2, 20, 15, 30, tzinfo=UTC)
DOMAIN = "kap.example.org"
CLINIC = ClinicInfo(
    name="Harbor Wellness",
    tz="America/New_York",
    address="1 Harbor Street\nSuite 200\nBoston, MA 02110",
    phone="+1 555 0100",
)
SPRAVATO = SessionInfo(
    id=1,
    name="Spravato 84 mg",
    arrive_minutes_before=15,
    patient_instructions="No food for 2 hours before; clear fluids are fine until 30 minutes "
    "before. Bring your photo ID.",
    escort_required=True,
)
INFUSION = SessionInfo(
    id=2,
    name="Ketamine infusion",
    arrive_minutes_before=30,
    escort_required=True,
    recovery_in_same_seat=False,
)
THERAPY = SessionInfo(id=3, name="Integration therapy", arrive_minutes_before=10)
SESSIONS = {s.id: s for s in (SPRAVATO, INFUSION, THERAPY)}


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2027, month, day, hour, minute, tzinfo=NEW_YORK)


def appointment(id, start, session, *, status="booked", sequence=0, seat_id=11, **fields):
    durations = {1: (15, 120), 2: (55, 60), 3: (50, 0)}[session.id]
    end = start + timedelta(minutes=durations[0])
    return AppointmentFacts(
        id=id,
        start=start,
        end=end,
        recovery_end=end + timedelta(minutes=durations[1]),
        status=status,
        sequence=sequence,
        updated_at=datetime(2027, 2, 1, 12, tzinfo=UTC) + timedelta(minutes=id),
        session_type_id=session.id,
        room_id=fields.pop("room_id", 10),
        seat_id=seat_id,
        staff_id=5,
        patient_first_name=fields.pop("first", "Jane"),
        patient_last_name=fields.pop("last", "Doe"),
    )


# A Spravato series crossing the 2027-03-14 DST change, one moved (sequence 2), one
# cancelled, and an integration session without escort.
PATIENT_APPOINTMENTS = [
    appointment(101, at(3, 9), SPRAVATO),
    appointment(102, at(10, 9), SPRAVATO, sequence=2),
    appointment(103, at(17, 9), SPRAVATO),
    appointment(104, at(19, 13, 30), THERAPY, room_id=12),
    appointment(105, at(24, 9), SPRAVATO, status="cancelled", sequence=1),
]
ROOM_APPOINTMENTS = [
    appointment(101, at(3, 9), SPRAVATO),
    appointment(201, at(3, 11, 30), INFUSION, seat_id=12, first="Omar", last="Other"),
    appointment(105, at(24, 9), SPRAVATO, status="cancelled", sequence=1),
]


def patient_feed() -> bytes:
    events = [
        patient_event(a, SESSIONS[a.session_type_id], CLINIC, uid_domain=DOMAIN)
        for a in PATIENT_APPOINTMENTS
    ]
    return calendar_bytes(patient_calendar(CLINIC, 60), events, stamp=STAMP)


def room_feed() -> bytes:
    seats = {11: "Recliner 1", 12: "Recliner 2"}
    events = [
        room_event(
            a,
            SESSIONS[a.session_type_id],
            room_id=10,
            seat_name=seats[a.seat_id],
            recovery_part=False,
            uid_domain=DOMAIN,
        )
        for a in ROOM_APPOINTMENTS
    ]
    return calendar_bytes(room_calendar(CLINIC, "Room 1", 60), events, stamp=STAMP)


def recovery_room_feed() -> bytes:
    infusion = ROOM_APPOINTMENTS[1]
    event = room_event(
        infusion,
        INFUSION,
        room_id=20,
        seat_name="Lounge 1",
        recovery_part=True,
        span=(infusion.end, infusion.recovery_end),
        uid_domain=DOMAIN,
    )
    return calendar_bytes(room_calendar(CLINIC, "Recovery Lounge", 60), [event], stamp=STAMP)


def staff_feed() -> bytes:
    events = [
        staff_event(
            a,
            SESSIONS[a.session_type_id],
            staff_id=5,
            room_name="Room 1",
            clinic=CLINIC,
            uid_domain=DOMAIN,
        )
        for a in ROOM_APPOINTMENTS
    ]
    return calendar_bytes(staff_calendar(CLINIC, "Nurse Ada", 60), events, stamp=STAMP)


def single_appointment() -> bytes:
    event = patient_event(PATIENT_APPOINTMENTS[0], SPRAVATO, CLINIC, uid_domain=DOMAIN)
    calendar = FeedCalendar(name=event.title, tz=CLINIC.tz, refresh_minutes=None)
    return calendar_bytes(calendar, [event], stamp=STAMP)


FEEDS = [
    pytest.param(patient_feed, "patient.ics", id="patient"),
    pytest.param(room_feed, "room.ics", id="room"),
    pytest.param(recovery_room_feed, "recovery_room.ics", id="recovery-room"),
    pytest.param(staff_feed, "staff.ics", id="staff"),
    pytest.param(single_appointment, "appointment.ics", id="single-appointment"),
]


@pytest.mark.parametrize(("build", "name"), FEEDS)
def test_feed_matches_golden_file(build, name):
    path = GOLDEN / name

    body = build()

    if os.environ.get("UPDATE_GOLDEN"):
        path.write_bytes(body)
    assert body == path.read_bytes()


@pytest.mark.parametrize(("build", "name"), FEEDS)
def test_golden_file_parses_strictly(build, name):
    parse_strictly((GOLDEN / name).read_bytes())


def test_dst_crossing_series_keeps_its_wall_clock_time():
    calendar = parse_strictly(patient_feed())

    events = events_by_uid(calendar)
    series = [events[f"appointment-{i}@{DOMAIN}"] for i in (101, 102, 103)]
    assert [(e.start.hour, e.start.minute) for e in series] == [(8, 45)] * 3
    assert [e["DTSTART"].to_ical() for e in series] == [
        b"20270303T084500",
        b"20270310T084500",
        b"20270317T084500",
    ]
    assert [e.start.utcoffset() for e in series] == [
        timedelta(hours=-5),
        timedelta(hours=-5),
        timedelta(hours=-4),
    ]

"""What each subscriber sees, decided without a database."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.scheduling.feeds.content import (
    AppointmentFacts,
    ClinicInfo,
    SessionInfo,
    clock_time,
    feed_uid,
    initials,
    patient_event,
    room_event,
    staff_event,
    staff_group_event,
)
from backend.scheduling.feeds.ical import CANCELLED, CONFIRMED
from backend.scheduling.resources.models import Patient

NEW_YORK = ZoneInfo("America/New_York")
CLINIC = ClinicInfo(
    name="Harbor Wellness",
    tz="America/New_York",
    address="1 Harbor Street\nBoston, MA",
    phone="+1 555 0100",
)
SPRAVATO = SessionInfo(
    id=1,
    name="Spravato 84 mg",
    arrive_minutes_before=15,
    patient_instructions="No food for 2 hours before.",
    escort_required=True,
)
THERAPY = SessionInfo(id=2, name="Integration therapy", arrive_minutes_before=10)
INFUSION = SessionInfo(id=3, name="Ketamine infusion", recovery_in_same_seat=False)
DOMAIN = "feeds.test.invalid"
# Words that would disclose treatment or diagnosis if they reached a patient's calendar.
CLINICAL_WORDS = ("spravato", "ketamine", "esketamine", "infusion", "mg", "depression")


def facts(status="booked", sequence=0, **fields) -> AppointmentFacts:
    start = datetime(2026, 5, 6, 9, 0, tzinfo=NEW_YORK)
    defaults = {
        "id": 42,
        "start": start,
        "end": start + timedelta(minutes=15),
        "recovery_end": start + timedelta(minutes=135),
        "status": status,
        "sequence": sequence,
        "updated_at": datetime(2026, 5, 1, 12, 0, tzinfo=UTC),
        "session_type_id": 1,
        "room_id": 7,
        "seat_id": 70,
        "staff_id": 5,
        "patient_first_name": "jane",
        "patient_last_name": "Doe",
    }
    return AppointmentFacts(**{**defaults, **fields})


def test_patient_event_spans_arrival_to_expected_discharge():
    event = patient_event(facts(), SPRAVATO, CLINIC, uid_domain=DOMAIN)

    assert event.start == datetime(2026, 5, 6, 8, 45, tzinfo=NEW_YORK)
    assert event.end == datetime(2026, 5, 6, 11, 15, tzinfo=NEW_YORK)


def test_patient_event_title_is_generic_and_free_of_clinical_words():
    event = patient_event(facts(), SPRAVATO, CLINIC, uid_domain=DOMAIN)

    assert event.title == "Appointment at Harbor Wellness"
    text = " ".join(
        [event.title, event.description, event.location, *(a.description for a in event.alarms)]
    ).lower()
    assert [word for word in CLINICAL_WORDS if word in text] == []


def test_patient_event_title_follows_the_clinic_setting():
    clinic = ClinicInfo(name="Harbor", tz="America/New_York", feed_event_title="Visit: {clinic}")

    event = patient_event(facts(), SPRAVATO, clinic, uid_domain=DOMAIN)

    assert event.title == "Visit: Harbor"


def test_patient_event_description_gives_practical_instructions():
    event = patient_event(facts(), SPRAVATO, CLINIC, uid_domain=DOMAIN)

    assert event.description.splitlines() == [
        "Please arrive at 8:45 AM, 15 minutes before your 9:00 AM start.",
        "No food for 2 hours before.",
        "Do not drive: a ride is required. Pickup at 11:15 AM.",
        "Questions or changes: call +1 555 0100.",
    ]
    assert event.location == "1 Harbor Street, Boston, MA"


def test_patient_event_reminds_the_day_before_to_confirm_the_ride_and_two_hours_before():
    event = patient_event(facts(), SPRAVATO, CLINIC, uid_domain=DOMAIN)

    assert [(a.trigger, a.description) for a in event.alarms] == [
        (timedelta(days=-1), "Tomorrow: confirm your ride home (pickup at 11:15 AM)."),
        (
            timedelta(hours=-2),
            "In 2 hours: Appointment at Harbor Wellness, arrive at 8:45 AM.",
        ),
    ]


def test_patient_event_without_escort_has_plain_reminders_and_no_driving_rule():
    session = facts(recovery_end=datetime(2026, 5, 6, 9, 15, tzinfo=NEW_YORK))

    event = patient_event(session, THERAPY, CLINIC, uid_domain=DOMAIN)

    assert "drive" not in event.description
    assert "Expected to finish by 9:15 AM." in event.description
    assert event.alarms[0].description == (
        "Tomorrow: Appointment at Harbor Wellness, arrive at 8:50 AM."
    )


def test_cancelled_patient_event_keeps_uid_and_sequence_and_drops_reminders():
    event = patient_event(
        facts(status="cancelled", sequence=4), SPRAVATO, CLINIC, uid_domain=DOMAIN
    )

    assert event.uid == "appointment-42@feeds.test.invalid"
    assert event.status == CANCELLED
    assert event.sequence == 4
    assert event.title == "Cancelled: Appointment at Harbor Wellness"
    assert event.alarms == ()


def test_room_event_names_the_patient_by_initials_and_the_session_type():
    event = room_event(
        facts(), SPRAVATO, room_id=7, seat_name="Recliner 1", recovery_part=False, uid_domain=DOMAIN
    )

    assert event.title == "J.D. \u2013 Spravato 84 mg"
    assert event.description == "Seat: Recliner 1"
    assert event.uid == "appointment-42.room-7@feeds.test.invalid"
    assert event.status == CONFIRMED
    assert "Jane" not in event.title + event.description
    assert "Doe" not in event.title + event.description


@pytest.mark.parametrize(
    ("session", "end_minutes"),
    [
        pytest.param(SPRAVATO, 135, id="same-seat-recovery"),
        pytest.param(INFUSION, 15, id="recovery-elsewhere"),
    ],
)
def test_room_event_holds_the_seat_while_it_is_used(session, end_minutes):
    appointment = facts()

    event = room_event(
        appointment, session, room_id=7, seat_name="", recovery_part=False, uid_domain=DOMAIN
    )

    assert event.start == appointment.start
    assert event.end == appointment.start + timedelta(minutes=end_minutes)


def test_staff_event_covers_the_session_in_its_room():
    appointment = facts()

    event = staff_event(
        appointment,
        SPRAVATO,
        staff_id=5,
        room_name="Room 1",
        clinic=CLINIC,
        uid_domain=DOMAIN,
    )

    assert (event.start, event.end) == (appointment.start, appointment.end)
    assert event.location == "Room 1"
    assert event.title == "J.D. \u2013 Spravato 84 mg"
    assert event.description == "Recovery until 11:15 AM."
    assert event.uid == "appointment-42.staff-5@feeds.test.invalid"


def test_staff_group_event_is_the_group_in_its_room_naming_no_patient():
    group = facts()

    event = staff_group_event(
        group, SPRAVATO, staff_id=5, room_name="Room 1", clinic=CLINIC, uid_domain=DOMAIN
    )

    assert (event.start, event.end, event.location) == (group.start, group.end, "Room 1")
    assert event.title == "Group \u2013 Spravato 84 mg"
    assert event.description == "Group session you facilitate. Recovery until 11:15 AM."
    assert event.uid == "group-session-42.staff-5@feeds.test.invalid"
    assert "J.D." not in event.title + event.description


def test_initials_match_the_patient_model():
    patient = Patient(first_name="jane", last_name="doe")

    assert initials("jane", "doe") == patient.initials == "J.D."


def test_uid_is_stable_and_names_the_install():
    assert feed_uid(42, DOMAIN) == feed_uid(42, DOMAIN) == "appointment-42@feeds.test.invalid"


@pytest.mark.parametrize(
    ("hour", "minute", "text"),
    [(0, 5, "12:05 AM"), (9, 0, "9:00 AM"), (12, 30, "12:30 PM"), (23, 59, "11:59 PM")],
)
def test_clock_time(hour, minute, text):
    assert clock_time(datetime(2026, 5, 6, hour, minute, tzinfo=NEW_YORK), NEW_YORK) == text

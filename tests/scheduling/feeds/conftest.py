"""Fixtures for feed tests: a small clinic that can book, and feed tokens.

HTTP tests go through the real clock (the views read it), so their appointments are
placed relative to today; pure tests pass a fixed ``now``.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.utils import timezone

from backend.scheduling.feeds.services import feed_token_issue
from backend.scheduling.resources.choices import RecoveryLocation, RoomKind, StaffRole
from tests.factories import (
    AppointmentFactory,
    HoldFactory,
    PatientFactory,
    RoomFactory,
    SeatFactory,
    SessionTypeFactory,
    StaffFactory,
    WorkingHoursFactory,
)

NEW_YORK = ZoneInfo("America/New_York")


@dataclass
class FeedWorld:
    clinic: object
    dosing_room: object
    recliners: list
    lounge: object
    lounge_chairs: list
    nurse: object
    spravato: object
    infusion: object
    therapy: object
    patient: object
    other_patient: object
    day: date

    def at(self, hour: int, minute: int = 0, day: date | None = None) -> datetime:
        return datetime.combine(day or self.day, time(hour, minute), tzinfo=self.clinic.zone)

    def appointment(self, start: datetime, *, session_type=None, patient=None, **fields):
        """An appointment row with its seat holds (session, then recovery)."""
        session_type = session_type or self.spravato
        end = start + timedelta(minutes=session_type.in_room_minutes)
        recovery_end = end + timedelta(minutes=session_type.recovery_minutes)
        fields.setdefault("room", self.dosing_room)
        fields.setdefault("seat", self.recliners[0])
        appointment = AppointmentFactory(
            clinic=self.clinic,
            patient=patient or self.patient,
            session_type=session_type,
            staff=fields.pop("staff", self.nurse),
            start=start,
            end=end,
            recovery_end=recovery_end,
            **fields,
        )
        HoldFactory(appointment=appointment)
        if recovery_end > end:
            in_lounge = session_type.recovery_location == RecoveryLocation.RECOVERY_ROOM
            HoldFactory(
                appointment=appointment,
                kind="recovery",
                seat=self.lounge_chairs[0] if in_lounge else appointment.seat,
                start=end,
                end=recovery_end,
            )
        return appointment


def weekday_after(today: date, weekday: int, *, at_least_days: int = 14) -> date:
    day = today + timedelta(days=at_least_days)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


@pytest.fixture
def feed_world(clinic) -> FeedWorld:
    clinic.name = "Harbor Wellness"
    clinic.phone = "+1 555 0100"
    clinic.address = "1 Harbor Street\nSuite 200\nBoston, MA 02110"
    clinic.save()
    dosing_room = RoomFactory(clinic=clinic, name="Room 1", kind=RoomKind.DOSING)
    recliners = [SeatFactory(room=dosing_room, name=f"Recliner {i}") for i in (1, 2)]
    lounge = RoomFactory(clinic=clinic, name="Recovery Lounge", kind=RoomKind.RECOVERY)
    lounge_chairs = [SeatFactory(room=lounge, name=f"Lounge {i}") for i in (1, 2)]
    nurse = StaffFactory(clinic=clinic, name="Nurse Ada", role=StaffRole.NURSE)
    for weekday in range(5):
        WorkingHoursFactory(staff=nurse, weekday=weekday, starts=time(8), ends=time(18))
    spravato = SessionTypeFactory(
        clinic=clinic,
        slug="spravato",
        name="Spravato 84 mg",
        requires_rems=True,
        in_room_minutes=15,
        recovery_minutes=120,
        recovery_location=RecoveryLocation.SAME_SEAT,
        escort_required=True,
        arrive_minutes_before=15,
        patient_instructions="No food for 2 hours before. Bring your ID.",
    )
    infusion = SessionTypeFactory(
        clinic=clinic,
        slug="infusion",
        name="Ketamine infusion",
        in_room_minutes=55,
        recovery_minutes=60,
        recovery_location=RecoveryLocation.RECOVERY_ROOM,
        escort_required=True,
        arrive_minutes_before=30,
    )
    therapy = SessionTypeFactory(
        clinic=clinic,
        slug="therapy",
        name="Integration therapy",
        is_dosing=False,
        in_room_minutes=50,
        recovery_minutes=0,
        escort_required=False,
        arrive_minutes_before=10,
        room_kind=RoomKind.THERAPY,
        staff_role=StaffRole.THERAPIST,
    )
    today = timezone.now().astimezone(clinic.zone).date()
    return FeedWorld(
        clinic=clinic,
        dosing_room=dosing_room,
        recliners=recliners,
        lounge=lounge,
        lounge_chairs=lounge_chairs,
        nurse=nurse,
        spravato=spravato,
        infusion=infusion,
        therapy=therapy,
        patient=PatientFactory(
            clinic=clinic, first_name="Jane", last_name="Doe", cleared=True, rems=True
        ),
        other_patient=PatientFactory(
            clinic=clinic, first_name="Omar", last_name="Other", cleared=True, rems=True
        ),
        day=weekday_after(today, 2),
    )


@pytest.fixture
def issue(manager_user):
    """Issues a feed token for an owner and returns the raw token (as the API would)."""

    def _issue(owner) -> str:
        _, raw = feed_token_issue(owner=owner, actor=manager_user, now=timezone.now())
        return raw

    return _issue


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters live in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()

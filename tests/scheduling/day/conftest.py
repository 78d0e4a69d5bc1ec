"""A small clinic for day-of-treatment tests, and a way to place appointments in any state.

Service tests pass exact "now"s on a fixed day (Wednesday 2026-05-06, New York). API tests
read the real clock, so ``live`` puts its clinic in a zone where it is about midday now:
appointments a few hours either side of now then fall on the clinic's today.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from backend.scheduling.booking.models import AppointmentStatus, HoldKind
from backend.scheduling.resources.choices import RecoveryLocation, RoomKind, StaffRole
from tests.factories import (
    AppointmentFactory,
    ClinicFactory,
    HoldFactory,
    PatientFactory,
    RemsFormFactory,
    RoomFactory,
    SeatFactory,
    SessionTypeFactory,
    StaffFactory,
)

DAY = date(2026, 5, 6)  # a Wednesday
NEW_YORK = ZoneInfo("America/New_York")

SPRAVATO_INSTRUCTIONS = (
    "No food for 2 hours and no drinks for 30 minutes before your appointment. "
    "You will stay with us for at least 2 hours afterwards."
)


@pytest.fixture
def rems_form_factory():
    return RemsFormFactory


@dataclass
class DayWorld:
    clinic: object
    dosing_room: object
    recliners: list
    lounge: object
    lounge_chairs: list
    therapy_room: object
    therapy_chair: object
    nurse: object
    spravato: object
    infusion: object
    therapy: object
    patients: list
    day: date = DAY
    _next_seat: dict = field(default_factory=dict)

    @property
    def zone(self) -> ZoneInfo:
        return self.clinic.zone

    def at(self, hour: int, minute: int = 0, day: date | None = None) -> datetime:
        """An aware instant at a wall-clock time on the test day, in the clinic's zone."""
        return datetime.combine(day or self.day, time(hour, minute), tzinfo=self.zone)

    def appointment(
        self,
        *,
        start: datetime,
        session_type=None,
        status: str = AppointmentStatus.BOOKED,
        patient=None,
        seat=None,
        **fields,
    ):
        """An appointment row with the seat holds booking would give it (no rules checked).

        Seats are taken in turn so that a handful of overlapping appointments never share
        one (PostgreSQL's exclusion constraint would refuse it); the nurse is named but
        holds no span, for the same reason.
        """
        session_type = session_type or self.spravato
        if seat is None:
            therapy = session_type.room_kind == RoomKind.THERAPY
            seats = [self.therapy_chair] if therapy else self.recliners
            index = self._next_seat.get(session_type.room_kind, 0)
            self._next_seat[session_type.room_kind] = index + 1
            seat = seats[index % len(seats)]
        end = start + timedelta(minutes=session_type.in_room_minutes)
        recovery_end = end + timedelta(minutes=session_type.recovery_minutes)
        appointment = AppointmentFactory(
            clinic=self.clinic,
            patient=patient or self.patients[0],
            session_type=session_type,
            room=seat.room,
            seat=seat,
            staff=self.nurse if session_type.staff_role == StaffRole.NURSE else None,
            start=start,
            end=end,
            recovery_end=recovery_end,
            status=status,
            escort_name=fields.pop("escort_name", "Sam Escort"),
            escort_phone=fields.pop("escort_phone", "555-0199"),
            **fields,
        )
        HoldFactory(appointment=appointment, kind=HoldKind.SESSION, seat=seat, start=start, end=end)
        if session_type.recovery_minutes:
            recovery_seat = seat if session_type.recovery_in_same_seat else self._lounge_chair()
            HoldFactory(
                appointment=appointment,
                kind=HoldKind.RECOVERY,
                seat=recovery_seat,
                start=end,
                end=recovery_end,
            )
        return appointment

    def _lounge_chair(self):
        index = self._next_seat.get(RoomKind.RECOVERY, 0)
        self._next_seat[RoomKind.RECOVERY] = index + 1
        return self.lounge_chairs[index % len(self.lounge_chairs)]


def build_world(clinic) -> DayWorld:
    dosing_room = RoomFactory(clinic=clinic, name="Spravato Room", kind=RoomKind.DOSING)
    recliners = [SeatFactory(room=dosing_room, name=f"Recliner {i}") for i in range(1, 7)]
    lounge = RoomFactory(clinic=clinic, name="Recovery Lounge", kind=RoomKind.RECOVERY)
    lounge_chairs = [SeatFactory(room=lounge, name=f"Lounge {i}") for i in range(1, 5)]
    therapy_room = RoomFactory(clinic=clinic, name="Therapy A", kind=RoomKind.THERAPY)
    therapy_chair = SeatFactory(room=therapy_room, name="Chair")
    nurse = StaffFactory(clinic=clinic, name="Nurse A", role=StaffRole.NURSE)
    spravato = SessionTypeFactory(
        clinic=clinic,
        slug="spravato",
        name="Spravato",
        requires_rems=True,
        in_room_minutes=15,
        recovery_minutes=120,
        recovery_location=RecoveryLocation.SAME_SEAT,
        min_monitoring_minutes=120,
        escort_required=True,
        arrive_minutes_before=20,
        patient_instructions=SPRAVATO_INSTRUCTIONS,
    )
    infusion = SessionTypeFactory(
        clinic=clinic,
        slug="infusion",
        name="IV infusion",
        in_room_minutes=55,
        recovery_minutes=60,
        recovery_location=RecoveryLocation.RECOVERY_ROOM,
        min_monitoring_minutes=115,
        escort_required=True,
        arrive_minutes_before=15,
        patient_instructions="Eat lightly: no food for 4 hours before your appointment.",
    )
    therapy = SessionTypeFactory(
        clinic=clinic,
        slug="integration",
        name="Integration",
        is_dosing=False,
        in_room_minutes=60,
        recovery_minutes=0,
        min_monitoring_minutes=0,
        escort_required=False,
        room_kind=RoomKind.THERAPY,
        staff_role=StaffRole.THERAPIST,
        arrive_minutes_before=10,
        patient_instructions="",
    )
    patients = [
        PatientFactory(
            clinic=clinic,
            cleared=True,
            rems=True,
            first_name=f"Robin{i}",
            last_name=f"Lee{i}",
            email=f"robin{i}@example.org",
            escort_name="Sam Escort",
            escort_phone="555-0199",
        )
        for i in range(4)
    ]
    return DayWorld(
        clinic=clinic,
        dosing_room=dosing_room,
        recliners=recliners,
        lounge=lounge,
        lounge_chairs=lounge_chairs,
        therapy_room=therapy_room,
        therapy_chair=therapy_chair,
        nurse=nurse,
        spravato=spravato,
        infusion=infusion,
        therapy=therapy,
        patients=patients,
    )


@pytest.fixture
def day(db) -> DayWorld:
    """The clinic in New York on Wednesday 2026-05-06 (service tests pass their own now)."""
    clinic = ClinicFactory(
        name="Harbor Clinic", timezone="America/New_York", phone="+1 555 0100", with_hours=True
    )
    return build_world(clinic)


def midday_zone(now: datetime) -> str:
    """An IANA zone in which ``now`` is within half an hour of noon."""
    offset = round(12 - (now.hour + now.minute / 60)) % 24
    offset = offset - 24 if offset > 12 else offset
    if offset == 0:
        return "Etc/GMT"
    # POSIX-style Etc names have the sign inverted: Etc/GMT-3 is UTC+3.
    return f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


@pytest.fixture
def live(db) -> DayWorld:
    """The same clinic in a zone where it is about midday now; ``live.day`` is its today."""
    now = timezone.now()
    clinic = ClinicFactory(name="Harbor Clinic", timezone=midday_zone(now), with_hours=True)
    world = build_world(clinic)
    world.day = now.astimezone(clinic.zone).date()
    return world

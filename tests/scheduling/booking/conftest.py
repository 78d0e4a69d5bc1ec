"""A small clinic for booking tests: 2 recliners, a 2-chair recovery lounge, 2 nurses.

Dates are computed from today so the API (which reads the real clock) sees them in the
future; service-level tests pass their own "now".
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from backend.scheduling.resources.choices import RecoveryLocation, RoomKind, StaffRole
from tests.factories import (
    PatientFactory,
    RoomFactory,
    SeatFactory,
    SessionTypeFactory,
    StaffFactory,
    WorkingHoursFactory,
)


@dataclass
class BookingWorld:
    clinic: object
    dosing_room: object
    recliners: list
    lounge: object
    lounge_chairs: list
    therapy_room: object
    nurses: list
    therapist: object
    spravato: object
    infusion: object
    therapy: object
    patients: list
    day: date

    def at(self, hour: int, minute: int = 0, day: date | None = None) -> datetime:
        """An aware instant at a wall-clock time on the test day, in the clinic's zone."""
        return datetime.combine(day or self.day, time(hour, minute), tzinfo=self.clinic.zone)


def next_weekday(today: date, weekday: int, *, at_least_days: int = 14) -> date:
    day = today + timedelta(days=at_least_days)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


@pytest.fixture
def world(clinic) -> BookingWorld:
    dosing_room = RoomFactory(clinic=clinic, name="Spravato Room", kind=RoomKind.DOSING)
    recliners = [SeatFactory(room=dosing_room, name=f"Recliner {i}") for i in (1, 2)]
    lounge = RoomFactory(clinic=clinic, name="Recovery Lounge", kind=RoomKind.RECOVERY)
    lounge_chairs = [SeatFactory(room=lounge, name=f"Lounge {i}") for i in (1, 2)]
    therapy_room = RoomFactory(clinic=clinic, name="Therapy A", kind=RoomKind.THERAPY)
    SeatFactory(room=therapy_room, name="Chair")
    nurses = [StaffFactory(clinic=clinic, name=f"Nurse {n}", role=StaffRole.NURSE) for n in "AB"]
    therapist = StaffFactory(clinic=clinic, name="Therapist T", role=StaffRole.THERAPIST)
    for person in [*nurses, therapist]:
        for weekday in range(5):
            WorkingHoursFactory(staff=person, weekday=weekday, starts=time(8), ends=time(18))
    spravato = SessionTypeFactory(
        clinic=clinic,
        slug="spravato",
        name="Spravato",
        is_dosing=True,
        requires_rems=True,
        in_room_minutes=15,
        recovery_minutes=120,
        recovery_location=RecoveryLocation.SAME_SEAT,
        escort_required=True,
        room_kind=RoomKind.DOSING,
        staff_role=StaffRole.NURSE,
    )
    infusion = SessionTypeFactory(
        clinic=clinic,
        slug="infusion",
        name="Infusion",
        is_dosing=True,
        requires_rems=False,
        in_room_minutes=55,
        recovery_minutes=60,
        recovery_location=RecoveryLocation.RECOVERY_ROOM,
        escort_required=True,
        room_kind=RoomKind.DOSING,
        staff_role=StaffRole.NURSE,
    )
    therapy = SessionTypeFactory(
        clinic=clinic,
        slug="therapy",
        name="Integration",
        is_dosing=False,
        requires_rems=False,
        in_room_minutes=60,
        recovery_minutes=0,
        escort_required=False,
        room_kind=RoomKind.THERAPY,
        staff_role=StaffRole.THERAPIST,
    )
    today = timezone.now().astimezone(clinic.zone).date()
    patients = [
        PatientFactory(
            clinic=clinic,
            cleared=True,
            rems_enrolled_on=today - timedelta(days=30),
            escort_name=f"Escort {i}",
            escort_phone="555-0100",
        )
        for i in range(4)
    ]
    return BookingWorld(
        clinic=clinic,
        dosing_room=dosing_room,
        recliners=recliners,
        lounge=lounge,
        lounge_chairs=lounge_chairs,
        therapy_room=therapy_room,
        nurses=nurses,
        therapist=therapist,
        spravato=spravato,
        infusion=infusion,
        therapy=therapy,
        patients=patients,
        day=next_weekday(today, 2),  # a Wednesday two weeks or more ahead
    )

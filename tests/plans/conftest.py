"""A clinic laid out like the demo, using the built-in session types and templates."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from backend.scheduling.resources.choices import RoomKind, SeatKind, StaffRole
from backend.scheduling.resources.models import SessionType
from tests.factories import (
    OpeningHoursFactory,
    PatientFactory,
    RoomFactory,
    SeatFactory,
    StaffFactory,
    WorkingHoursFactory,
)


@dataclass
class PlanWorldFixture:
    clinic: object
    recliners: list
    nurses: list
    therapists: list
    patients: list
    monday: date

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=self.clinic.zone)


@pytest.fixture
def plan_world(clinic) -> PlanWorldFixture:
    OpeningHoursFactory(clinic=clinic, weekday=5, opens=time(9), closes=time(13))
    spravato_room = RoomFactory(clinic=clinic, name="Spravato Room", kind=RoomKind.DOSING)
    recliners = [
        SeatFactory(room=spravato_room, name=f"Recliner {i}", kind=SeatKind.RECLINER)
        for i in (1, 2, 3)
    ]
    lounge = RoomFactory(clinic=clinic, name="Recovery Lounge", kind=RoomKind.RECOVERY)
    for i in range(4):
        SeatFactory(room=lounge, name=f"Lounge {i + 1}")
    for name in ("Therapy A", "Therapy B"):
        SeatFactory(room=RoomFactory(clinic=clinic, name=name, kind=RoomKind.THERAPY), name="Chair")
    nurses = [StaffFactory(clinic=clinic, name=f"Nurse {n}", role=StaffRole.NURSE) for n in "AB"]
    therapists = [
        StaffFactory(clinic=clinic, name=f"Therapist {n}", role=StaffRole.THERAPIST) for n in "XY"
    ]
    for person in [*nurses, *therapists]:
        for weekday in range(5):
            WorkingHoursFactory(staff=person, weekday=weekday, starts=time(8), ends=time(18))
        WorkingHoursFactory(staff=person, weekday=5, starts=time(9), ends=time(13))
    today = timezone.now().astimezone(clinic.zone).date()
    patients = [
        PatientFactory(
            clinic=clinic,
            cleared=True,
            rems_enrolled_on=today - timedelta(days=10),
            escort_name="Sam Escort",
            escort_phone="555-0101",
        )
        for _ in range(3)
    ]
    start = today + timedelta(days=14)
    monday = start + timedelta(days=(7 - start.weekday()) % 7)
    return PlanWorldFixture(clinic, recliners, nurses, therapists, patients, monday)


@pytest.fixture
def builtin_types(db) -> dict[str, SessionType]:
    return {st.slug: st for st in SessionType.objects.filter(clinic=None)}

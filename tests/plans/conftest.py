"""The shared clinic laid out like the demo, for plans of the built-in session types and
templates: 3 recliners, a 4-chair lounge, two therapy rooms, two nurses, two therapists,
three patients, and Saturday mornings open as well."""

from dataclasses import dataclass
from datetime import date, datetime, time

import pytest

from backend.scheduling.resources.models import SessionType
from tests.factories import OpeningHoursFactory, WorkingHoursFactory
from tests.worlds import ClinicWorld, build_clinic_world, weekday_ahead

MONDAY = 0
SATURDAY = 5


@dataclass
class PlanWorld(ClinicWorld):
    """The world's day is a Monday at least two weeks ahead, where courses start."""

    @property
    def monday(self) -> date:
        return self.day

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:  # the day comes first
        return datetime.combine(day, time(hour, minute), tzinfo=self.zone)


@pytest.fixture
def plan_world(clinic) -> PlanWorld:
    world = build_clinic_world(
        clinic,
        world_class=PlanWorld,
        day=weekday_ahead(clinic, MONDAY),
        recliners=3,
        lounge_chairs=4,
        therapy_rooms=2,
        therapists=2,
        prescribers=1,  # the built-in Spravato session needs one on site
        patients=3,
    )
    OpeningHoursFactory(clinic=clinic, weekday=SATURDAY, opens=time(9), closes=time(13))
    for person in [*world.nurses, *world.therapists, *world.prescribers]:
        WorkingHoursFactory(staff=person, weekday=SATURDAY, starts=time(9), ends=time(13))
    return world


@pytest.fixture
def builtin_types(db) -> dict[str, SessionType]:
    return {st.slug: st for st in SessionType.objects.filter(clinic=None)}

"""A small clinic for console tests, a fixed "now", and logged-in browsers per role.

The service clock is moved to Wednesday 2026-05-06 10:00 New York time (``now``), so
"today" on the board and the wizard's start dates never depend on when the tests run.
Appointments are booked and advanced through the real services, holds and all.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from backend.common.roles import Role
from backend.plans.models import PlanTemplate
from backend.scheduling.booking.services import appointment_book
from backend.scheduling.day.rules import DischargeChecks
from backend.scheduling.day.services import (
    appointment_check_in,
    appointment_discharge,
    appointment_start,
)
from backend.scheduling.resources.choices import RoomKind, StaffRole
from backend.scheduling.resources.models import SessionType
from tests.factories import (
    PatientFactory,
    RoomFactory,
    SeatFactory,
    StaffFactory,
    UserFactory,
    WorkingHoursFactory,
)

NEW_YORK = ZoneInfo("America/New_York")
TODAY = date(2026, 5, 6)  # a Wednesday
NOW = datetime.combine(TODAY, time(10, 0), tzinfo=NEW_YORK)


@pytest.fixture
def now(time_machine):
    """The clock stands at Wednesday 2026-05-06 10:00 in New York, for the whole test."""
    time_machine.move_to(NOW, tick=False)
    return NOW


@dataclass
class ConsoleWorld:
    clinic: object
    room: object
    recliners: list
    nurses: list
    spravato: SessionType
    template: PlanTemplate
    patient: object
    other: object
    pending: object

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=NEW_YORK)

    def book(self, start: datetime, *, patient=None, actor=None):
        """A Spravato session booked through the service, as if the day before."""
        return appointment_book(
            actor=actor,
            patient=patient or self.patient,
            session_type=self.spravato,
            start=start,
            now=start - timedelta(days=1),
        )

    def started(self, start: datetime, *, patient=None):
        appointment = self.book(start, patient=patient)
        appointment_check_in(actor=None, appointment=appointment, now=start - timedelta(minutes=5))
        return appointment_start(actor=None, appointment=appointment, now=start)

    def discharged(self, start: datetime, *, patient=None, clinician=None):
        appointment = self.started(start, patient=patient)
        return appointment_discharge(
            actor=clinician,
            appointment=appointment,
            checks=DischargeChecks(vitals_stable=True, alert_and_oriented=True, score=10),
            now=start + timedelta(minutes=125),
        )


@pytest.fixture
def world(clinic) -> ConsoleWorld:
    room = RoomFactory(clinic=clinic, name="Spravato Room", kind=RoomKind.DOSING)
    recliners = [SeatFactory(room=room, name=f"Recliner {i}") for i in (1, 2)]
    nurses = [StaffFactory(clinic=clinic, name=f"Nurse {n}", role=StaffRole.NURSE) for n in "AB"]
    for nurse in nurses:
        for weekday in range(5):
            WorkingHoursFactory(staff=nurse, weekday=weekday, starts=time(8), ends=time(18))
    patient = PatientFactory(
        clinic=clinic,
        cleared=True,
        rems=True,
        first_name="Eleanor",
        last_name="Whitaker",
        escort_name="Harold Whitaker",
        escort_phone="555-0141",
    )
    other = PatientFactory(
        clinic=clinic, cleared=True, rems=True, first_name="Marcus", last_name="Bell"
    )
    pending = PatientFactory(clinic=clinic, first_name="Tyler", last_name="Brooks")
    return ConsoleWorld(
        clinic=clinic,
        room=room,
        recliners=recliners,
        nurses=nurses,
        spravato=SessionType.objects.get(clinic=None, slug="spravato-session"),
        template=PlanTemplate.objects.get(clinic=None, slug="spravato-trd"),
        patient=patient,
        other=other,
        pending=pending,
    )


def _browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def front_desk(front_desk_user) -> Client:
    return _browser(front_desk_user)


@pytest.fixture
def clinician(clinician_user) -> Client:
    return _browser(clinician_user)


@pytest.fixture
def manager(manager_user) -> Client:
    return _browser(manager_user)


@pytest.fixture
def browsers(front_desk, clinician, manager) -> dict[str, Client]:
    return {Role.FRONT_DESK: front_desk, Role.CLINICIAN: clinician, Role.MANAGER: manager}


@pytest.fixture
def no_role(db) -> Client:
    return _browser(UserFactory(username="visitor"))

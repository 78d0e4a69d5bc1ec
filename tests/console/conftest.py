"""The shared clinic for console tests, a fixed "now", and logged-in browsers per role.

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
from backend.scheduling.resources.models import SessionType
from tests.factories import UserFactory
from tests.worlds import ClinicWorld, build_clinic_world

NEW_YORK = ZoneInfo("America/New_York")
TODAY = date(2026, 5, 6)  # a Wednesday
NOW = datetime.combine(TODAY, time(10, 0), tzinfo=NEW_YORK)


@pytest.fixture
def now(time_machine):
    """The clock stands at Wednesday 2026-05-06 10:00 in New York, for the whole test."""
    time_machine.move_to(NOW, tick=False)
    return NOW


@dataclass
class ConsoleWorld(ClinicWorld):
    """Eleanor Whitaker (``patient``) and Marcus Bell (``other``) may book; Tyler Brooks
    (``pending``) is still being screened. Sessions are the built-in Spravato session."""

    template: PlanTemplate | None = None

    @property
    def other(self):
        return self.patients[1]

    @property
    def pending(self):
        return self.patients[2]

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:  # the day comes first
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
    """The shared clinic with the console's three patients; it books the built-in session
    types, so it has none of its own."""
    return build_clinic_world(
        clinic,
        world_class=ConsoleWorld,
        day=TODAY,
        session_types=False,
        patients=[
            {
                "first_name": "Eleanor",
                "last_name": "Whitaker",
                "escort_name": "Harold Whitaker",
                "escort_phone": "555-0141",
            },
            {"first_name": "Marcus", "last_name": "Bell"},
            {"first_name": "Tyler", "last_name": "Brooks", "cleared": False, "rems": False},
        ],
        spravato=SessionType.objects.get(clinic=None, slug="spravato-session"),
        template=PlanTemplate.objects.get(clinic=None, slug="spravato-trd"),
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

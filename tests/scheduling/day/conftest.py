"""The shared clinic for day-of-treatment tests, busier: 6 recliners and a 4-chair lounge.

Service tests pass exact "now"s on a fixed day (Wednesday 2026-05-06, New York). API tests
read the real clock, so ``live`` puts its clinic in a zone where it is about midday now:
appointments a few hours either side of now then fall on the clinic's today.
"""

from datetime import date, datetime

import pytest
from django.utils import timezone

from tests.factories import ClinicFactory, RemsFormFactory
from tests.worlds import ClinicWorld, build_clinic_world

DAY = date(2026, 5, 6)  # a Wednesday
# Enough seats that the handful of appointments a test keeps open at once each find one.
BUSIER = {"recliners": 6, "lounge_chairs": 4}


@pytest.fixture
def rems_form_factory():
    return RemsFormFactory


@pytest.fixture
def day(db) -> ClinicWorld:
    """The clinic in New York on Wednesday 2026-05-06 (service tests pass their own now)."""
    clinic = ClinicFactory(name="Harbor Clinic", phone="+1 555 0100", with_hours=True)
    return build_clinic_world(clinic, day=DAY, **BUSIER)


def midday_zone(now: datetime) -> str:
    """An IANA zone in which ``now`` is within half an hour of noon."""
    offset = round(12 - (now.hour + now.minute / 60)) % 24
    offset = offset - 24 if offset > 12 else offset
    if offset == 0:
        return "Etc/GMT"
    # POSIX-style Etc names have the sign inverted: Etc/GMT-3 is UTC+3.
    return f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


@pytest.fixture
def live(db) -> ClinicWorld:
    """The same clinic in a zone where it is about midday now; ``live.day`` is its today."""
    now = timezone.now()
    clinic = ClinicFactory(name="Harbor Clinic", timezone=midday_zone(now), with_hours=True)
    return build_clinic_world(clinic, day=now.astimezone(clinic.zone).date(), **BUSIER)

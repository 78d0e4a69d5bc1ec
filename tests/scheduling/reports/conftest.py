"""The shared clinic as report tests see it: a 2-recliner "Dosing Room" and a recovery
lounge of 2 chairs ("Chair 1", "Chair 2"), no therapy room, on Monday 2026-05-04.

The clinic is in America/New_York and open Monday to Friday 08:00-18:00 (the shared
``clinic`` fixture).
"""

import pytest

from tests.scheduling.reports.world import NEW_YORK_DAY, ReportWorld
from tests.worlds import build_clinic_world


@pytest.fixture
def world(clinic) -> ReportWorld:
    return build_clinic_world(
        clinic,
        world_class=ReportWorld,
        day=NEW_YORK_DAY,
        dosing_room="Dosing Room",
        lounge_chair="Chair",
        therapy_rooms=0,
    )

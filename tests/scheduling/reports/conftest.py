"""A small clinic for report tests: a 2-recliner dosing room and a 2-chair recovery lounge.

The clinic is in America/New_York and open Monday to Friday 08:00-18:00 (the shared
``clinic`` fixture).
"""

import pytest

from backend.scheduling.resources.choices import RoomKind
from tests.factories import RoomFactory, SeatFactory
from tests.scheduling.reports.world import ReportWorld


@pytest.fixture
def world(clinic) -> ReportWorld:
    dosing_room = RoomFactory(clinic=clinic, name="Dosing Room", kind=RoomKind.DOSING)
    recliners = [SeatFactory(room=dosing_room, name=f"Recliner {i}") for i in (1, 2)]
    lounge = RoomFactory(clinic=clinic, name="Recovery Lounge", kind=RoomKind.RECOVERY)
    lounge_chairs = [SeatFactory(room=lounge, name=f"Chair {i}") for i in (1, 2)]
    return ReportWorld(clinic, dosing_room, recliners, lounge, lounge_chairs)

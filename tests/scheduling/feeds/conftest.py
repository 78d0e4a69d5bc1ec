"""Fixtures for feed tests: the shared clinic under the names the feeds show, and tokens.

HTTP tests go through the real clock (the views read it), so their appointments are
placed relative to today (``feed_world.day`` lies ahead); pure tests pass a fixed ``now``.
"""

import pytest
from django.core.cache import cache
from django.utils import timezone

from backend.scheduling.feeds.services import feed_token_issue
from tests.factories import ClinicFactory
from tests.worlds import ClinicWorld, build_clinic_world


@pytest.fixture
def feed_world(db) -> ClinicWorld:
    """The clinic as "Harbor Wellness", its dosing room "Room 1", and two patients (Jane Doe
    and Omar Other, ``patient`` and ``other_patient``) whose initials the room feeds show."""
    clinic = ClinicFactory(
        name="Harbor Wellness",
        phone="+1 555 0100",
        address="1 Harbor Street\nSuite 200\nBoston, MA 02110",
        with_hours=True,
    )
    return build_clinic_world(
        clinic,
        dosing_room="Room 1",
        session_type_changes={
            "spravato": {"name": "Spravato 84 mg", "arrive_minutes_before": 15},
            "infusion": {"name": "Ketamine infusion"},
        },
        patients=[
            {"first_name": "Jane", "last_name": "Doe"},
            {"first_name": "Omar", "last_name": "Other"},
        ],
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

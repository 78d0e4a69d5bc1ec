"""A pending waitlist offer holds its monitored recovery as it holds its seat: it counts in
the monitoring ratio for bookings and for other offers, since accepting re-checks nothing."""

import pytest
from django.utils import timezone

from backend.common.errors import Conflict
from backend.scheduling.booking.services import appointment_book
from backend.scheduling.waitlist.services import offer_make, waitlist_entry_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def one_nurse(world):
    """Two free recliners but one nurse, who watches one recovering patient at a time.
    (The second session starts at 09:15, when she has given the first dose.)"""
    world.clinic.recovering_per_monitor = 1
    world.clinic.save()
    for nurse in world.nurses[1:]:
        nurse.active = False
        nurse.save()
    return world


def entry_for(world, patient):
    return waitlist_entry_create(
        actor=None,
        patient=patient,
        session_type=world.spravato,
        date_from=world.day,
        date_to=world.day,
        now=timezone.now(),
    )


def test_a_pending_offer_counts_against_the_monitoring_ratio_of_a_booking(one_nurse):
    world = one_nurse
    offer_make(
        entry_id=entry_for(world, world.patients[0]).id, start=world.at(9), now=timezone.now()
    )

    with pytest.raises(Conflict) as refused:
        appointment_book(
            actor=None,
            patient=world.patients[1],
            session_type=world.spravato,
            start=world.at(9, 15),
            now=timezone.now(),
        )

    assert [c["resource"] for c in refused.value.conflicts] == ["monitoring"]


def test_a_pending_offer_counts_against_the_monitoring_ratio_of_another_offer(one_nurse):
    world = one_nurse
    offer_make(
        entry_id=entry_for(world, world.patients[0]).id, start=world.at(9), now=timezone.now()
    )
    second = entry_for(world, world.patients[1])

    with pytest.raises(Conflict) as refused:
        offer_make(entry_id=second.id, start=world.at(9, 15), now=timezone.now())

    assert [c["resource"] for c in refused.value.conflicts] == ["monitoring"]

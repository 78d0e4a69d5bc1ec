"""Racing bookings for the last unit of one authorization, with real threads."""

import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from rest_framework.test import APIClient

from backend.scheduling.booking.models import Appointment
from tests.scheduling.authorizations.conftest import authorize

pytestmark = pytest.mark.django_db(transaction=True)

# Open weekdays from the world's Wednesday: no two racers share a day (one dose a day).
DAY_OFFSETS = [0, 1, 2, 5, 6, 7]


def test_threads_racing_for_the_last_unit_book_exactly_one(authorized_world, front_desk_user):
    world = authorized_world
    authorize(world, units=1)
    barrier = threading.Barrier(len(DAY_OFFSETS))
    statuses: list[int] = []
    lock = threading.Lock()

    def attempt(offset):
        client = APIClient()
        client.force_authenticate(front_desk_user)
        body = {
            "patient": world.patient.id,
            "session_type": world.spravato.id,
            "start": world.at(9, day=world.day + timedelta(days=offset)).isoformat(),
        }
        try:
            barrier.wait()
            response = client.post("/api/v1/appointments/", body, format="json")
            with lock:
                statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(o,)) for o in DAY_OFFSETS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Counter(statuses) == Counter({201: 1, 409: len(DAY_OFFSETS) - 1})
    assert Appointment.objects.filter(authorization__isnull=False).count() == 1

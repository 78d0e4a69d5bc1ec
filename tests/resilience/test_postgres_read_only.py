"""A PostgreSQL database that refuses writes (a standby, a full disk's emergency
read-only setting): a booking answers 503 with ``Retry-After`` and writes nothing."""

import pytest
from django.conf import settings
from django.db import connection

from backend.scheduling.booking.models import Appointment, Hold

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="needs PostgreSQL; run with DATABASE_URL=postgres:///...",
    ),
]


def booking(world, hour: int) -> dict:
    return {
        "patient": world.patients[0].id,
        "session_type": world.spravato.id,
        "start": world.at(hour).isoformat(),
    }


def test_a_read_only_database_refuses_writes_with_503_and_writes_nothing(
    transactional_db, world, front_desk_api
):
    with connection.cursor() as cursor:
        cursor.execute("SET default_transaction_read_only = on")
    try:
        response = front_desk_api.post("/api/v1/appointments/", booking(world, 9), format="json")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET default_transaction_read_only = off")

    assert response.status_code == 503
    assert response["Retry-After"]
    assert "read-only" in response.json()["detail"]
    assert Appointment.objects.count() == 0
    assert Hold.objects.count() == 0

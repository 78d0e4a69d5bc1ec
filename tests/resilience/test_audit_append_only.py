"""The appointment audit trail is append-only: PostgreSQL refuses any UPDATE or DELETE of
an entry, whoever sends it; on every database, deleting the appointment or the user an
entry names is refused (the patient access log: tests/scheduling/resources)."""

import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from backend.scheduling.booking.models import AppointmentEvent
from tests.factories import AppointmentEventFactory, UserFactory

pytestmark = pytest.mark.django_db

TABLE = AppointmentEvent._meta.db_table
requires_postgres = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="needs PostgreSQL (the append-only trigger); run with DATABASE_URL=postgres:///...",
)


@pytest.fixture
def entry():
    return AppointmentEventFactory(actor=UserFactory(), action="booked")


@pytest.mark.postgres
@requires_postgres
def test_postgresql_refuses_a_raw_update_and_delete_of_the_audit_trail(entry):
    with connection.cursor() as cursor:
        update = f"UPDATE {TABLE} SET action = 'forged' WHERE id = %s"
        with pytest.raises(IntegrityError, match="UPDATE refused"), transaction.atomic():
            cursor.execute(update, [entry.pk])
        with pytest.raises(IntegrityError, match="DELETE refused"), transaction.atomic():
            cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [entry.pk])
            # The check runs at commit; the test's transaction never commits, so run it now.
            cursor.execute("SET CONSTRAINTS scheduling_appointmentevent_kept IMMEDIATE")
        cursor.execute(f"SELECT action FROM {TABLE} WHERE id = %s", [entry.pk])
        assert cursor.fetchone() == ("booked",)


@pytest.mark.postgres
@requires_postgres
def test_postgresql_refuses_an_orm_update_of_the_audit_trail(entry):
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AppointmentEvent.objects.filter(pk=entry.pk).update(note="changed")


@pytest.mark.postgres
@requires_postgres
def test_an_appointment_removed_whole_takes_its_entries_with_it(entry):
    with connection.cursor() as cursor:
        entry.appointment.holds.all().delete()
        entry.appointment.delete()
        cursor.execute("SET CONSTRAINTS scheduling_appointmentevent_kept IMMEDIATE")

    assert not AppointmentEvent.objects.filter(pk=entry.pk).exists()


def test_the_actor_of_an_entry_cannot_be_deleted_away_from_it(entry):
    with pytest.raises(ProtectedError):
        entry.actor.delete()

    entry.refresh_from_db()
    assert entry.actor is not None

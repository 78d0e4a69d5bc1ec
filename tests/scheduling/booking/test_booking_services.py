from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, OperationalError, transaction
from psycopg.errors import DeadlockDetected

from backend.common.errors import Conflict
from backend.scheduling.booking.models import HoldKind
from backend.scheduling.booking.services import (
    appointment_book,
    appointment_reschedule,
    concurrency_conflicts,
)
from backend.scheduling.day.reminders import reminders_send
from tests.factories import AppointmentFactory, HoldFactory
from tests.scheduling.booking.holds import requires_postgres

pytestmark = pytest.mark.django_db


def test_a_moved_appointment_gets_a_fresh_reminder_with_its_new_time(world, front_desk_user):
    patient = world.patients[0]
    patient.email = "patient@example.org"
    patient.save()
    now = world.at(9) - timedelta(days=1)
    appointment = appointment_book(
        actor=front_desk_user,
        patient=patient,
        session_type=world.spravato,
        start=world.at(9),
        now=now,
    )
    reminders_send(now=now)

    appointment_reschedule(
        actor=front_desk_user, appointment=appointment, start=world.at(13), now=now
    )
    again = reminders_send(now=now + timedelta(minutes=5))

    assert again.sent == [appointment.id]
    assert len(mail.outbox) == 2
    assert "1:00" in mail.outbox[1].body or "13:00" in mail.outbox[1].body


def test_an_unmoved_appointment_is_not_reminded_twice(world, front_desk_user):
    now = world.at(9) - timedelta(days=1)
    appointment_book(
        actor=front_desk_user,
        patient=world.patients[0],
        session_type=world.spravato,
        start=world.at(9),
        now=now,
    )
    reminders_send(now=now)

    again = reminders_send(now=now + timedelta(minutes=5))

    assert again.sent == []


@pytest.mark.postgres
@requires_postgres
@pytest.mark.parametrize(
    ("resource", "expected"),
    [("seat", "seat was taken"), ("staff", "staff member was booked")],
)
def test_a_write_the_exclusion_constraints_refuse_becomes_a_conflict(world, resource, expected):
    one, two = (
        AppointmentFactory(clinic=world.clinic, patient=patient, seat=world.recliners[0])
        for patient in world.patients[:2]
    )
    if resource == "seat":
        taken = {"kind": HoldKind.SESSION, "seat": world.recliners[0], "staff": None}
    else:
        taken = {"kind": HoldKind.STAFF, "seat": None, "staff": world.nurses[0]}
    HoldFactory(appointment=one, start=world.at(9), end=world.at(10), **taken)

    with pytest.raises(Conflict, match=expected), concurrency_conflicts(), transaction.atomic():
        HoldFactory(appointment=two, start=world.at(9, 30), end=world.at(10, 30), **taken)


def test_a_deadlock_the_database_broke_becomes_a_conflict():
    with pytest.raises(Conflict, match="same moment"), concurrency_conflicts():
        # As Django raises PostgreSQL's refusal (a real deadlock: tests/common/test_db.py).
        raise OperationalError("deadlock detected") from DeadlockDetected("deadlock detected")


def test_other_database_errors_are_not_disguised_as_conflicts():
    with pytest.raises(IntegrityError), concurrency_conflicts():
        raise IntegrityError("null value in column violates not-null constraint")

from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, OperationalError

from backend.common.errors import Conflict
from backend.scheduling.booking.services import (
    appointment_book,
    appointment_reschedule,
    concurrency_conflicts,
)
from backend.scheduling.day.reminders import reminders_send

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


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        pytest.param(
            IntegrityError(
                'conflicting key value violates exclusion constraint "hold_no_seat_overlap"'
            ),
            "seat was taken",
            id="seat-constraint",
        ),
        pytest.param(
            OperationalError("deadlock detected\nDETAIL: Process 1 waits for ShareLock"),
            "same moment",
            id="deadlock",
        ),
    ],
)
def test_concurrency_refusals_become_conflicts(error, expected):
    with pytest.raises(Conflict, match=expected), concurrency_conflicts():
        raise error


def test_other_database_errors_are_not_disguised_as_conflicts():
    with pytest.raises(IntegrityError), concurrency_conflicts():
        raise IntegrityError("null value in column violates not-null constraint")

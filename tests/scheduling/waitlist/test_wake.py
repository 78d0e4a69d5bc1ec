"""A cancellation wakes the waitlist's background run through the task queue."""

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from backend.scheduling.booking.services import appointment_book, appointment_cancel
from backend.scheduling.waitlist.services import waitlist_entry_create

pytestmark = pytest.mark.django_db

TASK = "backend.interop.worker.waitlist.waitlist_offers"


def waitlist_runs() -> int:
    return DBTaskResult.objects.filter(task_path=TASK).count()


def someone_waits(world, capture) -> None:
    """The first patient joins the waitlist for the world's day (its commit wakes a run)."""
    with capture(execute=True):
        waitlist_entry_create(
            actor=None,
            patient=world.patient,
            session_type=world.spravato,
            date_from=world.day,
            date_to=world.day,
            now=timezone.now(),
        )


def test_cancelling_enqueues_a_waitlist_run_when_someone_waits(
    world, django_capture_on_commit_callbacks
):
    taken = world.appointment(world.at(9), patient=world.patients[2])
    someone_waits(world, django_capture_on_commit_callbacks)
    before = waitlist_runs()

    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(actor=None, appointment=taken, reason="ill", now=timezone.now())

    assert before == 1
    assert waitlist_runs() == 2


def test_cancelling_enqueues_nothing_when_nobody_waits(world, django_capture_on_commit_callbacks):
    taken = world.appointment(world.at(9), patient=world.patients[2])

    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(actor=None, appointment=taken, reason="ill", now=timezone.now())

    assert waitlist_runs() == 0


def test_a_booking_enqueues_no_waitlist_run_even_when_someone_waits(
    world, django_capture_on_commit_callbacks
):
    # A booking takes a seat and frees none: nobody on the waitlist can gain from it.
    someone_waits(world, django_capture_on_commit_callbacks)
    before = waitlist_runs()

    with django_capture_on_commit_callbacks(execute=True):
        appointment_book(
            actor=None,
            patient=world.patients[2],
            session_type=world.spravato,
            start=world.at(11),
            now=timezone.now(),
        )

    assert before == 1
    assert waitlist_runs() == 1  # a cancel wakes it (the first test above)

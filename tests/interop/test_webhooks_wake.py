"""A commit wakes the webhook pump once: a pump already waiting for a worker covers it."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from backend.interop.webhooks.tasks import webhooks_pump, webhooks_wake
from backend.scheduling.booking.services import appointment_book

pytestmark = pytest.mark.django_db


def pumps(status: str) -> int:
    return DBTaskResult.objects.filter(task_path=webhooks_pump.module_path, status=status).count()


def test_a_wake_enqueues_a_pump_only_when_none_is_waiting():
    webhooks_wake()
    webhooks_wake()
    webhooks_wake()
    waiting_after_three = pumps("READY")

    # A worker claims it: it reads the events from then on, so the next commit needs
    # another pump.
    DBTaskResult.objects.filter(task_path=webhooks_pump.module_path).update(status="RUNNING")
    webhooks_wake()

    assert waiting_after_three == 1
    assert (pumps("RUNNING"), pumps("READY")) == (1, 1)


def test_a_booking_commit_wakes_the_pump(
    world, front_desk_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        appointment_book(
            actor=front_desk_user,
            patient=world.patient,
            session_type=world.spravato,
            start=world.at(9),
            now=world.at(9) - timedelta(days=2),
        )

    assert pumps("READY") == 1


def test_a_pump_scheduled_for_later_is_not_waiting_so_a_wake_enqueues_one_now():
    webhooks_wake()
    # A pump that is READY but due later (a retry's back-off) would leave this commit's
    # event until then: a wake enqueues one that runs now.
    DBTaskResult.objects.filter(task_path=webhooks_pump.module_path).update(
        run_after=timezone.now() + timedelta(minutes=5)
    )
    webhooks_wake()

    due_now = DBTaskResult.objects.ready().filter(task_path=webhooks_pump.module_path)
    assert (pumps("READY"), due_now.count()) == (2, 1)

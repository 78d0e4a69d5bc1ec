"""The worker's clock enqueues each periodic task once per slot, however many workers run;
reminders run as a scheduled task."""

from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.base import Task
from django_tasks_db.models import DBTaskResult

from backend.interop.worker.models import ScheduledRun
from backend.interop.worker.schedule import Clock, Entry, scheduled_runs_prune
from backend.interop.worker.tasks import tasks_prune
from backend.scheduling.booking.models import IdempotencyKey
from backend.scheduling.day.reminders import reminders_task
from tests.factories import IdempotencyKeyFactory

pytestmark = pytest.mark.django_db

PRUNE = "backend.interop.worker.tasks.tasks_prune"
T0 = datetime(2026, 5, 6, 12, 0, 0, tzinfo=UTC)


def queued(path: str) -> int:
    return DBTaskResult.objects.filter(task_path=path, status="READY").count()


def test_every_scheduled_task_exists_and_the_defaults_are_sensible():
    schedule = settings.TASK_SCHEDULE

    assert set(schedule) == {"webhooks", "reminders", "prune", "waitlist", "statistics"}
    for spec in schedule.values():
        assert isinstance(import_string(spec["task"]), Task)
    assert schedule["reminders"]["every"] == 600
    assert schedule["webhooks"]["every"] <= 60
    assert schedule["waitlist"]["every"] <= 300
    assert schedule["statistics"]["every"] <= 86400


def test_two_workers_enqueue_a_slot_once_and_the_next_slot_again():
    entries = [Entry("prune", PRUNE, 60)]
    one, two = Clock(entries), Clock(entries)

    first = one.tick(T0 + timedelta(seconds=5)), two.tick(T0 + timedelta(seconds=6))
    same_slot = one.tick(T0 + timedelta(seconds=30)), two.tick(T0 + timedelta(seconds=59))
    next_slot = two.tick(T0 + timedelta(seconds=61)), one.tick(T0 + timedelta(seconds=62))

    assert first == (["prune"], [])
    assert same_slot == ([], [])
    assert next_slot == (["prune"], [])
    assert queued(PRUNE) == 2
    assert list(ScheduledRun.objects.order_by("slot").values_list("slot", flat=True)) == [
        T0,
        T0 + timedelta(seconds=60),
    ]


def test_a_task_that_cannot_be_enqueued_leaves_its_slot_for_the_next_tick():
    clock = Clock([Entry("broken", "backend.interop.worker.tasks.no_such_task", 60)])

    assert clock.tick(T0) == []
    assert ScheduledRun.objects.count() == 0  # the claim rolled back with the failure
    assert "broken" not in clock.done


def test_reminders_run_as_a_task(world):
    patient = world.patients[0]
    patient.email = "patient@example.org"
    patient.save()
    world.appointment(timezone.now() + timedelta(hours=20))

    result = reminders_task.call()
    again = reminders_task.call()

    assert result == {"sent": 1, "no_email": 0, "already_claimed": 0, "failed": 0}
    assert again["sent"] == 0
    assert [m.to for m in mail.outbox] == [["patient@example.org"]]


def test_pruning_forgets_old_task_results_and_schedule_claims(time_machine):
    time_machine.move_to(T0)
    tasks_prune.enqueue()
    old = DBTaskResult.objects.get()
    old.status, old.finished_at = "SUCCESSFUL", T0
    old.save()
    ScheduledRun.objects.create(name="prune", slot=T0, created_at=T0)
    old_key = IdempotencyKeyFactory(created_at=T0)
    time_machine.move_to(T0 + timedelta(days=settings.TASK_RESULTS_KEEP_DAYS, hours=1))
    tasks_prune.enqueue()  # recent and still queued: kept
    fresh_key = IdempotencyKeyFactory(created_at=timezone.now())

    result = tasks_prune.call()

    assert result == {"task_results": 1, "schedule_claims": 1, "idempotency_keys": 1}
    assert DBTaskResult.objects.count() == 1
    assert list(IdempotencyKey.objects.values_list("pk", flat=True)) == [fresh_key.pk]
    assert old_key.pk != fresh_key.pk
    assert scheduled_runs_prune(now=timezone.now()) == 0

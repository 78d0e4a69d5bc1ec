"""The webhook tasks the worker runs (Django's tasks API, django-tasks backport).

``webhooks_pump`` runs on the worker's schedule (every ``WEBHOOK_SWEEP_SECONDS``) and is
also enqueued the moment a change with outbox events commits (``webhooks_wake``), so a
booking reaches its receivers within a second or two while the schedule picks up
retries, expired leases and anything whose wake-up was lost.
"""

import logging
from datetime import datetime

from django.db.models import Q
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult, TaskResultStatus, get_date_max

from backend.common.db import PreparedQuery
from backend.interop.webhooks.services import webhooks_pump as pump

logger = logging.getLogger(__name__)


@task()
def webhooks_pump() -> dict:
    run = pump()
    if run.more:
        # Out of time with work left: let other tasks run, then carry on.
        webhooks_pump.enqueue()
    return run.as_dict()


def _waiting_pump(now):
    # DBTaskResult.objects.ready(), with the time as a value: it reads the clock itself.
    return (
        DBTaskResult.objects.filter(
            Q(run_after=get_date_max()) | Q(run_after__lte=now),
            status=TaskResultStatus.READY,
            task_path=webhooks_pump.module_path,
            queue_name=webhooks_pump.queue_name,
        )
        .order_by()
        .values_list("id")[:1]
    )


# Every commit with outbox events runs it: compiled once per process (building the
# queryset cost more than running it).
_WAITING_PUMP = PreparedQuery(_waiting_pump, now=datetime)


def webhooks_wake(**_kwargs) -> None:
    """Enqueue a pump now (connected to the outbox's ``events_committed`` signal), unless
    one is already waiting for a worker.

    A waiting pump will read every event committed before it starts, this one included
    (it is committed before the wake-up runs), so a second would only repeat its work. A
    worker claims a pump before it reads, so a pump that has started is never waiting.
    Checking costs a read; enqueueing a write and its commit, on every booking.
    """
    try:
        waiting = bool(_WAITING_PUMP.rows(now=timezone.now()))
        if not waiting:
            webhooks_pump.enqueue()
    except Exception:
        # The scheduled sweep delivers it a little later; the event itself is committed.
        logger.exception("Could not enqueue the webhook pump")

"""Housekeeping: the task queue's own rows, and the idempotency keys past their 24 hours."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from backend.common.db import planner_statistics_refresh
from backend.interop.worker.schedule import scheduled_runs_prune
from backend.scheduling.booking.idempotency import idempotency_purge


@task()
def tasks_prune() -> dict:
    """Forget finished task results (and runs left behind by killed workers) after
    ``TASK_RESULTS_KEEP_DAYS``, schedule claims after a day, and the idempotency keys that
    are no longer honoured (kept 24 hours, as documented)."""
    now = timezone.now()
    cutoff = now - timedelta(days=settings.TASK_RESULTS_KEEP_DAYS)
    results = DBTaskResult.objects.filter(
        Q(finished_at__lt=cutoff) | Q(status="RUNNING", started_at__lt=cutoff)
    ).delete()[0]
    return {
        "task_results": results,
        "schedule_claims": scheduled_runs_prune(now=now),
        "idempotency_keys": idempotency_purge(now=now),
    }


@task()
def statistics_refresh() -> dict:
    """The query planner's table statistics, as the data grows (SQLite; see
    ``common.db.planner_statistics_refresh``)."""
    return {"statistics": planner_statistics_refresh()}

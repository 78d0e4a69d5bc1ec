"""The worker's clock: periodic tasks, enqueued once per slot however many workers run.

``settings.TASK_SCHEDULE`` maps a name to a task's dotted path and a period in seconds.
Slots are aligned to the epoch (every 600 s: at :00, :10, :20 ...). A worker that starts
in the middle of a slot whose task another worker already enqueued waits for the next.
"""

import logging
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

from backend.interop.worker.models import ScheduledRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    name: str
    task: str
    every: int  # seconds

    def slot(self, now: datetime) -> datetime:
        start = math.floor(now.timestamp() / self.every) * self.every
        return datetime.fromtimestamp(start, UTC)


def schedule_entries() -> list[Entry]:
    return [
        Entry(name=name, task=spec["task"], every=max(int(spec["every"]), 1))
        for name, spec in settings.TASK_SCHEDULE.items()
    ]


class Clock:
    """One worker's view of the schedule; ``tick`` enqueues what is due and unclaimed."""

    def __init__(self, entries: list[Entry] | None = None):
        self.entries = schedule_entries() if entries is None else entries
        self.done: dict[str, datetime] = {}

    def tick(self, now: datetime) -> list[str]:
        enqueued = []
        for entry in self.entries:
            slot = entry.slot(now)
            if self.done.get(entry.name) == slot:
                continue
            try:
                with transaction.atomic():
                    ScheduledRun.objects.create(name=entry.name, slot=slot, created_at=now)
                    import_string(entry.task).enqueue()
            except IntegrityError:
                pass  # another worker enqueued this slot
            except Exception:
                logger.exception("Could not enqueue scheduled task %s", entry.name)
                continue  # try again on the next tick
            else:
                enqueued.append(entry.name)
            self.done[entry.name] = slot
        return enqueued


def scheduled_runs_prune(*, now: datetime, keep: timedelta = timedelta(days=1)) -> int:
    return ScheduledRun.objects.filter(slot__lt=now - keep).delete()[0]

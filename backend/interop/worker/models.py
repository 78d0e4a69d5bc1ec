"""The worker's schedule claims: one row per periodic task and time slot."""

from django.db import models


class ScheduledRun(models.Model):
    """A periodic task enqueued for one slot of its schedule.

    Every worker process runs the clock; the unique (name, slot) row is claimed in the
    transaction that enqueues the task, so however many workers run, each slot is
    enqueued once.
    """

    name = models.CharField(max_length=60)
    slot = models.DateTimeField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-slot"]
        constraints = [
            models.UniqueConstraint(fields=["name", "slot"], name="scheduled_run_once_per_slot")
        ]

    def __str__(self) -> str:
        return f"{self.name} at {self.slot:%Y-%m-%d %H:%M:%S}"

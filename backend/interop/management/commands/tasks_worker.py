"""Run a task worker: django-tasks' database worker plus the schedule's clock.

    python manage.py tasks_worker

Runs the tasks in the database queue (webhook deliveries, reminders, housekeeping) and,
in a thread beside them, enqueues the periodic tasks of ``settings.TASK_SCHEDULE``. Run
as many as needed, on as many machines: workers claim queued tasks with row locks
(SKIP LOCKED on PostgreSQL), and each schedule slot is claimed once across all workers.
SIGTERM or Ctrl-C finishes the running task, then stops.
"""

import os
import signal
import threading
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from backend.interop.worker.schedule import Clock


class ClockThread(threading.Thread):
    """Ticks the schedule every second; with ``parent_pid``, stops the worker when the
    process that started it is gone (``make run``'s shell)."""

    def __init__(self, *, schedule: bool, parent_pid: int | None, stderr):
        super().__init__(name="tasks-clock", daemon=True)
        self.clock = Clock() if schedule else None
        self.parent_pid = parent_pid
        self.stderr = stderr

    def run(self) -> None:
        while True:
            if self.parent_pid is not None and os.getppid() != self.parent_pid:
                self.stderr.write("tasks_worker: the parent process is gone; stopping.")
                os.kill(os.getpid(), signal.SIGTERM)
                return
            if self.clock is not None:
                close_old_connections()
                try:
                    self.clock.tick(timezone.now())
                except Exception as exc:  # the database may be briefly away
                    self.stderr.write(f"tasks_worker: schedule tick failed: {exc}")
                    connection.close()
            time.sleep(1)


class Command(BaseCommand):
    help = (
        "Run a background task worker (webhook deliveries, reminders) with the periodic "
        "schedule. Run several for more throughput; they share the database queue."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds to wait when the queue is empty before looking again (default 1).",
        )
        parser.add_argument(
            "--no-schedule",
            action="store_false",
            dest="schedule",
            help="Run queued tasks only; do not enqueue the periodic ones.",
        )
        parser.add_argument(
            "--exit-with-parent",
            action="store_true",
            help="Stop when the process that started this one exits (used by `make run`).",
        )
        parser.add_argument(
            "--worker-id",
            default="",
            help="A name unique across the pool, recorded on each task run (default: random).",
        )

    def handle(
        self,
        *args,
        interval: float,
        schedule: bool,
        exit_with_parent: bool,
        worker_id: str,
        **options,
    ):
        worker = Worker(
            queue_names=["default"],
            interval=interval,
            batch=False,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id or f"{os.uname().nodename}-{os.getpid()}-{get_random_string(6)}",
            excluded_queue_names=[],
        )
        ClockThread(
            schedule=schedule,
            parent_pid=os.getppid() if exit_with_parent else None,
            stderr=self.stderr,
        ).start()
        self.stdout.write(
            f"Task worker {worker.worker_id} running"
            + (" with the periodic schedule." if schedule else " (no schedule).")
        )
        worker.configure_signals()
        worker.run()

"""Email appointment reminders; safe to run from cron every few minutes.

    */10 * * * *  python manage.py send_reminders

Each appointment gets its reminder at most once, even when runs overlap (see
``backend.scheduling.day.reminders``). ``--now`` makes a run reproducible.
"""

from argparse import ArgumentTypeError
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from backend.scheduling.day.reminders import reminders_due_fetch, reminders_send


def _aware(value: str):
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise ArgumentTypeError(f"'{value}' is not an ISO 8601 datetime.")
    if parsed.tzinfo is None:
        raise ArgumentTypeError("include a UTC offset, e.g. 2026-05-03T09:00:00-04:00.")
    return parsed


class Command(BaseCommand):
    help = (
        "Email each patient a reminder (arrive time, instructions, ride and pickup time, a "
        "ride-confirmation link) before their appointment. Never sends one twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--now",
            type=_aware,
            help="Act as if it were this moment (ISO 8601 with offset); default: the clock.",
        )
        parser.add_argument(
            "--hours",
            type=int,
            default=48,
            help="Remind appointments starting within this many hours (default 48).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List the reminders that are due without sending or recording anything.",
        )

    def handle(self, *args, now=None, hours: int, dry_run: bool, **options):
        if not 1 <= hours <= 24 * 14:
            raise CommandError("--hours must be between 1 and 336.")
        now = now or timezone.now()
        ahead = timedelta(hours=hours)
        if dry_run:
            due = reminders_due_fetch(now=now, ahead=ahead)
            for appointment in due:
                to = appointment.patient.email or "(no email address)"
                self.stdout.write(f"appointment {appointment.id} at {appointment.start} -> {to}")
            self.stdout.write(f"{len(due)} reminder(s) due.")
            return
        run = reminders_send(now=now, ahead=ahead)
        if options["verbosity"] >= 2:
            for appointment_id in run.sent:
                self.stdout.write(f"sent: appointment {appointment_id}")
        self.stdout.write(
            f"Sent {len(run.sent)} reminder(s); {len(run.no_email)} without an email address; "
            f"{len(run.already_claimed)} taken by another run; {len(run.failed)} failed."
        )
        if run.failed:
            raise CommandError(
                f"{len(run.failed)} reminder(s) could not be sent; the next run retries them."
            )

"""Make waitlist offers now: lapse due offers, then offer freed starts.

The task worker runs the same code (``waitlist_run``) every minute and whenever a seat is
freed; this command is for cron set-ups without a worker, and for trying it by hand.
"""

from django.core.management.base import BaseCommand
from django.utils import timezone

from backend.scheduling.selfservice.services import offer_notices_send
from backend.scheduling.waitlist.services import waitlist_run


class Command(BaseCommand):
    help = "Lapse due waitlist offers and offer each freed matching start to the best entry."

    def add_arguments(self, parser):
        parser.add_argument("--clinic", type=int, help="Only this clinic (id).")

    def handle(self, *args, clinic=None, **options):
        now = timezone.now()
        result = waitlist_run(now=now, clinic_id=clinic)
        notified = offer_notices_send(now=now)
        self.stdout.write(
            f"{result['offered']} offered, {result['expired']} expired, {notified} notified"
        )

"""The waitlist task: lapse due offers and offer freed starts (scheduling's ``waitlist_run``).

It runs on the worker's schedule (``TASK_SCHEDULE["waitlist"]``) and is also enqueued the
moment a change that may free a seat commits: a change whose outbox events may free one (a
cancel, a reschedule, a no-show, an early discharge; not a booking), and any offer given
back (declined, expired, withdrawn). The schedule catches what a lost wake-up missed: a new
opening or an extra shift, too.
"""

import logging

from django.utils import timezone
from django_tasks import task

from backend.scheduling.outbox.models import CAPACITY_FREEING_EVENTS
from backend.scheduling.selfservice.services import offer_notices_send
from backend.scheduling.waitlist.models import WaitlistEntry, WaitlistStatus
from backend.scheduling.waitlist.services import waitlist_run

logger = logging.getLogger(__name__)


@task()
def waitlist_offers() -> dict:
    now = timezone.now()
    result = waitlist_run(now=now)
    # Each new offer goes to its patient with a one-time link to answer.
    result["notified"] = offer_notices_send(now=now)
    return result


def waitlist_wake(types: frozenset[str] | None = None, **_kwargs) -> None:
    """Enqueue a run now, if anyone is waiting (connected to commit signals).

    ``types``, the committed events' types, skips changes that free nothing (a booking);
    an offer given back sends none, and always wakes."""
    if types is not None and not types & CAPACITY_FREEING_EVENTS:
        return
    try:
        if WaitlistEntry.objects.filter(status=WaitlistStatus.WAITING).exists():
            waitlist_offers.enqueue()
    except Exception:
        # The scheduled run offers it a little later.
        logger.exception("Could not enqueue the waitlist run")

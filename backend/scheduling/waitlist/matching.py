"""Who gets a freed start, and until when: pure rules over plain data.

Entries are served urgent first, then first come first served, then the tightest window
(the patient with the fewest days to choose from). An offer holds its seat for the
clinic's offer time but never past the session's start.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

# A start sooner than this is not offered: nobody can answer and travel in less.
MIN_LEAD = timedelta(minutes=30)


@dataclass(frozen=True)
class Wish:
    """One waiting entry, as the matching sees it."""

    entry_id: int
    urgent: bool
    created_at: datetime
    date_from: date
    date_to: date
    weekdays: frozenset[int] | None = None
    declined: frozenset[datetime] = frozenset()
    # Bring forward: only starts before this one (the appointment it would replace).
    before: datetime | None = None

    @property
    def window_days(self) -> int:
        return (self.date_to - self.date_from).days + 1


def wishes_ranked(wishes: Iterable[Wish]) -> list[Wish]:
    return sorted(wishes, key=lambda w: (not w.urgent, w.created_at, w.window_days, w.entry_id))


def start_fits(wish: Wish, start: datetime, local_day: date, *, now: datetime) -> bool:
    """Whether ``start`` (on the clinic-local ``local_day``) may be offered for ``wish``.

    Seats, staff, hours, the time window and the patient's own calendar are the placement
    rule's business; this adds what only a waitlist knows.
    """
    if not wish.date_from <= local_day <= wish.date_to:
        return False
    if wish.weekdays is not None and local_day.weekday() not in wish.weekdays:
        return False
    if start < now + MIN_LEAD:
        return False
    if start in wish.declined:
        return False
    return wish.before is None or start < wish.before


def offer_expiry(now: datetime, start: datetime, hold: timedelta) -> datetime:
    """When an offer made ``now`` lapses: after ``hold``, and never after the start."""
    return min(now + hold, start)

"""Trying starts for one session: which days, which times of day, and the placement checks.

Every check goes through ``placement_try``, the same rule booking uses, so the engine can
never propose a start that booking then refuses. Checks are counted against one budget per
expansion so that a hopeless calendar fails fast instead of trying every quarter hour of
every day.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from backend.plans.engine.cadence import ONE_DAY, Window
from backend.plans.engine.rules import Preferences
from backend.scheduling.booking.availability import Board, Placement, SessionSpec, placement_try
from backend.scheduling.resources.calendar import ClinicCalendar, wall_to_utc
from backend.scheduling.resources.intervals import Span, aware_to_utc

STEP = timedelta(minutes=15)


def calendar_of(boards: Mapping[int, Board]) -> ClinicCalendar:
    """The one clinic calendar every board shares; ValueError if boards disagree."""
    calendars = [board.calendar for board in boards.values()]
    if not calendars:
        raise ValueError("No boards given: the engine needs one board per session type")
    first = calendars[0]
    for other in calendars[1:]:
        if other is not first and other != first:
            raise ValueError("All boards of one plan must describe the same clinic calendar")
    return first


class Run:
    """What one expansion or cascade shares: clock, preferences, calendar and check budget."""

    def __init__(
        self, *, calendar: ClinicCalendar, now: datetime, prefs: Preferences, max_steps: int
    ) -> None:
        self.calendar = calendar
        self.zone = calendar.zone
        self.now = aware_to_utc(now, "now")
        self.today = self.now.astimezone(self.zone).date()
        self.prefs = prefs
        self.max_steps = max_steps
        self.used = 0
        # A repair attempt may only spend part of what is left, so one stubborn session
        # cannot starve every session after it.
        self.fence: int | None = None
        self._windows: dict[date, list[Span]] = {}

    def spent(self) -> bool:
        limit = self.max_steps if self.fence is None else min(self.max_steps, self.fence)
        return self.used >= limit

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.zone).date()

    def local_time(self, instant: datetime) -> time:
        return instant.astimezone(self.zone).time().replace(second=0, microsecond=0)

    def windows(self, day: date) -> list[Span]:
        found = self._windows.get(day)
        if found is None:
            found = self._windows[day] = self.calendar.opening_windows(day)
        return found

    def allowed(self, day: date) -> bool:
        """Open, and on one of the patient's weekdays: a day a later session could use."""
        weekdays = self.prefs.weekdays
        if weekdays is not None and day.weekday() not in weekdays:
            return False
        return bool(self.windows(day))

    def in_time_window(self, at: time) -> bool:
        earliest, latest = self.prefs.earliest, self.prefs.latest
        return (earliest is None or at >= earliest) and (latest is None or at <= latest)


@dataclass
class Notes:
    """Why the days of one session's window failed, for the reason sentence."""

    problems: dict[date, set[str]] = field(default_factory=dict)
    off_weekday: list[date] = field(default_factory=list)
    past: list[date] = field(default_factory=list)
    budget: bool = False

    def add(self, day: date, kinds: set[str]) -> None:
        self.problems.setdefault(day, set()).update(kinds)


def days_pick(
    run: Run,
    window: Window,
    notes: Notes,
    *,
    around: date | None = None,
    last: date | None = None,
    skip: date | None = None,
) -> list[date]:
    """The window's days to try, in order: the preferred day first, then the earliest.

    With ``around`` (a cascade) the days closest to it come first, later before earlier on
    a tie, since the cadence usually pushes sessions forward.
    """
    end = last if last is not None else window.last
    days: list[date] = []
    day = window.lo
    weekdays = run.prefs.weekdays
    while day <= end:
        if day < run.today:
            notes.past.append(day)
        elif weekdays is not None and day.weekday() not in weekdays:
            notes.off_weekday.append(day)
        elif day != skip:
            days.append(day)
        day += ONE_DAY
    if around is not None:
        days.sort(key=lambda d: (abs((d - around).days), -d.toordinal()))
    elif window.prefer is not None and window.prefer in days:
        days.remove(window.prefer)
        days.insert(0, window.prefer)
    return days


def starts_order(
    run: Run,
    spec: SessionSpec,
    day: date,
    *,
    prefer_time: time | None,
    not_before: datetime | None = None,
) -> Iterator[datetime]:
    """Starts on ``day`` worth a check: the preferred wall-clock time first, then the 15-minute
    grid within opening hours and the patient's time window, nearest the preferred time first.

    Times are wall-clock, so 09:00 stays 09:00 across a DST change. Starts whose session and
    recovery cannot fit in the opening hours are never checked: the answer is known.
    """
    windows = run.windows(day)
    if not windows:
        return
    floor = run.now if not_before is None else max(run.now, not_before)
    total = spec.total

    def fits(start: datetime) -> bool:
        return start >= floor and any(w.start <= start and start + total <= w.end for w in windows)

    first = None
    if prefer_time is not None and run.in_time_window(prefer_time):
        first = wall_to_utc(day, prefer_time, run.zone)
        if fits(first):
            yield first
    grid: list[tuple[int, datetime]] = []
    for window in windows:
        start = window.start
        while start + total <= window.end:
            if start >= floor and start != first:
                at = run.local_time(start)
                if run.in_time_window(at):
                    grid.append((at.hour * 60 + at.minute, start))
            start += STEP
    if prefer_time is None:
        grid.sort(key=lambda item: item[0])
    else:
        target = prefer_time.hour * 60 + prefer_time.minute
        grid.sort(key=lambda item: (abs(item[0] - target), item[0]))
    for _, start in grid:
        yield start


def options_iter(
    run: Run,
    board: Board,
    spec: SessionSpec,
    days: Sequence[date],
    notes: Notes,
    *,
    prefer_time: time | None,
    not_before: datetime | None = None,
) -> Iterator[Placement]:
    """The first placement that passes on each day, day by day, checked lazily.

    Checks run when the next option is asked for, so a caller that reserves an option and
    later releases it before asking again sees the board as it is then.
    """
    for day in days:
        # A closure and a weekday without opening hours read the same at the front desk.
        if not run.windows(day):
            notes.add(day, {"closure"})
            continue
        if spec.is_dosing and day in board.patient_dosing_days:
            notes.add(day, {"dosing_day"})
            continue
        tried = False
        for start in starts_order(run, spec, day, prefer_time=prefer_time, not_before=not_before):
            if run.spent():
                notes.budget = True
                return
            tried = True
            run.used += 1
            result = placement_try(
                board, spec, start, now=run.now, preferred_staff_id=run.prefs.staff_id
            )
            if isinstance(result, Placement):
                yield result
                break
            notes.add(day, result)
        else:
            if not tried:
                notes.add(day, {"hours"})

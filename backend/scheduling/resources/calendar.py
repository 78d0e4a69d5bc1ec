"""Weekly hours and closures in a clinic's wall-clock time, turned into real (UTC) spans.

Hours are kept as local wall-clock times so that 09:00-17:00 stays 09:00-17:00 on both sides of
a DST change; only when a concrete date is asked for do they become instants.

Local times that do not exist (the spring-forward gap) or exist twice (the fall-back fold) are
resolved with ``fold=0`` and normalised through UTC: a nonexistent 02:30 in America/New_York
is read with the offset in force before the change and so lands on 03:30 EDT, and an ambiguous
01:30 means its first occurrence (EDT). Real durations always come from the UTC instants, so a
01:00-04:00 window is 2 real hours on the spring-forward day and 4 on the fall-back day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from backend.scheduling.resources.intervals import Span, spans_merge, spans_subtract

# How many (date, zone) answers a WeeklyHours keeps before it starts over.
WINDOWS_REMEMBERED = 4096

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def zone_load(tz: str) -> ZoneInfo:
    """The ZoneInfo for an IANA name; ValueError (not KeyError) for unknown or malformed ones."""
    if not isinstance(tz, str) or not tz:
        raise ValueError(f"Time zone must be a non-empty IANA name, got {tz!r}")
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"'{tz}' is not a known IANA time zone") from exc


def wall_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time, resolving gaps and folds with fold=0."""
    return datetime.combine(day, at.replace(fold=0), tzinfo=zone).astimezone(UTC)


def _clock(at: time) -> str:
    return at.strftime("%H:%M:%S" if at.second else "%H:%M")


def _is_plain_date(value: object) -> bool:
    # datetime subclasses date; a datetime here would silently drop its time and zone.
    return isinstance(value, date) and not isinstance(value, datetime)


@dataclass(frozen=True)
class WeeklyHours:
    """Recurring windows per weekday (0=Monday .. 6=Sunday), as local (opens, closes) times.

    Several windows per weekday are allowed (a lunch break); they may touch but not overlap.
    """

    windows: tuple[tuple[int, time, time], ...] = ()
    _by_weekday: tuple[tuple[tuple[time, time], ...], ...] = field(
        init=False, repr=False, compare=False
    )
    # The weekly windows of dates already asked for: a clinic's hours live in its cached
    # setup, and a search asks for every staff member's hours on every day it covers.
    _spans_by_day: dict[tuple[date, str], tuple[Span, ...]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        windows = tuple(tuple(window) for window in self.windows)
        per_day: list[list[tuple[time, time]]] = [[] for _ in range(7)]
        for window in windows:
            if len(window) != 3:
                raise ValueError(f"A window is (weekday, opens, closes), got {window!r}")
            weekday, opens, closes = window
            if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
                raise ValueError(f"Weekday must be 0 (Monday) to 6 (Sunday), got {weekday!r}")
            for name, value in (("opens", opens), ("closes", closes)):
                if not isinstance(value, time):
                    raise ValueError(f"{name} must be a datetime.time, got {value!r}")
                if value.tzinfo is not None:
                    raise ValueError(
                        f"{name} is a wall-clock time and must not carry a time zone; "
                        "the zone comes from the clinic"
                    )
            if closes <= opens:
                raise ValueError(
                    f"On {WEEKDAY_NAMES[weekday]} the window {_clock(opens)}-{_clock(closes)} "
                    "closes before it opens (windows cannot run past midnight)"
                )
            per_day[weekday].append((opens, closes))
        for weekday, day_windows in enumerate(per_day):
            day_windows.sort()
            for (opens_a, closes_a), (opens_b, closes_b) in pairwise(day_windows):
                if opens_b < closes_a:
                    raise ValueError(
                        f"On {WEEKDAY_NAMES[weekday]} the windows "
                        f"{_clock(opens_a)}-{_clock(closes_a)} and "
                        f"{_clock(opens_b)}-{_clock(closes_b)} overlap"
                    )
        object.__setattr__(self, "windows", windows)
        object.__setattr__(self, "_by_weekday", tuple(tuple(d) for d in per_day))
        object.__setattr__(self, "_spans_by_day", {})

    def windows_on(self, day: date, tz: str) -> list[Span]:
        """The real spans of this weekday's windows on one local date, sorted.

        Windows that touch in real time are coalesced: being open 09:00-12:00 and 12:00-17:00
        is being open 09:00-17:00. A window squeezed to nothing by a DST gap is dropped.
        """
        key = (day, tz)
        known = self._spans_by_day.get(key)
        if known is None:
            known = tuple(self._weekly_windows_on(day, tz))
            if len(self._spans_by_day) >= WINDOWS_REMEMBERED:
                self._spans_by_day.clear()
            self._spans_by_day[key] = known
        return list(known)

    def _weekly_windows_on(self, day: date, tz: str) -> list[Span]:
        if not _is_plain_date(day):
            raise ValueError(f"day must be a date, got {day!r}")
        zone = zone_load(tz)
        spans = []
        for opens, closes in self._by_weekday[day.weekday()]:
            start = wall_to_utc(day, opens, zone)
            end = wall_to_utc(day, closes, zone)
            if end > start:
                spans.append(Span(start, end))
        return spans_merge(spans)


@dataclass(frozen=True)
class StaffHours(WeeklyHours):
    """A staff member's weekly hours with their extra shifts added and absences cut out.

    It answers ``windows_on`` like ``WeeklyHours``, so every rule that asks when someone
    works (placement, search, the plan engine, capacity rules counting working monitors)
    sees absences without knowing they exist. ``extra`` and ``off`` are real spans; an
    extra shift that runs past midnight counts on each local day it touches.
    """

    extra: tuple[Span, ...] = ()
    off: tuple[Span, ...] = ()

    def windows_on(self, day: date, tz: str) -> list[Span]:
        spans = super().windows_on(day, tz)  # a list of its own: ours to extend
        if not self.extra and not self.off:
            return spans
        zone = zone_load(tz)
        day_start = wall_to_utc(day, time(0, 0), zone)
        day_end = wall_to_utc(day + timedelta(days=1), time(0, 0), zone)
        for shift in self.extra:
            start, end = max(shift.start, day_start), min(shift.end, day_end)
            if start < end:
                spans.append(Span(start, end))
        return spans_subtract(spans_merge(spans), self.off)


@dataclass(frozen=True)
class ClinicCalendar:
    """When a clinic is open: weekly hours in its zone minus whole-day closures.

    A closure is an inclusive local date range ``(first, last)``, optionally with a reason
    ``(first, last, "Christmas")`` that front-desk messages can show.
    """

    tz: str
    hours: WeeklyHours
    closures: tuple[tuple[date, date] | tuple[date, date, str], ...] = ()

    def __post_init__(self) -> None:
        zone_load(self.tz)
        closures = tuple(tuple(closure) for closure in self.closures)
        for closure in closures:
            if len(closure) not in (2, 3):
                raise ValueError(f"A closure is (first, last[, reason]), got {closure!r}")
            first, last = closure[0], closure[1]
            if not (_is_plain_date(first) and _is_plain_date(last)):
                raise ValueError(f"Closure dates must be dates, got {closure!r}")
            if last < first:
                raise ValueError(f"The closure {first}..{last} ends before it starts")
            if len(closure) == 3 and not isinstance(closure[2], str):
                raise ValueError(f"A closure reason must be text, got {closure[2]!r}")
        object.__setattr__(self, "closures", closures)

    @property
    def zone(self) -> ZoneInfo:
        return zone_load(self.tz)

    def closure_reason(self, day: date) -> str | None:
        """The reason of the first closure covering ``day`` ("" if it has none), else None."""
        for closure in self.closures:
            if closure[0] <= day <= closure[1]:
                return closure[2] if len(closure) == 3 else ""
        return None

    def is_closed(self, day: date) -> bool:
        return self.closure_reason(day) is not None

    def opening_windows(self, day: date) -> list[Span]:
        if self.is_closed(day):
            return []
        return self.hours.windows_on(day, self.tz)

    def local_date(self, instant: datetime) -> date:
        if not isinstance(instant, datetime) or instant.utcoffset() is None:
            raise ValueError(f"Expected a timezone-aware datetime, got {instant!r}")
        return instant.astimezone(self.zone).date()

    def opening_minutes(self, day: date) -> int:
        """Whole real minutes open on a local date (DST days have an hour more or less)."""
        seconds = sum((w.end - w.start).total_seconds() for w in self.opening_windows(day))
        return int(seconds // 60)

    def windows_between(self, date_from: date, date_to: date) -> list[Span]:
        """Opening windows of every local date from ``date_from`` to ``date_to`` inclusive."""
        spans: list[Span] = []
        day = date_from
        while day <= date_to:
            spans.extend(self.opening_windows(day))
            day += timedelta(days=1)
        return spans

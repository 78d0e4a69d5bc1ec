"""Room utilization: how much of each room's open seat time the holds use. Pure: no ORM, no clock.

Definitions (the API schema, the manager page and docs/utilization.md say the same):

- **available seat-minutes**: active seats x opening minutes of the period, closures removed;
- **session / recovery seat-minutes**: minutes of active session / recovery holds on the
  room's seats that fall *inside* opening windows (a hold partly outside hours is clipped),
  so utilization never exceeds 1;
- **no-show seat-minutes**: minutes of no-show appointments' holds inside opening windows
  that nothing else used: capacity kept free for a patient who did not come;
- **utilization** = (session + recovery) / available; **recovery share** = recovery /
  (session + recovery); both are None when the denominator is 0;
- **peak concurrency**: the most seats of the room in use at one instant of open time.

Each seat's spans are made disjoint before counting (session wins over recovery, both over
no-show), so inconsistent data can never count one seat-minute twice.

Times are whole UTC epoch minutes (``epoch_minute``); seconds are dropped. Local dates,
weekdays and hours come from the clinic's zone: a DST day is 23 or 25 hours long, the
fall-back day's two 01:00 hours both count into hour 1 and the spring-forward day has no
hour 2.

How it stays fast (a year of ~180,000 holds in about 150 ms on a small 2-core machine): no
Python loop runs per hold. The range is laid out once as opening windows cut at local hour
boundaries ("pieces"). Per room and kind, the holds' sorted starts and ends with their
prefix sums give F(t), the seat-minutes used before instant t, in two bisects; the minutes
inside any window or piece are F(end) - F(start), so F is evaluated only at the few
thousand window and hour boundaries of the range, by C-level ``map``. Sums per period and
per hour cell are differences of prefix sums. Peak concurrency comes from the sorted
starts and ends too: just after the k-th start, k + 1 spans have begun and ``bisect``
tells how many ended.
All of it depends only on which starts and which ends each seat has, not on how they pair
up, so callers may hand over the two lists in any order.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate, compress, islice, pairwise, repeat
from operator import add, le, lt, mul, ne, sub
from typing import NamedTuple
from zoneinfo import ZoneInfo

from backend.scheduling.resources.calendar import ClinicCalendar
from backend.scheduling.resources.intervals import Span, spans_merge, spans_subtract

SESSION = "session"
RECOVERY = "recovery"
HOLD_KINDS = frozenset({SESSION, RECOVERY})
DAY = "day"
WEEK = "week"
GRANULARITIES = (DAY, WEEK)
MAX_DAYS = 366
HOURS = tuple(range(24))
WEEKDAYS = tuple(range(7))

# What each number means, for the API schema, the CSV's readers and the manager page.
DEFINITIONS = {
    "available_seat_minutes": (
        "Active seats x opening minutes of the clinic (its weekly hours in its own time "
        "zone, minus closure days). A DST day is 23 or 25 hours long."
    ),
    "session_seat_minutes": (
        "Seat-minutes of active session holds that fall inside opening hours: a hold "
        "partly outside hours is clipped, so utilization never exceeds 1."
    ),
    "recovery_seat_minutes": (
        "Seat-minutes of active recovery holds inside opening hours, counted for the room "
        "whose seat they hold (recovery in the lounge counts for the lounge)."
    ),
    "no_show_seat_minutes": (
        "Seat-minutes inside opening hours held for appointments marked no-show and not "
        "used by anyone else: capacity lost. Cancelled appointments count nowhere."
    ),
    "used_seat_minutes": "session_seat_minutes + recovery_seat_minutes.",
    "utilization": "used_seat_minutes / available_seat_minutes; null when nothing was open.",
    "recovery_share": (
        "recovery_seat_minutes / used_seat_minutes: how much chair time monitored recovery "
        "takes; null when nothing was used."
    ),
    "no_show_share": "no_show_seat_minutes / available_seat_minutes; null when closed.",
    "peak_concurrency": "The most seats in use at one instant of opening hours.",
}

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MINUTE = timedelta(minutes=1)


def epoch_minute(instant: datetime) -> int:
    """Whole minutes since 1970-01-01 UTC (floored); ValueError for a naive datetime."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"Expected a timezone-aware datetime, got {instant!r}")
    return (instant - _EPOCH) // _MINUTE


def minute_instant(minute: int) -> datetime:
    """The UTC instant of an epoch minute (the inverse of ``epoch_minute``)."""
    return _EPOCH + timedelta(minutes=minute)


class SeatHold(NamedTuple):
    """One hold on a seat: kind "session" or "recovery", epoch minutes, no-show flag.

    Plain ``(kind, start, end, no_show)`` tuples work too; ``start`` and ``end`` may also be
    aware datetimes.
    """

    kind: str
    start: int
    end: int
    no_show: bool = False


@dataclass(frozen=True, slots=True)
class RoomRef:
    """A room as the report sees it: its active seats are its capacity."""

    room_id: int
    name: str
    kind: str
    seat_ids: tuple[int, ...]

    @property
    def capacity(self) -> int:
        return len(self.seat_ids)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True, slots=True)
class Usage:
    """Seat-minutes of one room (or all rooms) over one period (or the whole range)."""

    available_seat_minutes: int
    session_seat_minutes: int
    recovery_seat_minutes: int
    no_show_seat_minutes: int
    peak_concurrency: int

    @property
    def used_seat_minutes(self) -> int:
        return self.session_seat_minutes + self.recovery_seat_minutes

    @property
    def utilization(self) -> float | None:
        """(session + recovery) / available; None when nothing was open."""
        return _ratio(self.used_seat_minutes, self.available_seat_minutes)

    @property
    def recovery_share(self) -> float | None:
        """recovery / (session + recovery); None when nothing was used."""
        return _ratio(self.recovery_seat_minutes, self.used_seat_minutes)

    @property
    def no_show_share(self) -> float | None:
        """no-show / available: the share of capacity lost to patients who did not come."""
        return _ratio(self.no_show_seat_minutes, self.available_seat_minutes)


@dataclass(frozen=True, slots=True)
class Period:
    """A day, or an ISO week (Monday to Sunday) clipped to the requested range."""

    start: date
    end: date
    label: str
    opening_minutes: int


@dataclass(frozen=True, slots=True)
class PeriodUsage:
    period: Period
    usage: Usage


@dataclass(frozen=True, slots=True)
class HourGrid:
    """Used and available seat-minutes per (weekday 0=Monday, local hour 0-23) cell."""

    used: tuple[tuple[int, ...], ...]
    available: tuple[tuple[int, ...], ...]

    def utilization(self, weekday: int, hour: int) -> float | None:
        """Used / available in one cell; None where the clinic is never open in it."""
        return _ratio(self.used[weekday][hour], self.available[weekday][hour])

    def rows(self) -> tuple[tuple[float | None, ...], ...]:
        """The 7 x 24 matrix of utilizations (None where closed)."""
        return tuple(tuple(self.utilization(d, h) for h in HOURS) for d in WEEKDAYS)


@dataclass(frozen=True, slots=True)
class RoomUtilization:
    room: RoomRef
    usage: Usage
    periods: tuple[PeriodUsage, ...]
    grid: HourGrid


@dataclass(frozen=True, slots=True)
class UtilizationReport:
    """Per room and for all rooms together: totals, one entry per period, the hour grid."""

    tz: str
    date_from: date
    date_to: date
    granularity: str
    periods: tuple[Period, ...]
    rooms: tuple[RoomUtilization, ...]
    total: Usage
    total_periods: tuple[PeriodUsage, ...]
    grid: HourGrid


# --- The range laid out in epoch minutes --------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Layout:
    """Opening windows and their local-hour pieces over the range, in epoch minutes.

    ``bounds`` holds every window and hour boundary, sorted. Windows are in time order, so
    the windows of period ``p`` are ``period_windows[p]:period_windows[p + 1]``; window ``w``
    runs from ``bounds[window_lo[w]]`` to ``bounds[window_hi[w]]``. Pieces are sorted by
    hour cell (weekday * 24 + hour): those of cell ``c`` are ``cell_pieces[c]:cell_pieces[c
    + 1]``, and piece ``k`` runs from ``bounds[piece_lo[k]]`` to ``bounds[piece_lo[k] + 1]``.
    """

    periods: tuple[Period, ...]
    period_windows: tuple[int, ...]
    window_starts: tuple[int, ...]
    window_ends: tuple[int, ...]
    window_edges: tuple[int, ...]
    window_lo: tuple[int, ...]
    window_hi: tuple[int, ...]
    bounds: tuple[int, ...]
    piece_lo: tuple[int, ...]
    piece_hi: tuple[int, ...]
    cell_pieces: tuple[int, ...]
    cell_open: tuple[int, ...]


def _offset_changes(first: int, last: int, zone: ZoneInfo) -> list[int]:
    """Epoch minutes in (first, last] at which the zone's UTC offset changes."""

    def offset(minute: int) -> timedelta | None:
        return minute_instant(minute).astimezone(zone).utcoffset()

    changes = []
    while offset(first) != offset(last):
        lo, hi = first, last
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if offset(mid) == offset(first):
                lo = mid
            else:
                hi = mid
        changes.append(hi)
        first = hi
    return changes


def _hour_segments(day: date, zone: ZoneInfo) -> list[tuple[int, int, int]]:
    """(start, end, local hour) pieces of one local date, in epoch minutes.

    An ordinary day is 24 pieces of 60 minutes from local midnight. On a day whose UTC
    offset changes, a piece starts at every local hh:00 that exists (at both occurrences of
    a repeated one) and at the change itself, each labelled with the local hour it starts
    in: the fall-back day has two hour-1 pieces, the spring-forward day none for hour 2, and
    half-hour shifts (Lord Howe Island) come out right too.
    """
    first = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
    last = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    m0, m1 = epoch_minute(first), epoch_minute(last)
    if m1 - m0 == 1440 and first.astimezone(zone).utcoffset() == last.astimezone(zone).utcoffset():
        return [(m0 + 60 * h, m0 + 60 * h + 60, h) for h in HOURS]
    starts = {m0, *_offset_changes(m0, m1, zone)}
    for hour in HOURS:
        for fold in (0, 1):
            instant = datetime.combine(day, time(hour, fold=fold), tzinfo=zone).astimezone(UTC)
            local = instant.astimezone(zone)
            if local.date() == day and (local.hour, local.minute, local.second) == (hour, 0, 0):
                starts.add(epoch_minute(instant))
    ordered = sorted(m for m in starts if m0 <= m < m1)
    return [
        (a, b, minute_instant(a).astimezone(zone).hour)
        for a, b in zip(ordered, [*ordered[1:], m1], strict=True)
    ]


def _periods_of(date_from: date, date_to: date, granularity: str) -> list[tuple[date, date]]:
    if granularity == DAY:
        days = (date_to - date_from).days + 1
        return [(date_from + timedelta(days=i),) * 2 for i in range(days)]
    periods = []
    start = date_from
    while start <= date_to:
        end = min(start + timedelta(days=6 - start.weekday()), date_to)
        periods.append((start, end))
        start = end + timedelta(days=1)
    return periods


def _label(start: date, granularity: str) -> str:
    if granularity == DAY:
        return start.isoformat()
    year, week, _ = start.isocalendar()
    return f"{year}-W{week:02d}"


def _layout(calendar: ClinicCalendar, date_from: date, date_to: date, granularity: str) -> _Layout:
    zone = calendar.zone
    ranges = _periods_of(date_from, date_to, granularity)
    windows: list[tuple[int, int]] = []
    period_windows = [0]
    period_open = []
    pieces: list[tuple[int, int, int]] = []
    for first, last in ranges:
        open_minutes = 0
        day = first
        while day <= last:
            day_windows = calendar.opening_windows(day)
            segments = _hour_segments(day, zone) if day_windows else []
            weekday_cell = day.weekday() * 24
            for window in day_windows:
                w0, w1 = epoch_minute(window.start), epoch_minute(window.end)
                if w1 <= w0:
                    continue
                windows.append((w0, w1))
                open_minutes += w1 - w0
                for a, b, hour in segments:
                    lo, hi = max(a, w0), min(b, w1)
                    if lo < hi:
                        pieces.append((weekday_cell + hour, lo, hi))
            day += timedelta(days=1)
        period_windows.append(len(windows))
        period_open.append(open_minutes)
    bounds = sorted({m for _, lo, hi in pieces for m in (lo, hi)})
    position = {m: i for i, m in enumerate(bounds)}
    pieces.sort()
    cell_pieces = [0] * (7 * 24 + 1)
    cell_open = [0] * (7 * 24)
    for cell, lo, hi in pieces:
        cell_pieces[cell + 1] += 1
        cell_open[cell] += hi - lo
    return _Layout(
        periods=tuple(
            Period(first, last, _label(first, granularity), period_open[i])
            for i, (first, last) in enumerate(ranges)
        ),
        period_windows=tuple(period_windows),
        window_starts=tuple(w0 for w0, _ in windows),
        window_ends=tuple(w1 for _, w1 in windows),
        window_edges=tuple(w0 for w0, _ in windows) + tuple(w1 for _, w1 in windows),
        window_lo=tuple(position[w0] for w0, _ in windows),
        window_hi=tuple(position[w1] for _, w1 in windows),
        bounds=tuple(bounds),
        piece_lo=tuple(position[lo] for _, lo, _ in pieces),
        piece_hi=tuple(position[lo] + 1 for _, lo, _ in pieces),
        cell_pieces=tuple(accumulate(cell_pieces)),
        cell_open=tuple(cell_open),
    )


# --- Seats: disjoint spans per kind -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SeatSpans:
    """One seat's holds by kind, as a list of start minutes and a list of end minutes.

    The columnar form the service builds straight from the database; ``from_holds`` builds
    it from ``(kind, start, end, no_show)`` tuples. The lists may be in any order, and the
    starts need not line up with their ends: how many holds cover an instant is the number
    of starts before it minus the number of ends before it, so the report depends only on
    which starts and ends there are. (Paired in sorted order they describe holds covering
    the same minutes as the original ones, for example after merging.)
    """

    session_starts: Sequence[int] = ()
    session_ends: Sequence[int] = ()
    recovery_starts: Sequence[int] = ()
    recovery_ends: Sequence[int] = ()
    no_show_starts: Sequence[int] = ()
    no_show_ends: Sequence[int] = ()

    @classmethod
    def from_holds(cls, holds: Iterable[SeatHold | Sequence]) -> SeatSpans:
        """From ``(kind, start, end, no_show)`` holds; start and end may be aware datetimes."""
        columns: tuple[list[int], ...] = ([], [], [], [], [], [])
        for kind, start, end, no_show in holds:
            if kind not in HOLD_KINDS:
                raise ValueError(f"A hold's kind must be session or recovery, got {kind!r}")
            start, end = _as_minute(start), _as_minute(end)
            if end <= start:
                raise ValueError(f"A hold must end after it starts, got {start}..{end}")
            at = 4 if no_show else (0 if kind == SESSION else 2)
            columns[at].append(start)
            columns[at + 1].append(end)
        return cls(*columns)

    def pairs(self) -> tuple[tuple[Sequence[int], Sequence[int]], ...]:
        return (
            (self.session_starts, self.session_ends),
            (self.recovery_starts, self.recovery_ends),
            (self.no_show_starts, self.no_show_ends),
        )


def _as_minute(value: int | datetime) -> int:
    return epoch_minute(value) if isinstance(value, datetime) else value


@dataclass(slots=True)
class _Edges:
    """Sorted starts and sorted ends of spans that are disjoint on each seat."""

    starts: list[int]
    ends: list[int]

    @classmethod
    def joined(cls, parts: Iterable[_Edges]) -> _Edges:
        starts: list[int] = []
        ends: list[int] = []
        for part in parts:
            starts += part.starts
            ends += part.ends
        # Concatenated sorted runs: timsort merges them in linear time.
        starts.sort()
        ends.sort()
        return cls(starts, ends)

    def disjoint(self) -> bool:
        """True if no two spans overlap (touching is fine).

        Starts and ends are sorted separately, which loses the pairing; still, the i-th end
        never coming after the (i+1)-th start, for every i, is exactly "never two at once".
        """
        return all(map(le, self.ends, islice(self.starts, 1, None)))

    def blocks(self) -> _Edges:
        """Disjoint spans with touching ones fused (a session running into its recovery)."""
        if len(self.starts) < 2:
            return self
        apart = list(map(ne, islice(self.starts, 1, None), self.ends))
        return _Edges(
            list(compress(self.starts, [True, *apart])), list(compress(self.ends, [*apart, True]))
        )


def _edges_of_spans(spans: Iterable[Span]) -> _Edges:
    starts, ends = [], []
    for span in spans:
        starts.append(epoch_minute(span.start))
        ends.append(epoch_minute(span.end))
    return _Edges(starts, ends)


def _as_spans(starts: Iterable[int], ends: Iterable[int]) -> list[Span]:
    return [Span(minute_instant(s), minute_instant(e)) for s, e in zip(starts, ends, strict=True)]


@dataclass(frozen=True, slots=True)
class _SeatEdges:
    session: _Edges
    recovery: _Edges
    no_show: _Edges
    busy: _Edges  # session and recovery fused: when the seat is in use


def _seat_edges(seat_id: int, spans: SeatSpans) -> _SeatEdges:
    """Disjoint session, recovery and no-show spans of one seat (in that precedence)."""
    kinds = []
    for starts, ends in spans.pairs():
        edges = _Edges(sorted(starts), sorted(ends))
        # Sorted, the k-th start must come before the k-th end for the lists to be holds.
        if len(starts) != len(ends) or not all(map(lt, edges.starts, edges.ends)):
            raise ValueError(f"Seat {seat_id}: every hold must end after it starts")
        kinds.append(edges)
    session, recovery, no_show = kinds
    used = _Edges.joined((session, recovery))
    if not (used.disjoint() and (not no_show.starts or _Edges.joined((used, no_show)).disjoint())):
        # Rare (the database forbids overlapping active holds): resolve with span arithmetic.
        session_raw, recovery_raw, no_show_raw = (_as_spans(e.starts, e.ends) for e in kinds)
        session_spans = spans_merge(session_raw)
        recovery_spans = spans_subtract(recovery_raw, session_spans)
        no_show_spans = spans_subtract(no_show_raw, session_spans + recovery_spans)
        session, recovery, no_show = map(
            _edges_of_spans, (session_spans, recovery_spans, no_show_spans)
        )
        used = _Edges.joined((session, recovery))
    return _SeatEdges(session, recovery, no_show, used.blocks())


# --- Counting -------------------------------------------------------------------------------


def _used_before(edges: _Edges, points: Sequence[int]) -> list[int]:
    """F(t) at each point t: the span-minutes lying before t.

    Every span starting before t contributes t - start, minus t - end if it also ended
    before t: with the sorted starts and ends and their prefix sums that is two bisects per
    point, run by C-level ``map`` over all points at once.
    """
    if not edges.starts:
        return [0] * len(points)
    starts, ends = edges.starts, edges.ends
    start_sums = [0, *accumulate(starts)]
    end_sums = [0, *accumulate(ends)]
    begun = list(map(bisect_left, repeat(starts), points))
    ended = list(map(bisect_left, repeat(ends), points))
    return list(
        map(
            add,
            map(sub, map(mul, points, map(sub, begun, ended)), map(start_sums.__getitem__, begun)),
            map(end_sums.__getitem__, ended),
        )
    )


def _between(values: Sequence[int], lo: Sequence[int], hi: Sequence[int]) -> list[int]:
    """values[hi[k]] - values[lo[k]] for every k."""
    return list(map(sub, map(values.__getitem__, hi), map(values.__getitem__, lo)))


def _window_minutes(edges: _Edges, layout: _Layout) -> list[int]:
    windows = len(layout.window_starts)
    if not edges.starts:
        return [0] * windows
    # One evaluation at every window edge: starts first, then ends.
    at_edges = _used_before(edges, layout.window_edges)
    return list(map(sub, islice(at_edges, windows, None), at_edges))


def _window_peaks(busy: _Edges, layout: _Layout) -> list[int]:
    """The most spans overlapping at one instant of each window."""
    starts, ends = busy.starts, busy.ends
    if not starts:
        return [0] * len(layout.window_starts)
    # Just after the k-th start, k + 1 spans have begun and those ending by then are over
    # (an end at the same minute frees the seat first). With repeated starts the last one
    # of the run counts them all, so the maximum is exact.
    running = list(map(sub, range(1, len(starts) + 1), map(bisect_right, repeat(ends), starts)))
    peaks = []
    for w0, w1 in zip(layout.window_starts, layout.window_ends, strict=True):
        lo = bisect_right(starts, w0)
        at_open = lo - bisect_right(ends, w0)
        hi = bisect_left(starts, w1, lo)
        peaks.append(max(at_open, max(running[lo:hi], default=0)))
    return peaks


@dataclass(frozen=True, slots=True)
class _Counts:
    """Per window: session, used and no-show seat-minutes and peak; per hour cell: used."""

    capacity: int
    session: list[int]
    used: list[int]
    no_show: list[int]
    peaks: list[int]
    cells: list[int]


def _counts(capacity: int, seats: Sequence[_SeatEdges], layout: _Layout) -> _Counts:
    busy = _Edges.joined(seat.busy for seat in seats)
    # Busy spans cover exactly the session and recovery minutes (disjoint on each seat).
    at_bounds = _used_before(busy, layout.bounds)
    piece_sums = [0, *accumulate(_between(at_bounds, layout.piece_lo, layout.piece_hi))]
    return _Counts(
        capacity=capacity,
        session=_window_minutes(_Edges.joined(seat.session for seat in seats), layout),
        used=_between(at_bounds, layout.window_lo, layout.window_hi),
        no_show=_window_minutes(_Edges.joined(seat.no_show for seat in seats), layout),
        peaks=_window_peaks(busy, layout),
        cells=_between(piece_sums, layout.cell_pieces[:-1], layout.cell_pieces[1:]),
    )


def _summarise(counts: _Counts, layout: _Layout) -> tuple[Usage, tuple[PeriodUsage, ...], HourGrid]:
    offsets = layout.period_windows
    session = _between([0, *accumulate(counts.session)], offsets[:-1], offsets[1:])
    used = _between([0, *accumulate(counts.used)], offsets[:-1], offsets[1:])
    no_show = _between([0, *accumulate(counts.no_show)], offsets[:-1], offsets[1:])
    peaks = [max(counts.peaks[a:b], default=0) for a, b in pairwise(offsets)]
    periods = tuple(
        PeriodUsage(
            period,
            Usage(
                available_seat_minutes=counts.capacity * period.opening_minutes,
                session_seat_minutes=session[i],
                recovery_seat_minutes=used[i] - session[i],
                no_show_seat_minutes=no_show[i],
                peak_concurrency=peaks[i],
            ),
        )
        for i, period in enumerate(layout.periods)
    )
    usage = Usage(
        available_seat_minutes=counts.capacity * sum(p.opening_minutes for p in layout.periods),
        session_seat_minutes=sum(session),
        recovery_seat_minutes=sum(used) - sum(session),
        no_show_seat_minutes=sum(no_show),
        peak_concurrency=max(peaks, default=0),
    )
    cells, available = counts.cells, [counts.capacity * m for m in layout.cell_open]
    grid = HourGrid(
        used=tuple(tuple(cells[d * 24 : d * 24 + 24]) for d in WEEKDAYS),
        available=tuple(tuple(available[d * 24 : d * 24 + 24]) for d in WEEKDAYS),
    )
    return usage, periods, grid


def _added(rows: Iterable[list[int]], size: int) -> list[int]:
    total = [0] * size
    for row in rows:
        total = list(map(add, total, row))
    return total


def utilization_validate(date_from: date, date_to: date, granularity: str) -> None:
    """ValueError naming what is wrong with a requested range."""
    if date_to < date_from:
        raise ValueError("date_to must not be before date_from")
    if (date_to - date_from).days + 1 > MAX_DAYS:
        raise ValueError(f"A report covers at most {MAX_DAYS} days")
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {', '.join(GRANULARITIES)}")


def utilization_compute(
    *,
    calendar: ClinicCalendar,
    rooms: Sequence[RoomRef],
    holds: Mapping[int, SeatSpans | Iterable[SeatHold | Sequence]],
    date_from: date,
    date_to: date,
    granularity: str = DAY,
) -> UtilizationReport:
    """Utilization of each room over local dates ``date_from``..``date_to`` (inclusive).

    ``holds`` maps a seat id to its holds: a ``SeatSpans``, or ``(kind, start, end,
    no_show)`` tuples. Give the active session and recovery holds, and flag the holds of
    no-show appointments; leave cancelled ones out. Seats not in ``rooms`` are ignored, and
    so is whatever lies outside the range or outside opening hours.
    """
    utilization_validate(date_from, date_to, granularity)
    layout = _layout(calendar, date_from, date_to, granularity)
    no_holds = SeatSpans()
    room_results = []
    all_seats: list[_SeatEdges] = []
    room_counts: list[_Counts] = []
    for room in rooms:
        seats = []
        for seat_id in room.seat_ids:
            seat_holds = holds.get(seat_id, no_holds)
            if not isinstance(seat_holds, SeatSpans):
                seat_holds = SeatSpans.from_holds(seat_holds)
            seats.append(_seat_edges(seat_id, seat_holds))
        counts = _counts(room.capacity, seats, layout)
        room_results.append(RoomUtilization(room, *_summarise(counts, layout)))
        all_seats += seats
        room_counts.append(counts)

    windows = len(layout.window_starts)
    total_counts = _Counts(
        capacity=sum(room.capacity for room in rooms),
        session=_added((c.session for c in room_counts), windows),
        used=_added((c.used for c in room_counts), windows),
        no_show=_added((c.no_show for c in room_counts), windows),
        peaks=_window_peaks(_Edges.joined(seat.busy for seat in all_seats), layout),
        cells=_added((c.cells for c in room_counts), 7 * 24),
    )
    total, total_periods, total_grid = _summarise(total_counts, layout)
    return UtilizationReport(
        tz=calendar.tz,
        date_from=date_from,
        date_to=date_to,
        granularity=granularity,
        periods=layout.periods,
        rooms=tuple(room_results),
        total=total,
        total_periods=total_periods,
        grid=total_grid,
    )

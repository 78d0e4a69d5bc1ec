"""Ordinals, and the local dates a planned session may fall on.

Only date arithmetic lives here: gaps, offsets, week grids and follow-up windows. Times of day
and resources are the search's business. A window is always computed from the dates the plan
has so far (placed, kept, pinned, or nominal for sessions that could not be placed), so one
rule serves a fresh expansion, a re-plan around booked sessions and a cascade.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType

from backend.plans.engine.rules import PhaseRule

ONE_DAY = timedelta(days=1)

# A gap window that starts at most this many days short of a whole number of weeks is a weekly
# rhythm ("weekly", "every two weeks"): the same weekday is tried first, so the course does not
# drift a day earlier every session just because the earliest day happened to be free.
WEEKLY_RHYTHM_SLACK_DAYS = 3

# Windows without an upper bound (a first session with no offset_max_days) are searched this
# far: a session that fits nowhere in four weeks needs a person to decide, not a longer scan.
OPEN_WINDOW_DAYS = 28

_NO_DATES: Mapping[int, date] = MappingProxyType({})


@dataclass(frozen=True)
class Gap:
    """Days allowed between two dates; ``most`` None means no upper limit."""

    least: int
    most: int | None

    def __add__(self, other: Gap) -> Gap:
        most = None if self.most is None or other.most is None else self.most + other.most
        return Gap(self.least + other.least, most)


def _min_or_none(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def rhythm_days(gap: Gap) -> int | None:
    """The whole number of weeks tried first within ``gap``, if the gap is a weekly rhythm."""
    target = 7 * max(1, -(-gap.least // 7))
    if gap.most is not None and target > gap.most:
        return None
    if target - gap.least > WEEKLY_RHYTHM_SLACK_DAYS:
        return None
    return target


def phase_count(phase: PhaseRule, counts: Mapping[str, int]) -> int:
    """How many sessions a phase has; ``counts`` holds the phases before it.

    An open-ended phase gets as many sessions as its nominal cadence puts before its horizon:
    ``sessions_per_week`` per week on a week grid, else one per nominal gap (the weekly rhythm
    if the gap window has one, else the minimum gap). The count never depends on the calendar,
    so ordinals stay stable between a preview, a booking, a re-plan and a cascade.
    """
    if phase.follows is not None:
        return counts[phase.follows]
    if phase.count is not None:
        return phase.count
    assert phase.horizon_weeks is not None  # phases_validate guarantees it
    if phase.sessions_per_week is not None:
        return phase.horizon_weeks * phase.sessions_per_week
    nominal = rhythm_days(Gap(phase.min_gap_days, phase.max_gap_days)) or phase.min_gap_days
    return -(-(phase.horizon_weeks * 7) // nominal)


@dataclass(frozen=True)
class SessionDef:
    """One session of the layout.

    ``chain`` is its position among the sessions that are not follow-ups (each of which is
    spaced from the one before it); ``follows`` is the ordinal of the session a follow-up
    comes after.
    """

    ordinal: int
    phase: PhaseRule
    index: int
    chain: int | None
    follows: int | None


@dataclass(frozen=True)
class Layout:
    sessions: tuple[SessionDef, ...]
    chain: tuple[SessionDef, ...]
    counts: Mapping[str, int]
    previous: Mapping[str, PhaseRule | None]
    first_chain: Mapping[str, int]

    def session(self, ordinal: int) -> SessionDef | None:
        if 1 <= ordinal <= len(self.sessions):
            return self.sessions[ordinal - 1]
        return None


def layout_build(phases: Sequence[PhaseRule]) -> Layout:
    """Ordinals 1..N in template order, each phase's sessions numbered consecutively."""
    counts: dict[str, int] = {}
    first_ordinal: dict[str, int] = {}
    previous: dict[str, PhaseRule | None] = {}
    first_chain: dict[str, int] = {}
    sessions: list[SessionDef] = []
    chain: list[SessionDef] = []
    last_chain_phase: PhaseRule | None = None
    for phase in phases:
        count = phase_count(phase, counts)
        counts[phase.key] = count
        first_ordinal[phase.key] = len(sessions) + 1
        if phase.follows is None:
            previous[phase.key] = last_chain_phase
            last_chain_phase = phase
            first_chain[phase.key] = len(chain)
        for index in range(count):
            ordinal = len(sessions) + 1
            if phase.follows is None:
                session = SessionDef(ordinal, phase, index, len(chain), None)
                chain.append(session)
            else:
                session = SessionDef(
                    ordinal, phase, index, None, first_ordinal[phase.follows] + index
                )
            sessions.append(session)
    return Layout(tuple(sessions), tuple(chain), counts, previous, first_chain)


def step_gap(layout: Layout, pos: int) -> Gap:
    """Days from the chain session before ``pos`` (or from the start date) to the one at ``pos``."""
    session = layout.chain[pos]
    phase = session.phase
    if pos == 0:
        return Gap(phase.offset_min_days, phase.offset_max_days)
    if session.index > 0:
        return Gap(phase.min_gap_days, phase.max_gap_days)
    # The first session of a later phase: its offset and its own gaps both count from the last
    # session of the phase before, and both must hold.
    return Gap(
        max(phase.offset_min_days, phase.min_gap_days),
        _min_or_none(phase.offset_max_days, phase.max_gap_days),
    )


def chain_back(layout: Layout, pos: int, dates: Mapping[int, date]) -> tuple[int | None, Gap]:
    """The nearest earlier chain session with a date (None: the start date), and the gap to it.

    Sessions without a date in between (cancelled ones in a cascade) add their gaps, so the
    window still leaves room for the cadence they would have had.
    """
    gap = Gap(0, 0)
    k = pos
    while True:
        gap = gap + step_gap(layout, k)
        if k == 0:
            return None, gap
        k -= 1
        ordinal = layout.chain[k].ordinal
        if ordinal in dates:
            return ordinal, gap


def chain_ahead(
    layout: Layout, pos: int, anchors: Mapping[int, date]
) -> tuple[int, date, Gap] | None:
    """The next later chain session whose date is already decided, and the gap to it."""
    gap = Gap(0, 0)
    for k in range(pos + 1, len(layout.chain)):
        gap = gap + step_gap(layout, k)
        ordinal = layout.chain[k].ordinal
        if ordinal in anchors:
            return ordinal, anchors[ordinal], gap
    return None


def grid_start(
    layout: Layout, phase: PhaseRule, dates: Mapping[int, date], start_date: date
) -> date:
    """Day 1 of a week-grid phase's first week.

    A grid that comes right after another grid continues its weeks (Spravato's weeks 5-8 start
    where weeks 1-4 end, whatever day the last induction session fell on); any other grid
    starts at its anchor plus the phase offset.
    """
    before = layout.previous[phase.key]
    if before is None:
        return start_date + timedelta(days=phase.offset_min_days)
    if before.sessions_per_week:
        weeks = -(-layout.counts[before.key] // before.sessions_per_week)
        return grid_start(layout, before, dates, start_date) + timedelta(days=7 * weeks)
    anchor, _ = chain_back(layout, layout.first_chain[phase.key], dates)
    base = dates[anchor] if anchor is not None else start_date
    return base + timedelta(days=phase.offset_min_days)


@dataclass(frozen=True)
class Window:
    """The local dates one session may fall on, and what they are relative to (for reasons).

    ``lo``..``hi`` are hard limits (``hi`` None: no upper limit); ``prefer`` is tried first;
    ``cap`` is a softer limit that leaves room for the rest of a grid week.
    """

    lo: date
    hi: date | None
    prefer: date | None = None
    cap: date | None = None
    after: int | None = None
    gap: Gap | None = None
    before: int | None = None
    gap_before: Gap | None = None
    week: tuple[date, date] | None = None
    follows: bool = False

    @property
    def last(self) -> date:
        """The last date a search looks at."""
        end = self.hi if self.hi is not None else self.lo + timedelta(days=OPEN_WINDOW_DAYS)
        if self.cap is not None and self.cap < end:
            end = self.cap
        return end

    def holds(self, day: date) -> bool:
        return self.lo <= day and (self.hi is None or day <= self.hi)

    def clamp(self, day: date) -> date:
        if day < self.lo:
            return self.lo
        if self.hi is not None and day > self.hi:
            return max(self.hi, self.lo)
        return day


def _week_cap(
    layout: Layout, session: SessionDef, lo: date, week_last: date, allowed: Callable[[date], bool]
) -> date | None:
    """The latest date that still leaves open days for the later sessions of the same week."""
    phase = session.phase
    assert phase.sessions_per_week is not None
    later = min(
        phase.sessions_per_week - 1 - session.index % phase.sessions_per_week,
        layout.counts[phase.key] - 1 - session.index,
    )
    if later <= 0:
        return None
    step = timedelta(days=max(phase.min_gap_days, 1))
    day = week_last
    for _ in range(later):
        while day >= lo and not allowed(day):
            day -= ONE_DAY
        day -= step
    probe = day
    while probe >= lo:
        if allowed(probe):
            return day
        probe -= ONE_DAY
    # The week cannot hold all its sessions anyway: do not starve this one for the others.
    return None


def window_build(
    layout: Layout,
    session: SessionDef,
    dates: Mapping[int, date],
    start_date: date,
    *,
    allowed: Callable[[date], bool] | None = None,
    ahead: Mapping[int, date] = _NO_DATES,
) -> Window:
    """The window of ``session`` given the dates decided so far.

    ``allowed`` (open and on a preferred weekday) enables the week-spreading cap; ``ahead``
    holds later sessions whose dates are already decided (kept or pinned), which this one must
    leave room before.
    """
    phase = session.phase
    if session.follows is not None:
        base = dates[session.follows]
        gap = Gap(phase.follows_min_days, phase.follows_max_days)
        return Window(
            lo=base + timedelta(days=gap.least),
            hi=base + timedelta(days=gap.most if gap.most is not None else gap.least),
            after=session.follows,
            gap=gap,
            follows=True,
        )

    assert session.chain is not None
    anchor, gap = chain_back(layout, session.chain, dates)
    base = dates[anchor] if anchor is not None else start_date
    lo = base + timedelta(days=gap.least)
    hi = None if gap.most is None else base + timedelta(days=gap.most)
    rhythm = rhythm_days(gap) if anchor is not None else None
    prefer = base + timedelta(days=rhythm) if rhythm is not None else None

    week = None
    if phase.sessions_per_week:
        first = grid_start(layout, phase, dates, start_date) + timedelta(
            days=7 * (session.index // phase.sessions_per_week)
        )
        week = (first, first + timedelta(days=6))
        lo = max(lo, week[0])
        hi = week[1] if hi is None else min(hi, week[1])

    before = gap_before = None
    nxt = chain_ahead(layout, session.chain, ahead)
    if nxt is not None:
        before, day, gap_before = nxt
        latest = day - timedelta(days=gap_before.least)
        hi = latest if hi is None else min(hi, latest)
        if gap_before.most is not None:
            lo = max(lo, day - timedelta(days=gap_before.most))

    if prefer is not None and not (lo <= prefer and (hi is None or prefer <= hi)):
        prefer = None
    cap = None
    if week is not None and allowed is not None:
        cap = _week_cap(layout, session, lo, min(week[1], hi or week[1]), allowed)
    return Window(
        lo=lo,
        hi=hi,
        prefer=prefer,
        cap=cap,
        after=anchor,
        gap=gap,
        before=before,
        gap_before=gap_before,
        week=week,
    )

"""Clinical capacity rules beyond seats: monitors per recovering patient, a prescriber on site.

Pure: plain spans in, a verdict and its reason out. The caller (``booking.fetch``) loads the
clinic's recovery spans and the working spans of its monitors and prescribers once per
decision; availability search, booking, plan expansion, group enrolment and the reschedule
cascade all ask these same two questions of that same state, so no start passes one and
fails another.

- **Monitoring ratio.** At every instant of a new recovery span, the patients recovering
  then (the new one included) may be at most ``monitors working then x ratio``
  (peri-anaesthesia guidance: one nurse per 3-5 patients in extended observation).
- **Prescriber on site.** A type that requires it needs at least one prescriber working
  (not necessarily free) at every instant of its session and monitoring span (Spravato
  REMS).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from backend.scheduling.resources.intervals import Span


class SpanCounts:
    """A multiset of spans that answers "how many cover each instant of [a, b)?".

    Spans are kept sorted by start; every span is at most ``longest`` long, so the spans
    that touch a window are found by one bisect, and a check costs O(log n + k log k) for
    the k spans that actually overlap the window.
    """

    __slots__ = ("_longest", "_spans", "_starts")

    def __init__(self, spans=()) -> None:
        self._spans: list[Span] = sorted(spans)
        self._starts: list[datetime] = [s.start for s in self._spans]
        self._longest = max((s.end - s.start for s in self._spans), default=timedelta(0))

    def __len__(self) -> int:
        return len(self._spans)

    def __iter__(self):
        return iter(list(self._spans))

    def add(self, span: Span) -> None:
        at = bisect_right(self._spans, span)
        self._spans.insert(at, span)
        self._starts.insert(at, span.start)
        self._longest = max(self._longest, span.end - span.start)

    def remove(self, span: Span) -> None:
        """Forget one occurrence of ``span``; ValueError if there is none."""
        at = bisect_left(self._spans, span)
        if at == len(self._spans) or self._spans[at] != span:
            raise ValueError(f"{span!r} is not counted here")
        del self._spans[at]
        del self._starts[at]

    def overlapping(self, start: datetime, end: datetime) -> list[Span]:
        lo = bisect_left(self._starts, start - self._longest)
        hi = bisect_left(self._starts, end)
        return [s for s in self._spans[lo:hi] if s.end > start]

    def profile(self, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
        """The step function of the count over [start, end): (from this instant, count)."""
        return _profile(self.overlapping(start, end), start, end)


def _profile(spans: list[Span], start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    deltas: dict[datetime, int] = {start: 0}
    for span in spans:
        a, b = max(span.start, start), min(span.end, end)
        if a >= b:
            continue
        deltas[a] = deltas.get(a, 0) + 1
        if b < end:
            deltas[b] = deltas.get(b, 0) - 1
    steps, count = [], 0
    for instant in sorted(deltas):
        count += deltas[instant]
        steps.append((instant, count))
    return steps


def _merge_profiles(
    first: list[tuple[datetime, int]], second: list[tuple[datetime, int]]
) -> list[tuple[datetime, int, int]]:
    """Both step functions (which start at the same instant) at every instant either changes."""
    instants = sorted({t for t, _ in first} | {t for t, _ in second})
    merged, i, j = [], 0, 0
    for instant in instants:
        while i + 1 < len(first) and first[i + 1][0] <= instant:
            i += 1
        while j + 1 < len(second) and second[j + 1][0] <= instant:
            j += 1
        merged.append((instant, first[i][1], second[j][1]))
    return merged


@dataclass
class ClinicCapacity:
    """The clinic-wide state the two rules read, for the window of one decision.

    ``recovering`` holds the recovery span of every active appointment of the clinic;
    ``monitors`` and ``prescribers`` one span per shift of each staff member of those roles
    (after absences, as the fetch computes working windows). Shared by a plan's boards, so a
    course sees its own tentative sessions.
    """

    recovering_per_monitor: int
    recovering: SpanCounts = field(default_factory=SpanCounts)
    monitors: SpanCounts = field(default_factory=SpanCounts)
    prescribers: SpanCounts = field(default_factory=SpanCounts)

    def __post_init__(self) -> None:
        if self.recovering_per_monitor < 1:
            raise ValueError(
                f"recovering_per_monitor must be >= 1, got {self.recovering_per_monitor}"
            )


@dataclass(frozen=True)
class MonitoringShortfall:
    """The first instant a new recovery would break the ratio, with the counts then."""

    at: datetime
    recovering: int  # including the new patient
    monitors: int
    ratio: int


def monitoring_shortfall(capacity: ClinicCapacity, recovery: Span) -> MonitoringShortfall | None:
    """None if one more patient can recover over ``recovery``; else where it breaks."""
    return monitoring_shortfall_between(capacity, recovery.start, recovery.end)


def monitoring_shortfall_between(
    capacity: ClinicCapacity, start: datetime, end: datetime
) -> MonitoringShortfall | None:
    """``monitoring_shortfall`` without building a Span (search's hot loop)."""
    ratio = capacity.recovering_per_monitor
    steps = _merge_profiles(
        capacity.recovering.profile(start, end), capacity.monitors.profile(start, end)
    )
    for instant, recovering, monitors in steps:
        if recovering + 1 > monitors * ratio:
            return MonitoringShortfall(instant, recovering + 1, monitors, ratio)
    return None


def prescriber_gap(capacity: ClinicCapacity, start: datetime, end: datetime) -> datetime | None:
    """The first instant of [start, end) when no prescriber works; None if one always does."""
    for instant, count in capacity.prescribers.profile(start, end):
        if count == 0:
            return instant
    return None


def ratio_exceeded_at(
    recovering: list[Span], monitors: list[Span], ratio: int, start: datetime, end: datetime
) -> list[tuple[datetime, datetime, int, int]]:
    """Every step of [start, end) where recovering > monitors x ratio: (from, until,
    recovering, monitors). For the day board, which looks at what is, not at one more."""
    steps = _merge_profiles(_profile(recovering, start, end), _profile(monitors, start, end))
    ends = [t for t, _, _ in steps[1:]] + [end]
    return [(t, u, r, m) for (t, r, m), u in zip(steps, ends, strict=True) if r > m * ratio]


def peak_load(
    recovering: list[Span], monitors: list[Span], start: datetime, end: datetime
) -> tuple[int, int, float | None]:
    """(peak recovering, monitors at that peak, peak recovering per working monitor).

    The load is None when nobody recovers; infinite when patients recover with no monitor.
    """
    steps = _merge_profiles(_profile(recovering, start, end), _profile(monitors, start, end))
    peak = (0, 0, None)
    for _, r, m in steps:
        if r == 0:
            continue
        load = r / m if m else float("inf")
        if peak[2] is None or load > peak[2]:
            peak = (r, m, load)
    return peak

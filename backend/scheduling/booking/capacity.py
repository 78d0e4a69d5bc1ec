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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from backend.scheduling.resources.intervals import EpochBlocks, Span

# Queries of one unchanged state after which the whole step function is built once.
CACHE_AFTER_USES = 8


class SpanCounts:
    """A multiset of spans that answers "how many cover each instant of [a, b)?".

    Spans are kept sorted by start; every span is at most ``longest`` long, so the spans
    that touch a window are found by one bisect, and a check costs O(log n + k log k) for
    the k spans that actually overlap the window.
    """

    __slots__ = (
        "_counts",
        "_epoch_pairs",
        "_epoch_steps",
        "_longest",
        "_spans",
        "_starts",
        "_times",
        "_uses",
    )

    def __init__(self, spans=()) -> None:
        self._epoch_pairs: list[tuple[int, int]] | None = None
        self._epoch_steps: EpochSteps | None = None
        self._init_spans(sorted(spans))

    def _init_spans(self, spans: list[Span]) -> None:
        self._spans: list[Span] = spans
        self._starts: list[datetime] = [s.start for s in self._spans]
        self._longest = max((s.end - s.start for s in self._spans), default=timedelta(0))
        # The whole step function, built on first use and dropped by add/remove: search
        # asks hundreds of windows of one unchanging state, a planner few of each state.
        self._times: list[datetime] | None = None
        self._counts: list[int] = []
        self._uses = 0

    @classmethod
    def from_epoch(cls, pairs) -> SpanCounts:
        """Spans given as ``(start, end)`` whole epoch seconds (as holds are read); their
        datetimes are built only when first asked for (search asks ``epoch_steps``)."""
        counts = cls.__new__(cls)
        counts._epoch_pairs = sorted(pairs)
        counts._epoch_steps = None
        counts._spans = None
        return counts

    def _materialize(self) -> None:
        pairs, self._epoch_pairs = self._epoch_pairs, None
        self._init_spans([Span.from_epoch(start, end) for start, end in pairs])

    def __len__(self) -> int:
        if self._spans is None:
            return len(self._epoch_pairs)
        return len(self._spans)

    def __iter__(self):
        if self._spans is None:
            self._materialize()
        return iter(list(self._spans))

    def add(self, span: Span) -> None:
        if self._spans is None:
            self._materialize()
        self._epoch_steps = None
        at = bisect_right(self._spans, span)
        self._spans.insert(at, span)
        self._starts.insert(at, span.start)
        self._longest = max(self._longest, span.end - span.start)
        self._times, self._uses = None, 0

    def remove(self, span: Span) -> None:
        """Forget one occurrence of ``span``; ValueError if there is none."""
        if self._spans is None:
            self._materialize()
        self._epoch_steps = None
        at = bisect_left(self._spans, span)
        if at == len(self._spans) or self._spans[at] != span:
            raise ValueError(f"{span!r} is not counted here")
        del self._spans[at]
        del self._starts[at]
        self._times, self._uses = None, 0

    def epoch_steps(self) -> EpochSteps | None:
        """The count as a step function over whole epoch seconds, for search's loop; None
        if a span does not start and end on a whole second (then only ``profile`` is
        exact)."""
        if self._epoch_steps is not None:
            return self._epoch_steps
        if self._spans is None:
            pairs = self._epoch_pairs
        else:
            pairs = [(s.start.timestamp(), s.end.timestamp()) for s in self._spans]
            if any(start != int(start) or end != int(end) for start, end in pairs):
                return None
        deltas: dict[int, int] = {}
        for start, end in pairs:
            start, end = int(start), int(end)
            deltas[start] = deltas.get(start, 0) + 1
            deltas[end] = deltas.get(end, 0) - 1
        times, counts, count = [], [], 0
        for instant in sorted(deltas):
            count += deltas[instant]
            times.append(instant)
            counts.append(count)
        self._epoch_steps = EpochSteps(times, counts)
        return self._epoch_steps

    def overlapping(self, start: datetime, end: datetime) -> list[Span]:
        if self._spans is None:
            self._materialize()
        lo = bisect_left(self._starts, start - self._longest)
        hi = bisect_left(self._starts, end)
        return [s for s in self._spans[lo:hi] if s.end > start]

    def profile(self, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
        """The step function of the count over [start, end): (from this instant, count)."""
        if self._spans is None:
            self._materialize()
        if self._times is None:
            self._uses += 1
            if self._uses < CACHE_AFTER_USES or not self._spans:
                return _profile(self.overlapping(start, end), start, end)
            last = max(s.end for s in self._spans) + timedelta(seconds=1)
            steps = _profile(self._spans, self._spans[0].start, last)
            self._times = [t for t, _ in steps]
            self._counts = [c for _, c in steps]
        times, counts = self._times, self._counts
        i = bisect_right(times, start)
        j = bisect_left(times, end)
        first = counts[i - 1] if i else 0
        return [(start, first), *zip(times[i:j], counts[i:j], strict=True)]


class EpochSteps:
    """How many spans cover each instant, as ``times`` (whole epoch seconds, ascending) and
    the count from each of them on; zero before the first."""

    __slots__ = ("counts", "times")

    def __init__(self, times: list[int], counts: list[int]) -> None:
        self.times = times
        self.counts = counts


# Bounds for "before the first change" and "after the last" in whole epoch seconds.
_EARLIEST, _LATEST = -(2**62), 2**62


def _bad_blocks(changes: Iterable[tuple[int, bool]], bad_at_first: bool) -> EpochBlocks:
    """The instants where a rule fails, as blocks, from (instant, fails from here on)."""
    starts: list[int] = []
    ends: list[int] = []
    since = _EARLIEST if bad_at_first else None
    for instant, bad in changes:
        if bad and since is None:
            since = instant
        elif not bad and since is not None:
            if since < instant:
                starts.append(since)
                ends.append(instant)
            since = None
    if since is not None:
        starts.append(since)
        ends.append(_LATEST)
    return EpochBlocks(starts, ends)


def _ratio_changes(
    recovering: EpochSteps, monitors: EpochSteps, ratio: int
) -> Iterator[tuple[int, bool]]:
    """One merge of the two step functions (each time appears once in its own): at each
    instant either changes, whether one more recovering patient breaks the ratio."""
    r_times, r_counts = recovering.times, recovering.counts
    m_times, m_counts = monitors.times, monitors.counts
    r_len, m_len = len(r_times), len(m_times)
    i = j = now_recovering = now_monitors = 0
    while i < r_len or j < m_len:
        if j == m_len or (i < r_len and r_times[i] < m_times[j]):
            instant, now_recovering = r_times[i], r_counts[i]
            i += 1
        elif i == r_len or m_times[j] < r_times[i]:
            instant, now_monitors = m_times[j], m_counts[j]
            j += 1
        else:  # both change at this instant
            instant, now_recovering, now_monitors = r_times[i], r_counts[i], m_counts[j]
            i += 1
            j += 1
        # One more patient breaks the ratio: recovering + 1 > monitors x ratio.
        yield instant, now_recovering >= now_monitors * ratio


def monitoring_short_blocks(
    recovering: EpochSteps, monitors: EpochSteps, ratio: int
) -> EpochBlocks:
    """Where one more recovering patient would break the ratio, as blocks of whole epoch
    seconds: ``monitoring_shortfall_between`` for a recovery span is "the span meets a
    block", one bisect instead of a walk over the steps it covers. A 4-week search merges
    about a thousand steps."""
    # Before any change nobody recovers and no monitor works: one patient is one too many.
    return _bad_blocks(_ratio_changes(recovering, monitors, ratio), bad_at_first=True)


def prescriber_gap_blocks(prescribers: EpochSteps) -> EpochBlocks:
    """Where no prescriber works, as blocks of whole epoch seconds (``prescriber_gap`` for
    a span is "the span meets a block")."""
    changes = list(zip(prescribers.times, (c == 0 for c in prescribers.counts), strict=True))
    return _bad_blocks(changes, bad_at_first=True)


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
    # Monitors change a few times a day: walk their steps, and within each the recovering
    # count's steps (no merging; search asks this for every candidate start).
    monitor_steps = capacity.monitors.profile(start, end)
    bounds = [instant for instant, _ in monitor_steps[1:]] + [end]
    for (since, monitors), until in zip(monitor_steps, bounds, strict=True):
        for instant, recovering in capacity.recovering.profile(since, until):
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

"""Half-open time spans and per-resource timelines of busy spans.

Every span is stored in UTC: comparing datetimes that share one tzinfo object is both correct
across DST changes and much faster than comparing instants in different zones.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple


def aware_to_utc(value: datetime, name: str = "value") -> datetime:
    """The same instant in UTC; ValueError for naive datetimes, whose instant is unknowable."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """The half-open interval [start, end) between two aware instants, normalised to UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        start = aware_to_utc(self.start, "start")
        end = aware_to_utc(self.end, "end")
        if end <= start:
            raise ValueError(
                f"A span must end after it starts: {start.isoformat()} .. {end.isoformat()}"
            )
        # Frozen: normalising to UTC in place is the only way to keep equality and hashing
        # independent of the zone the caller happened to use.
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    @classmethod
    def from_epoch(cls, start: int, end: int) -> Span:
        """A span from UTC epoch seconds, as the database hands busy spans over in bulk.

        Skips the checks of the constructor: the rows come from a table whose constraint
        already guarantees end > start, and building thousands of validated datetimes was
        the largest cost of loading a plan's calendar.
        """
        span = object.__new__(cls)
        object.__setattr__(span, "start", datetime.fromtimestamp(start, UTC))
        object.__setattr__(span, "end", datetime.fromtimestamp(end, UTC))
        return span

    @property
    def minutes(self) -> float:
        """Real elapsed minutes (a 09:00-17:00 local span is 480 even on a DST day)."""
        return (self.end - self.start).total_seconds() / 60

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: Span) -> bool:
        return self.start <= other.start and other.end <= self.end


def spans_merge(spans: Iterable[Span]) -> list[Span]:
    """Sorted, with overlapping and touching spans coalesced (touching spans leave no gap)."""
    merged: list[Span] = []
    for span in sorted(spans):
        if merged and span.start <= merged[-1].end:
            if span.end > merged[-1].end:
                merged[-1] = Span(merged[-1].start, span.end)
        else:
            merged.append(span)
    return merged


def spans_intersect(a: Iterable[Span], b: Iterable[Span]) -> list[Span]:
    """The instants covered by both collections, as merged spans."""
    left, right = spans_merge(a), spans_merge(b)
    result: list[Span] = []
    i = j = 0
    while i < len(left) and j < len(right):
        start = max(left[i].start, right[j].start)
        end = min(left[i].end, right[j].end)
        if start < end:
            result.append(Span(start, end))
        if left[i].end <= right[j].end:
            i += 1
        else:
            j += 1
    return result


def spans_subtract(spans: Iterable[Span], cuts: Iterable[Span]) -> list[Span]:
    """The instants of ``spans`` not covered by any of ``cuts``, as merged spans."""
    remaining = spans_merge(spans)
    holes = spans_merge(cuts)
    result: list[Span] = []
    j = 0
    for span in remaining:
        cursor = span.start
        # Holes are sorted and disjoint, so ones ending before this span can never matter again.
        while j < len(holes) and holes[j].end <= cursor:
            j += 1
        k = j
        while k < len(holes) and holes[k].start < span.end:
            if holes[k].start > cursor:
                result.append(Span(cursor, holes[k].start))
            cursor = max(cursor, holes[k].end)
            k += 1
        if cursor < span.end:
            result.append(Span(cursor, span.end))
    return result


def spans_total_minutes(spans: Iterable[Span]) -> float:
    """Minutes covered by the union of the spans (overlaps count once)."""
    return sum(span.minutes for span in spans_merge(spans))


def epoch_floor(value: datetime) -> int:
    """Whole seconds since 1970-01-01 UTC, rounded down."""
    return math.floor(value.timestamp())


def epoch_ceil(value: datetime) -> int:
    """Whole seconds since 1970-01-01 UTC, rounded up."""
    return math.ceil(value.timestamp())


class EpochSpan(NamedTuple):
    """A span as whole UTC epoch seconds, for loops that test thousands of starts."""

    start: int
    end: int


def _blocks_merge(pairs: Iterable[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """Sorted ``(start, end)`` pairs as the start and end lists of their disjoint union."""
    starts: list[int] = []
    ends: list[int] = []
    for start, end in pairs:
        if ends and start <= ends[-1]:
            if end > ends[-1]:
                ends[-1] = end
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


class EpochBlocks:
    """A timeline's busy union in whole epoch seconds: ``Timeline.is_free_between`` for
    integer instants, with no datetime in the loop.

    Blocks are widened to whole seconds (start rounded down, end up), which answers
    exactly as the timeline does for any whole-second span: every start and end that
    search and booking test is one.
    """

    __slots__ = ("ends", "starts")

    def __init__(self, starts: list[int], ends: list[int]) -> None:
        self.starts = starts
        self.ends = ends

    def is_free_between(self, start: int, end: int) -> bool:
        starts = self.starts
        i = bisect_right(starts, start)
        if i and self.ends[i - 1] > start:
            return False
        return i == len(starts) or starts[i] >= end

    def free_from(self, start: int, end: int) -> int:
        """``start`` if ``[start, end)`` is free; else the end of the last block it meets.

        No span as long starting before that end is free: it would begin before the block
        ends and end after the block begins. Search's loop jumps its candidates there.
        """
        j = bisect_left(self.starts, end)
        if j and self.ends[j - 1] > start:
            return self.ends[j - 1]
        return start


class Timeline:
    """The busy spans of one resource (a seat, a staff member, a patient).

    Input spans may overlap each other (a patient's appointments at two clinics, a planner's
    tentative holds), so besides the spans themselves the timeline keeps their union as
    disjoint, sorted blocks; freedom is then one bisect away.

    A timeline read from the database as epoch seconds (``from_epoch``) builds its
    datetimes only when first asked for them: availability search asks only ``epoch``.
    """

    __slots__ = ("_block_ends", "_block_starts", "_epoch", "_epoch_pairs", "_spans", "_starts")

    @classmethod
    def from_epoch(cls, pairs: Iterable[tuple[int, int]]) -> Timeline:
        """A timeline of ``(start, end)`` whole epoch seconds (end after start, as the
        tables' constraints guarantee)."""
        timeline = cls.__new__(cls)
        ordered = sorted(pairs)
        timeline._epoch_pairs = ordered
        timeline._epoch = EpochBlocks(*_blocks_merge(ordered))
        timeline._spans = None
        return timeline

    def _materialize(self) -> None:
        """Build the datetime spans and blocks of a timeline made ``from_epoch``."""
        pairs = self._epoch_pairs
        self._spans = [Span.from_epoch(start, end) for start, end in pairs]
        self._starts = [span.start for span in self._spans]
        self._block_starts = [datetime.fromtimestamp(t, UTC) for t in self._epoch.starts]
        self._block_ends = [datetime.fromtimestamp(t, UTC) for t in self._epoch.ends]
        self._epoch_pairs = None

    @property
    def epoch(self) -> EpochBlocks:
        """The busy union in whole epoch seconds (see ``EpochBlocks``)."""
        if self._epoch is None:
            self._epoch = EpochBlocks(
                *_blocks_merge(
                    (epoch_floor(start), epoch_ceil(end))
                    for start, end in zip(self._block_starts, self._block_ends, strict=True)
                )
            )
        return self._epoch

    def __init__(self, spans: Iterable[Span] = ()) -> None:
        self._epoch = None
        self._epoch_pairs = None
        ordered = sorted(spans)
        self._spans: list[Span] = ordered
        self._starts: list[datetime] = [span.start for span in ordered]
        # The union as parallel start/end lists, merged in one pass without building Spans:
        # timelines are built by the thousand when a plan's calendar is loaded.
        block_starts: list[datetime] = []
        block_ends: list[datetime] = []
        for span in ordered:
            if block_ends and span.start <= block_ends[-1]:
                if span.end > block_ends[-1]:
                    block_ends[-1] = span.end
            else:
                block_starts.append(span.start)
                block_ends.append(span.end)
        self._block_starts = block_starts
        self._block_ends = block_ends

    def __len__(self) -> int:
        if self._spans is None:
            return len(self._epoch_pairs)
        return len(self._spans)

    def __iter__(self) -> Iterator[Span]:
        if self._spans is None:
            self._materialize()
        return iter(list(self._spans))

    def __repr__(self) -> str:
        if self._spans is None:
            self._materialize()
        return f"Timeline({self._spans!r})"

    @property
    def blocks(self) -> list[Span]:
        """The union of the busy spans as sorted, disjoint, non-touching spans."""
        if self._spans is None:
            self._materialize()
        return [Span(s, e) for s, e in zip(self._block_starts, self._block_ends, strict=True)]

    def is_free(self, span: Span) -> bool:
        return self.is_free_between(span.start, span.end)

    def is_free_between(self, start: datetime, end: datetime) -> bool:
        """Like ``is_free`` without building a Span; hot loops pass UTC instants directly."""
        if self._spans is None:
            self._materialize()
        i = bisect_right(self._block_starts, start)
        if i and self._block_ends[i - 1] > start:
            return False
        return i == len(self._block_starts) or self._block_starts[i] >= end

    def conflicts(self, span: Span) -> list[Span]:
        """The busy spans overlapping ``span``, sorted."""
        if self._spans is None:
            self._materialize()
        block_starts, block_ends = self._block_starts, self._block_ends
        after = bisect_right(block_starts, span.start)
        first = after - 1 if after and block_ends[after - 1] > span.start else after
        last = bisect_left(block_starts, span.end)
        if first >= last:
            return []
        # Every busy span lies inside exactly one block and starts within it, so only spans
        # starting inside the overlapping blocks need a look.
        lo = bisect_left(self._starts, block_starts[first])
        hi = bisect_left(self._starts, block_ends[last - 1])
        return [s for s in self._spans[lo:hi] if s.start < span.end and span.start < s.end]

    def add(self, span: Span) -> None:
        """Record a busy span even if it overlaps others; callers check ``is_free`` first."""
        if self._spans is None:
            self._materialize()
        self._epoch = None
        # Keep spans in full (start, end) order, as __init__ sorts them, so conflicts()
        # returns them sorted even when two spans share a start.
        at = bisect_right(self._spans, span)
        self._starts.insert(at, span.start)
        self._spans.insert(at, span)
        block_starts, block_ends = self._block_starts, self._block_ends
        lo = bisect_left(block_ends, span.start)
        hi = bisect_right(block_starts, span.end)
        if lo < hi:
            start = min(block_starts[lo], span.start)
            end = max(block_ends[hi - 1], span.end)
            block_starts[lo:hi] = [start]
            block_ends[lo:hi] = [end]
        else:
            block_starts.insert(lo, span.start)
            block_ends.insert(lo, span.end)

    def remove(self, span: Span) -> None:
        """Forget one occurrence of a span added earlier; ValueError if there is none."""
        if self._spans is None:
            self._materialize()
        self._epoch = None
        lo = bisect_left(self._starts, span.start)
        hi = bisect_right(self._starts, span.start)
        for at in range(lo, hi):
            if self._spans[at] == span:
                break
        else:
            raise ValueError(f"{span!r} is not in this timeline")
        del self._spans[at]
        del self._starts[at]
        # Only the block that held the span can change; rebuild it from the spans left in it.
        block = bisect_right(self._block_starts, span.start) - 1
        block_start, block_end = self._block_starts[block], self._block_ends[block]
        inner_lo = bisect_left(self._starts, block_start)
        inner_hi = bisect_left(self._starts, block_end)
        rebuilt = spans_merge(self._spans[inner_lo:inner_hi])
        self._block_starts[block : block + 1] = [b.start for b in rebuilt]
        self._block_ends[block : block + 1] = [b.end for b in rebuilt]

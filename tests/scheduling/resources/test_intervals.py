"""Spans, span arithmetic and timelines. Pure: no database, no Django fixtures."""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.scheduling.resources.intervals import (
    Span,
    Timeline,
    spans_intersect,
    spans_merge,
    spans_subtract,
    spans_total_minutes,
)

NEW_YORK = ZoneInfo("America/New_York")


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, 9, hour, minute, tzinfo=UTC)


def span(start_hour: float, end_hour: float) -> Span:
    """A span on 2026-03-09 UTC given in fractional hours, e.g. span(9.5, 10)."""
    base = datetime(2026, 3, 9, tzinfo=UTC)
    return Span(base + timedelta(hours=start_hour), base + timedelta(hours=end_hour))


def test_span_rejects_naive_start():
    naive = datetime(2026, 3, 9, 9, 0)

    with pytest.raises(ValueError, match="timezone-aware"):
        Span(naive, at(10))


def test_span_rejects_naive_end():
    naive = datetime(2026, 3, 9, 10, 0)

    with pytest.raises(ValueError, match="timezone-aware"):
        Span(at(9), naive)


@pytest.mark.parametrize(
    ("start", "end"),
    [(at(10), at(10)), (at(10), at(9))],
    ids=["empty", "backwards"],
)
def test_span_rejects_end_not_after_start(start, end):
    with pytest.raises(ValueError, match="must end after it starts"):
        Span(start, end)


def test_span_normalises_to_utc_so_equal_instants_are_equal():
    local = Span(
        datetime(2026, 3, 9, 9, 0, tzinfo=NEW_YORK), datetime(2026, 3, 9, 10, 0, tzinfo=NEW_YORK)
    )

    utc = Span(at(13), at(14))

    assert local == utc
    assert local.start.tzinfo is UTC
    assert hash(local) == hash(utc)


def test_span_minutes_are_real_elapsed_minutes_across_spring_forward():
    day = Span(
        datetime(2026, 3, 8, 0, 0, tzinfo=NEW_YORK),
        datetime(2026, 3, 9, 0, 0, tzinfo=NEW_YORK),
    )

    assert day.minutes == 23 * 60


def test_span_minutes_counts_fractions():
    assert Span(at(9), at(9) + timedelta(seconds=90)).minutes == 1.5


def test_span_orders_by_start_then_end():
    spans = [span(10, 11), span(9, 12), span(9, 10)]

    assert sorted(spans) == [span(9, 10), span(9, 12), span(10, 11)]


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (span(9, 10), span(10, 11), False),
        (span(9, 10), span(11, 12), False),
        (span(9, 11), span(10, 12), True),
        (span(9, 12), span(10, 11), True),
        (span(9, 10), span(9, 10), True),
    ],
    ids=["touching", "apart", "partial", "nested", "identical"],
)
def test_span_overlaps_is_symmetric_and_half_open(a, b, expected):
    assert (a.overlaps(b), b.overlaps(a)) == (expected, expected)


@pytest.mark.parametrize(
    ("outer", "inner", "expected"),
    [
        (span(9, 12), span(10, 11), True),
        (span(9, 12), span(9, 12), True),
        (span(9, 12), span(11, 13), False),
        (span(10, 11), span(9, 12), False),
    ],
    ids=["nested", "identical", "sticking-out", "reversed"],
)
def test_span_contains(outer, inner, expected):
    assert outer.contains(inner) == expected


def test_span_accepts_other_fixed_offsets():
    plus_two = timezone(timedelta(hours=2))

    result = Span(datetime(2026, 3, 9, 11, 0, tzinfo=plus_two), at(10))

    assert result == Span(at(9), at(10))


@pytest.mark.parametrize(
    ("spans", "expected"),
    [
        ([], []),
        ([span(11, 12), span(9, 10)], [span(9, 10), span(11, 12)]),
        ([span(9, 10), span(10, 11)], [span(9, 11)]),
        ([span(9, 11), span(10, 12)], [span(9, 12)]),
        ([span(9, 17), span(10, 11), span(12, 13)], [span(9, 17)]),
        ([span(12, 13), span(9, 10), span(9.5, 12.5)], [span(9, 13)]),
    ],
    ids=["empty", "apart-unsorted", "touching", "overlapping", "nested", "chain-unsorted"],
)
def test_spans_merge(spans, expected):
    assert spans_merge(spans) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ([span(9, 12)], [span(10, 11)], [span(10, 11)]),
        ([span(9, 10)], [span(10, 11)], []),
        ([span(9, 12), span(13, 17)], [span(11, 14)], [span(11, 12), span(13, 14)]),
        ([span(9, 10), span(9.5, 11)], [span(8, 9.75)], [span(9, 9.75)]),
        ([], [span(9, 10)], []),
    ],
    ids=["nested", "touching", "across-gap", "overlapping-input", "empty"],
)
def test_spans_intersect(a, b, expected):
    assert (spans_intersect(a, b), spans_intersect(b, a)) == (expected, expected)


@pytest.mark.parametrize(
    ("spans", "cuts", "expected"),
    [
        ([span(9, 17)], [span(12, 13)], [span(9, 12), span(13, 17)]),
        ([span(9, 17)], [span(8, 10)], [span(10, 17)]),
        ([span(9, 17)], [span(16, 18)], [span(9, 16)]),
        ([span(9, 17)], [span(8, 18)], []),
        ([span(9, 12)], [span(12, 13), span(8, 9)], [span(9, 12)]),
        ([span(9, 12), span(13, 17)], [span(11, 14)], [span(9, 11), span(14, 17)]),
        (
            [span(9, 17)],
            [span(10, 12), span(11, 13), span(15, 16)],
            [
                span(9, 10),
                span(13, 15),
                span(16, 17),
            ],
        ),
        ([span(9, 17)], [], [span(9, 17)]),
    ],
    ids=[
        "middle",
        "start",
        "end",
        "everything",
        "touching-cuts",
        "across-gap",
        "overlapping-cuts",
        "no-cuts",
    ],
)
def test_spans_subtract(spans, cuts, expected):
    assert spans_subtract(spans, cuts) == expected


def test_spans_total_minutes_counts_overlaps_once():
    spans = [span(9, 10), span(9.5, 11), span(13, 13.25)]

    assert spans_total_minutes(spans) == 135


def test_timeline_empty_is_free():
    timeline = Timeline()

    assert timeline.is_free(span(9, 10))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (span(8, 9), True),
        (span(12, 13), True),
        (span(8.5, 9.25), False),
        (span(11.75, 12.5), False),
        (span(10, 10.5), False),
        (span(7, 14), False),
    ],
    ids=["touching-before", "touching-after", "overlap-start", "overlap-end", "inside", "around"],
)
def test_timeline_is_free_half_open(query, expected):
    timeline = Timeline([span(9, 12)])

    assert timeline.is_free(query) == expected


def test_timeline_sees_long_span_hidden_behind_later_short_ones():
    # A patient's all-day commitment followed by short ones: the latest-starting span before
    # the query ends early, yet the long one still covers it.
    timeline = Timeline([span(9, 17), span(10, 11), span(12, 12.5)])

    assert timeline.is_free(span(13, 14)) is False
    assert timeline.conflicts(span(13, 14)) == [span(9, 17)]


def test_timeline_conflicts_lists_every_overlapping_span():
    timeline = Timeline([span(13, 14), span(9, 10), span(9.5, 11), span(11, 12)])

    result = timeline.conflicts(span(9.75, 11.5))

    assert result == [span(9, 10), span(9.5, 11), span(11, 12)]


def test_timeline_conflicts_empty_when_only_touching():
    timeline = Timeline([span(9, 10), span(11, 12)])

    assert timeline.conflicts(span(10, 11)) == []


def test_timeline_add_makes_span_busy_and_bridges_blocks():
    timeline = Timeline([span(9, 10), span(11, 12)])

    timeline.add(span(10, 11))

    assert timeline.is_free(span(10.25, 10.5)) is False
    assert timeline.blocks == [span(9, 12)]
    assert len(timeline) == 3


def test_timeline_add_allows_overlap():
    timeline = Timeline([span(9, 10)])

    timeline.add(span(9.5, 10.5))

    assert timeline.conflicts(span(9.75, 9.8)) == [span(9, 10), span(9.5, 10.5)]


def test_timeline_remove_frees_only_that_span():
    timeline = Timeline([span(9, 10), span(10, 11), span(12, 13)])

    timeline.remove(span(10, 11))

    assert timeline.is_free(span(10, 11))
    assert timeline.blocks == [span(9, 10), span(12, 13)]
    assert list(timeline) == [span(9, 10), span(12, 13)]


def test_timeline_remove_one_of_two_identical_spans_keeps_it_busy():
    timeline = Timeline([span(9, 10), span(9, 10)])

    timeline.remove(span(9, 10))

    assert timeline.is_free(span(9, 10)) is False
    assert len(timeline) == 1


def test_timeline_remove_unknown_span_raises():
    timeline = Timeline([span(9, 10)])

    with pytest.raises(ValueError, match="not in this timeline"):
        timeline.remove(span(9, 9.5))


def test_timeline_is_free_between_matches_is_free():
    timeline = Timeline([span(9, 10)])

    assert timeline.is_free_between(at(9, 30), at(11)) is False
    assert timeline.is_free_between(at(10), at(11)) is True


def test_timeline_add_keeps_spans_sharing_a_start_in_order():
    timeline = Timeline([Span(at(9), at(11))])

    timeline.add(Span(at(9), at(10)))

    assert timeline.conflicts(Span(at(8), at(12))) == [Span(at(9), at(10)), Span(at(9), at(11))]


def test_span_from_epoch_equals_the_checked_constructor():
    start, end = at(9), at(10, 30)

    span = Span.from_epoch(int(start.timestamp()), int(end.timestamp()))

    assert span == Span(start, end)
    assert span.start.tzinfo is UTC


# Spans in whole seconds and in fractions of one, so that widening to whole seconds is
# exercised; queries in whole seconds, as search's grid and booking's starts are.
_BASE = 1_900_000_000
_pairs = st.lists(
    st.tuples(st.integers(0, 400), st.integers(1, 60)).map(lambda p: (p[0], p[0] + p[1])),
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(pairs=_pairs, query=st.tuples(st.integers(-5, 470), st.integers(1, 60)))
def test_timeline_from_epoch_answers_as_one_built_from_spans(pairs, query):
    epoch_seconds = [(_BASE + a, _BASE + b) for a, b in pairs]
    built = Timeline(Span.from_epoch(a, b) for a, b in epoch_seconds)
    read = Timeline.from_epoch(epoch_seconds)
    start = datetime.fromtimestamp(_BASE + query[0], UTC)
    end = start + timedelta(seconds=query[1])

    assert read.is_free_between(start, end) == built.is_free_between(start, end)
    assert read.conflicts(Span(start, end)) == built.conflicts(Span(start, end))
    assert read.blocks == built.blocks
    assert len(read) == len(built)


@settings(max_examples=200, deadline=None)
@given(
    pairs=_pairs,
    fractions=st.lists(st.integers(0, 999_999), min_size=24, max_size=24),
    query=st.tuples(st.integers(-5, 470), st.integers(1, 60)),
)
def test_epoch_blocks_answer_as_the_timeline_for_whole_seconds(pairs, fractions, query):
    spans = [
        Span(
            datetime.fromtimestamp(_BASE + a, UTC) + timedelta(microseconds=fractions[2 * i]),
            datetime.fromtimestamp(_BASE + b, UTC) + timedelta(microseconds=fractions[2 * i + 1]),
        )
        for i, (a, b) in enumerate(pairs)
    ]
    timeline = Timeline(spans)
    start, end = _BASE + query[0], _BASE + query[0] + query[1]

    assert timeline.epoch.is_free_between(start, end) == timeline.is_free_between(
        datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)
    )


def test_timeline_epoch_follows_adds_and_removes():
    timeline = Timeline.from_epoch([(_BASE, _BASE + 60)])
    assert not timeline.epoch.is_free_between(_BASE + 30, _BASE + 90)

    timeline.remove(Span.from_epoch(_BASE, _BASE + 60))
    timeline.add(Span.from_epoch(_BASE + 120, _BASE + 180))

    assert timeline.epoch.is_free_between(_BASE + 30, _BASE + 90)
    assert not timeline.epoch.is_free_between(_BASE + 150, _BASE + 200)


@settings(max_examples=300, deadline=None)
@given(pairs=_pairs, query=st.tuples(st.integers(-5, 470), st.integers(1, 60)))
def test_epoch_blocks_free_from_is_the_first_start_that_can_be_free(pairs, query):
    # Search jumps its candidates to ``free_from``: no start between the query's and it
    # may be free for a span as long, and the start itself is returned exactly when free.
    blocks = Timeline.from_epoch([(_BASE + a, _BASE + b) for a, b in pairs]).epoch
    start, length = _BASE + query[0], query[1]

    found = blocks.free_from(start, start + length)

    assert (found == start) == blocks.is_free_between(start, start + length)
    assert found >= start
    assert not any(blocks.is_free_between(s, s + length) for s in range(start, found))

"""The clinic-wide capacity rules: monitors per recovering patient and a prescriber on site.

Pure: no database. The properties drive the same placement rule booking and search use.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.scheduling.booking.availability import (
    Board,
    Placement,
    SeatRef,
    SessionSpec,
    StaffRef,
    board_release,
    board_reserve,
    placement_check,
    placement_try,
    slots_find,
)
from backend.scheduling.booking.capacity import (
    CACHE_AFTER_USES,
    ClinicCapacity,
    SpanCounts,
    monitoring_short_blocks,
    monitoring_shortfall,
    peak_load,
    prescriber_gap,
    prescriber_gap_blocks,
    ratio_exceeded_at,
)
from backend.scheduling.resources.calendar import ClinicCalendar, WeeklyHours
from backend.scheduling.resources.intervals import Span

PROPERTY = settings(deadline=None, max_examples=120, database=None)

NY = "America/New_York"
ZONE = ZoneInfo(NY)
DAY = date(2026, 3, 11)  # a Wednesday
NOW = datetime(2026, 3, 1, tzinfo=UTC)
BASE = datetime(2026, 3, 11, 8, 0, tzinfo=ZONE)  # opening time


def at(hour: int, minute: int = 0) -> datetime:
    return datetime.combine(DAY, time(hour, minute), tzinfo=ZONE)


def span(h1: int, m1: int, h2: int, m2: int) -> Span:
    return Span(at(h1, m1), at(h2, m2))


def minute_span(start: int, length: int) -> Span:
    return Span(BASE + timedelta(minutes=start), BASE + timedelta(minutes=start + length))


# --- SpanCounts ----------------------------------------------------------------------


def test_span_counts_profile_steps_where_spans_begin_and_end():
    counts = SpanCounts([span(9, 0, 11, 0), span(10, 0, 12, 0)])

    steps = counts.profile(at(8), at(13))

    assert steps == [(at(8), 0), (at(9), 1), (at(10), 2), (at(11), 1), (at(12), 0)]


def test_span_counts_remove_forgets_one_occurrence_only():
    counts = SpanCounts([span(9, 0, 10, 0), span(9, 0, 10, 0)])

    counts.remove(span(9, 0, 10, 0))

    assert counts.profile(at(9), at(10)) == [(at(9), 1)]
    with pytest.raises(ValueError, match="not counted"):
        counts.remove(span(11, 0, 12, 0))


spans_strategy = st.lists(
    st.builds(minute_span, st.integers(0, 600), st.integers(1, 240)), max_size=25
)


@PROPERTY
@given(
    spans=spans_strategy,
    extra=spans_strategy,
    query=st.builds(minute_span, st.integers(0, 700), st.integers(1, 300)),
)
def test_span_counts_profile_matches_counting_every_minute(spans, extra, query):
    counts = SpanCounts(spans)
    for s in extra:
        counts.add(s)
    everything = spans + extra

    # The first queries sweep the overlapping spans; later ones read the cached step
    # function: both must agree with counting.
    answers = [counts.profile(query.start, query.end) for _ in range(CACHE_AFTER_USES + 2)]
    assert all(answer == answers[0] for answer in answers)
    steps = answers[-1]

    minute = timedelta(minutes=1)
    instant, i = query.start, 0
    while instant < query.end:
        while i + 1 < len(steps) and steps[i + 1][0] <= instant:
            i += 1
        assert steps[i][1] == sum(1 for s in everything if s.start <= instant < s.end)
        instant += minute


# --- The monitoring ratio ------------------------------------------------------------


def capacity(ratio=2, recovering=(), monitors=(), prescribers=()) -> ClinicCapacity:
    return ClinicCapacity(
        recovering_per_monitor=ratio,
        recovering=SpanCounts(recovering),
        monitors=SpanCounts(monitors),
        prescribers=SpanCounts(prescribers),
    )


@PROPERTY
@given(
    recovering=spans_strategy,
    monitors=spans_strategy,
    prescribers=spans_strategy,
    ratio=st.integers(1, 3),
    query=st.builds(minute_span, st.integers(0, 700), st.integers(1, 300)),
)
def test_the_epoch_second_rules_answer_as_the_rules(
    recovering, monitors, prescribers, ratio, query
):
    state = capacity(ratio, recovering, monitors, prescribers)
    start, end = int(query.start.timestamp()), int(query.end.timestamp())

    short_blocks = monitoring_short_blocks(
        state.recovering.epoch_steps(), state.monitors.epoch_steps(), ratio
    )
    gap_blocks = prescriber_gap_blocks(state.prescribers.epoch_steps())

    assert (not short_blocks.is_free_between(start, end)) == (
        monitoring_shortfall(state, query) is not None
    )
    assert (not gap_blocks.is_free_between(start, end)) == (
        prescriber_gap(state, query.start, query.end) is not None
    )


def test_epoch_steps_are_refused_for_a_span_off_the_whole_second():
    counts = SpanCounts([Span(at(9), at(10) + timedelta(microseconds=500))])

    assert counts.epoch_steps() is None


def test_one_more_recovering_patient_fits_while_monitors_x_ratio_allow_it():
    state = capacity(ratio=2, recovering=[span(10, 0, 11, 0)], monitors=[span(8, 0, 18, 0)])

    assert monitoring_shortfall(state, span(10, 30, 11, 30)) is None


def test_the_ratio_breaks_at_the_first_instant_with_too_many_recovering():
    state = capacity(
        ratio=2,
        recovering=[span(10, 0, 11, 0), span(10, 45, 12, 0)],
        monitors=[span(8, 0, 18, 0)],
    )

    short = monitoring_shortfall(state, span(10, 30, 11, 30))

    assert (short.at, short.recovering, short.monitors, short.ratio) == (at(10, 45), 3, 1, 2)


def test_recovery_past_the_last_monitors_shift_breaks_the_ratio_when_the_shift_ends():
    state = capacity(ratio=4, monitors=[span(8, 0, 12, 0)])

    short = monitoring_shortfall(state, span(11, 0, 13, 0))

    assert (short.at, short.recovering, short.monitors) == (at(12), 1, 0)


def test_a_second_monitor_doubles_the_room_for_recovering_patients():
    full = [span(10, 0, 12, 0)] * 4
    one = capacity(ratio=4, recovering=full, monitors=[span(8, 0, 18, 0)])
    two = capacity(ratio=4, recovering=full, monitors=[span(8, 0, 18, 0), span(9, 0, 13, 0)])

    assert monitoring_shortfall(one, span(11, 0, 11, 30)) is not None
    assert monitoring_shortfall(two, span(11, 0, 11, 30)) is None


def test_prescriber_gap_finds_the_first_instant_nobody_is_on_site():
    state = capacity(prescribers=[span(8, 0, 12, 0), span(12, 30, 18, 0)])

    assert prescriber_gap(state, at(9), at(12)) is None
    assert prescriber_gap(state, at(11), at(13)) == at(12)
    assert prescriber_gap(capacity(), at(9), at(10)) == at(9)


def test_overlapping_prescriber_shifts_cover_each_other():
    state = capacity(prescribers=[span(8, 0, 12, 0), span(11, 0, 18, 0)])

    assert prescriber_gap(state, at(10), at(14)) is None


def test_ratio_exceeded_at_reports_what_is_over_and_peak_load_the_worst_moment():
    recovering = [span(10, 0, 12, 0)] * 3
    monitors = [span(8, 0, 11, 0)]

    over = ratio_exceeded_at(recovering, monitors, 2, at(8), at(18))
    peak = peak_load(recovering, monitors, at(8), at(18))

    assert over == [(at(10), at(11), 3, 1), (at(11), at(12), 3, 0)]
    assert peak == (3, 0, float("inf"))
    assert peak_load([], monitors, at(8), at(18)) == (0, 0, None)


# --- Through the placement rule --------------------------------------------------------

CALENDAR = ClinicCalendar(NY, WeeklyHours(tuple((d, time(8), time(18)) for d in range(7))))
SEATS = [SeatRef(i, 1, f"Room / Recliner {i}") for i in range(1, 9)]
NURSE = StaffRef(101, "Nurse", WeeklyHours(tuple((d, time(8), time(18)) for d in range(7))))
DOSING = SessionSpec(timedelta(minutes=15), timedelta(minutes=120), True, False, True)
REMS = SessionSpec(
    timedelta(minutes=15), timedelta(minutes=120), True, False, True, needs_prescriber=True
)
THERAPY = SessionSpec(timedelta(minutes=60), timedelta(0), True, False, False)


def board_with(state: ClinicCapacity) -> Board:
    return Board(calendar=CALENDAR, session_seats=list(SEATS), capacity=state)


def test_placement_check_names_the_monitoring_reason():
    state = capacity(ratio=1, recovering=[span(9, 15, 11, 15)], monitors=[span(8, 0, 18, 0)])

    result = placement_check(board_with(state), DOSING, at(9), now=NOW)

    assert [c.resource for c in result] == ["monitoring"]
    assert "2 patients would be recovering at 09:15" in result[0].message
    assert "only 1 monitor working" in result[0].message


def test_placement_check_names_the_missing_prescriber():
    state = capacity(monitors=[span(8, 0, 18, 0)], prescribers=[span(8, 0, 10, 0)])

    result = placement_check(board_with(state), REMS, at(9), now=NOW)

    assert [c.resource for c in result] == ["prescriber"]
    assert "No prescriber is on site at 10:00" in result[0].message


def test_a_session_without_recovery_ignores_the_ratio():
    state = capacity(ratio=1, recovering=[span(9, 0, 12, 0)] * 5)

    assert isinstance(placement_check(board_with(state), THERAPY, at(9), now=NOW), Placement)


def test_reserve_and_release_count_the_recovery_on_the_shared_state():
    state = capacity(ratio=1, monitors=[span(8, 0, 18, 0)])
    board, other_patients_board = board_with(state), board_with(state)
    first = placement_check(board, DOSING, at(9), now=NOW)

    board_reserve(board, first)
    refused = placement_check(other_patients_board, DOSING, at(9, 30), now=NOW)
    board_release(board, first)

    assert [c.resource for c in refused] == ["monitoring"]
    assert isinstance(placement_check(other_patients_board, DOSING, at(9, 30), now=NOW), Placement)


shift = st.builds(lambda s, n: minute_span(15 * s, 15 * n), st.integers(0, 36), st.integers(1, 40))


@st.composite
def clinic_states(draw) -> ClinicCapacity:
    return capacity(
        ratio=draw(st.integers(1, 3)),
        recovering=draw(
            st.lists(st.builds(minute_span, st.integers(0, 600), st.integers(15, 180)), max_size=8)
        ),
        monitors=draw(st.lists(shift, max_size=3)),
        prescribers=draw(st.lists(shift, max_size=2)),
    )


@PROPERTY
@given(
    ratio=st.integers(1, 3),
    monitors=st.lists(shift, min_size=0, max_size=3),
    attempts=st.lists(
        st.tuples(st.integers(0, 36), st.sampled_from([DOSING, REMS, THERAPY])), max_size=30
    ),
)
def test_no_booking_sequence_ever_exceeds_the_ratio(ratio, monitors, attempts):
    state = capacity(ratio=ratio, monitors=monitors, prescribers=[minute_span(0, 600)])
    seat_busy: dict = {}

    for quarter, spec in attempts:
        # Each attempt is another patient's: only seats and the clinic state are shared.
        board = Board(calendar=CALENDAR, session_seats=SEATS, seat_busy=seat_busy, capacity=state)
        result = placement_check(board, spec, BASE + timedelta(minutes=15 * quarter), now=NOW)
        if isinstance(result, Placement):
            board_reserve(board, result)

    recovering = list(state.recovering)
    for minute in range(0, 600):
        instant = BASE + timedelta(minutes=minute)
        count = sum(1 for s in recovering if s.start <= instant < s.end)
        working = sum(1 for s in monitors if s.start <= instant < s.end)
        assert count <= working * ratio


@PROPERTY
@given(state=clinic_states(), spec=st.sampled_from([DOSING, REMS, THERAPY]))
def test_search_agrees_with_the_check_on_every_grid_start(state, spec):
    board = board_with(state)
    step = timedelta(minutes=15)
    grid = [BASE + k * step for k in range(0, 41)]

    slots = slots_find(board, spec, DAY, DAY, now=NOW, step=step)
    checked = {start: placement_check(board, spec, start, now=NOW) for start in grid}
    tried = {start: placement_try(board, spec, start, now=NOW) for start in grid}

    accepted = [s for s, r in checked.items() if isinstance(r, Placement)]
    assert [slot.start for slot in slots] == accepted
    for start, result in checked.items():
        if isinstance(result, Placement):
            assert tried[start] == result
        else:
            assert tried[start] == frozenset(c.resource for c in result)

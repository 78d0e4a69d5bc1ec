"""Hypothesis properties of the scheduling domain. Pure: no database, no Django fixtures."""

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

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
from backend.scheduling.resources.calendar import ClinicCalendar, WeeklyHours
from backend.scheduling.resources.intervals import Span, Timeline, spans_intersect, spans_subtract

# No example database: these tests must not write files into the repository.
PROPERTY = settings(deadline=None, max_examples=150, database=None)

NY = "America/New_York"
NEW_YORK = ZoneInfo(NY)
BASE = datetime(2026, 3, 9, tzinfo=UTC)
FIRST_DAY = date(2026, 3, 6)  # Friday; the range crosses the 2026-03-08 DST change
LAST_DAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 1, tzinfo=UTC)

CLINIC_HOURS = WeeklyHours(
    tuple((d, time(9), time(12)) for d in range(6))
    + tuple((d, time(13), time(18)) for d in range(6))
)
CALENDAR = ClinicCalendar(NY, CLINIC_HOURS, ((date(2026, 3, 7), date(2026, 3, 7)),))
SESSION_SEATS = [SeatRef(1, 10, "Room A / Recliner 1"), SeatRef(2, 10, "Room A / Recliner 2")]
RECOVERY_SEATS = [SeatRef(21, 20, "Recovery / Chair 1")]
STAFF = [
    StaffRef(101, "Dana", WeeklyHours(tuple((d, time(9), time(15)) for d in range(7)))),
    StaffRef(102, "Sam", WeeklyHours(tuple((d, time(11), time(18)) for d in range(7)))),
]
SPECS = [
    SessionSpec(timedelta(minutes=15), timedelta(hours=2), True, True, True),
    SessionSpec(timedelta(minutes=45), timedelta(minutes=30), False, True, True),
    SessionSpec(timedelta(minutes=30), timedelta(0), True, True, False),
    SessionSpec(timedelta(minutes=60), timedelta(minutes=15), False, False, False),
]
DAYS = [FIRST_DAY + timedelta(days=i) for i in range((LAST_DAY - FIRST_DAY).days + 1)]


def minute_span(start: int, length: int) -> Span:
    return Span(BASE + timedelta(minutes=start), BASE + timedelta(minutes=start + length))


def minutes_covered(spans) -> set[int]:
    return {
        minute
        for s in spans
        for minute in range(
            int((s.start - BASE).total_seconds() // 60), int((s.end - BASE).total_seconds() // 60)
        )
    }


spans_strategy = st.lists(
    st.builds(minute_span, st.integers(0, 600), st.integers(1, 120)), max_size=25
)


@PROPERTY
@given(spans=spans_strategy, cuts=spans_strategy)
def test_spans_subtract_and_intersect_match_minute_sets(spans, cuts):
    expected_difference = minutes_covered(spans) - minutes_covered(cuts)
    expected_common = minutes_covered(spans) & minutes_covered(cuts)

    difference = spans_subtract(spans, cuts)
    common = spans_intersect(spans, cuts)

    assert minutes_covered(difference) == expected_difference
    assert minutes_covered(common) == expected_common


@PROPERTY
@given(
    initial=spans_strategy,
    changes=st.lists(
        st.tuples(st.booleans(), st.builds(minute_span, st.integers(0, 600), st.integers(1, 120))),
        max_size=30,
    ),
    query=st.builds(minute_span, st.integers(0, 700), st.integers(1, 180)),
)
def test_timeline_matches_brute_force_through_adds_and_removes(initial, changes, query):
    timeline = Timeline(initial)
    reference = list(initial)
    for is_add, span in changes:
        if is_add or not reference:
            timeline.add(span)
            reference.append(span)
        else:
            victim = reference[span.start.minute % len(reference)]
            timeline.remove(victim)
            reference.remove(victim)

    expected_conflicts = sorted(s for s in reference if s.overlaps(query))

    assert timeline.conflicts(query) == expected_conflicts
    assert timeline.is_free(query) == (not expected_conflicts)
    assert sorted(timeline) == sorted(reference)


def fresh_board() -> Board:
    return Board(
        calendar=CALENDAR,
        session_seats=list(SESSION_SEATS),
        recovery_seats=list(RECOVERY_SEATS),
        staff=list(STAFF),
    )


@st.composite
def busy_boards(draw) -> Board:
    """A board with random existing bookings snapped to a 5-minute grid across the range."""
    board = fresh_board()
    first = datetime(2026, 3, 6, 13, 0, tzinfo=UTC)
    slot = st.builds(
        lambda start, length: Span(
            first + timedelta(minutes=5 * start), first + timedelta(minutes=5 * (start + length))
        ),
        st.integers(0, 5 * 24 * 12),
        st.integers(1, 36),
    )
    seat_ids = [s.seat_id for s in SESSION_SEATS + RECOVERY_SEATS]
    for seat_id in seat_ids:
        board.seat_busy[seat_id] = Timeline(draw(st.lists(slot, max_size=12)))
    for member in STAFF:
        board.staff_busy[member.staff_id] = Timeline(draw(st.lists(slot, max_size=12)))
    board.patient_busy = Timeline(draw(st.lists(slot, max_size=4)))
    board.patient_dosing_days = set(draw(st.lists(st.sampled_from(DAYS), max_size=2)))
    return board


@PROPERTY
@given(
    board=busy_boards(),
    spec=st.sampled_from(SPECS),
    now=st.builds(
        lambda minutes: datetime(2026, 3, 6, 12, 0, tzinfo=UTC) + timedelta(minutes=minutes),
        st.integers(0, 4 * 24 * 60),
    ),
    preferred=st.sampled_from([None, 101, 102]),
    step=st.sampled_from([timedelta(minutes=m) for m in (10, 15, 30)]),
)
def test_slots_find_agrees_with_placement_check_on_every_grid_start(
    board, spec, now, preferred, step
):
    grid = [
        window.start + k * step
        for day in DAYS
        for window in CALENDAR.opening_windows(day)
        for k in range(int((window.end - window.start) / step) + 1)
    ]

    slots = slots_find(
        board, spec, FIRST_DAY, LAST_DAY, now=now, step=step, preferred_staff_id=preferred
    )
    checked = {
        start: placement_check(board, spec, start, now=now, preferred_staff_id=preferred)
        for start in grid
    }

    assert all(checked[slot.start] == slot for slot in slots)
    accepted = [start for start, result in checked.items() if isinstance(result, Placement)]
    assert [slot.start for slot in slots] == sorted(accepted)


@st.composite
def operations(draw) -> list[tuple]:
    ops = []
    for _ in range(draw(st.integers(1, 40))):
        if draw(st.integers(0, 3)) == 0:
            ops.append(("cancel", draw(st.integers(0, 1000))))
        else:
            day = draw(st.sampled_from(DAYS))
            minute = draw(st.integers(8 * 60, 18 * 60))
            ops.append(
                (
                    "book",
                    draw(st.integers(0, 2)),
                    datetime.combine(day, time(minute // 60, minute % 60), tzinfo=NEW_YORK),
                    draw(st.sampled_from(SPECS)),
                )
            )
    return ops


def assert_no_double_booking(held: list[tuple[str, int, Span]]) -> None:
    by_resource: dict[tuple[str, int], list[Span]] = {}
    for kind, resource_id, span in held:
        family = "staff" if kind == "staff" else "seat"
        by_resource.setdefault((family, resource_id), []).append(span)
    for resource, spans in by_resource.items():
        spans.sort()
        for earlier, later in pairwise(spans):
            assert not earlier.overlaps(later), f"{resource} double-booked: {earlier} / {later}"


@PROPERTY
@given(ops=operations())
def test_booking_and_cancelling_never_double_books_a_seat_or_staff_member(ops):
    board = fresh_board()
    # Three patients share the clinic; the board holds one patient's view at a time.
    patients = [(Timeline(), set()) for _ in range(3)]
    booked: list[tuple[int, Placement]] = []

    def as_patient(index: int) -> None:
        board.patient_busy, board.patient_dosing_days = patients[index]

    for op in ops:
        if op[0] == "book":
            _, patient, start, spec = op
            as_patient(patient)
            result = placement_check(board, spec, start, now=NOW)
            if isinstance(result, Placement):
                board_reserve(board, result)
                booked.append((patient, result))
        elif booked:
            patient, placement = booked.pop(op[1] % len(booked))
            as_patient(patient)
            board_release(board, placement)

    assert_no_double_booking([hold for _, p in booked for hold in p.holds()])
    for index, (timeline, dosing_days) in enumerate(patients):
        mine = [p for patient, p in booked if patient == index]
        assert sorted(timeline) == sorted(Span(p.start, p.recovery_end) for p in mine)
        assert_no_double_booking([("seat", 0, Span(p.start, p.recovery_end)) for p in mine])
        assert dosing_days == {p.dosing_day for p in mine if p.dosing_day is not None}
    seat_holds = sorted(
        (resource_id, span)
        for _, p in booked
        for kind, resource_id, span in p.holds()
        if kind != "staff"
    )
    assert sorted((k, s) for k, t in board.seat_busy.items() for s in t) == seat_holds


@PROPERTY
@given(
    day=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    tz=st.sampled_from(["America/New_York", "Europe/London", "Australia/Sydney"]),
)
def test_full_day_window_minutes_equal_real_day_length_minus_one(day, tz):
    zone = ZoneInfo(tz)
    calendar = ClinicCalendar(tz, WeeklyHours(tuple((d, time(0), time(23, 59)) for d in range(7))))
    midnight = datetime.combine(day, time(0), tzinfo=zone)
    next_midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    # Wall-clock arithmetic: 24 h plus however much the offset shrank during the day.
    shift = midnight.utcoffset() - next_midnight.utcoffset()
    real_day_minutes = int((timedelta(days=1) + shift).total_seconds() // 60)

    minutes = calendar.opening_minutes(day)

    assert real_day_minutes in (23 * 60, 24 * 60, 25 * 60)
    assert minutes == real_day_minutes - 1


@PROPERTY
@given(
    board=busy_boards(),
    spec=st.sampled_from(SPECS),
    earliest=st.times(min_value=time(8), max_value=time(18)),
    length=st.integers(0, 6 * 60),
)
def test_slots_find_bounds_are_a_filter_on_local_start_time(board, spec, earliest, length):
    latest_minute = min(earliest.hour * 60 + earliest.minute + length, 23 * 60 + 59)
    latest = time(latest_minute // 60, latest_minute % 60)
    unbounded = slots_find(board, spec, FIRST_DAY, LAST_DAY, now=NOW)

    bounded = slots_find(
        board, spec, FIRST_DAY, LAST_DAY, now=NOW, earliest=earliest, latest=latest
    )

    assert bounded == [
        s for s in unbounded if earliest <= s.start.astimezone(NEW_YORK).time() <= latest
    ]


@PROPERTY
@given(
    board=busy_boards(),
    spec=st.sampled_from(SPECS),
    now=st.builds(
        lambda minutes: datetime(2026, 3, 6, 12, 0, tzinfo=UTC) + timedelta(minutes=minutes),
        st.integers(0, 4 * 24 * 60),
    ),
    preferred=st.sampled_from([None, 101, 102]),
    offset=st.integers(0, 5 * 24 * 4),
)
def test_placement_try_decides_exactly_as_placement_check(board, spec, now, preferred, offset):
    start = datetime(2026, 3, 6, 12, 0, tzinfo=UTC) + timedelta(minutes=15 * offset)

    tried = placement_try(board, spec, start, now=now, preferred_staff_id=preferred)
    checked = placement_check(board, spec, start, now=now, preferred_staff_id=preferred)

    if isinstance(checked, Placement):
        assert tried == checked
    else:
        assert tried == frozenset(clash.resource for clash in checked)

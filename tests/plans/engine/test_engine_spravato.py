"""plan_expand on the Spravato template: the label schedule, DST, closures, preferences, pins
and kept sessions. Pure: boards built by hand, no database.

2026-03-09 is a Monday; the clinic is open Mon-Fri 08:00-18:00 and Sat 09:00-13:00.
"""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from backend.plans.engine.expand import plan_expand
from backend.plans.engine.rules import Preferences
from backend.scheduling.booking.availability import board_reserve
from backend.scheduling.resources.calendar import ClinicCalendar
from tests.plans.engine.engine_world import (
    CLINIC_HOURS,
    MONDAY,
    NOW,
    NY,
    TYPE_IDS,
    World,
    local,
    local_clock,
    local_day,
    placements,
    plan_violations,
    rules_for,
)

SPRAVATO = rules_for("spravato-trd")
SPRAVATO_ID = TYPE_IDS["spravato-session"]
AT_TEN = Preferences(earliest=time(10))


def expand(world: World, prefs: Preferences = AT_TEN, start: date = MONDAY, **kwargs):
    boards = world.boards()
    now = kwargs.pop("now", NOW)
    result = plan_expand(
        phases=SPRAVATO, start_date=start, prefs=prefs, boards=boards, now=now, **kwargs
    )
    problems = plan_violations(
        result,
        SPRAVATO,
        start_date=start,
        prefs=prefs,
        boards=boards,
        now=now,
        pinned=tuple(kwargs.get("pinned", {})),
    )
    assert problems == []
    return result


def week_of(day: date, start: date = MONDAY) -> int:
    return (day - start).days // 7 + 1


LABEL_TABLE = [
    (1, "induction", date(2026, 3, 9)),
    (2, "induction", date(2026, 3, 12)),
    (3, "induction", date(2026, 3, 16)),
    (4, "induction", date(2026, 3, 19)),
    (5, "induction", date(2026, 3, 23)),
    (6, "induction", date(2026, 3, 26)),
    (7, "induction", date(2026, 3, 30)),
    (8, "induction", date(2026, 4, 2)),
    (9, "optimization", date(2026, 4, 9)),
    (10, "optimization", date(2026, 4, 16)),
    (11, "optimization", date(2026, 4, 23)),
    (12, "optimization", date(2026, 4, 30)),
    (13, "maintenance", date(2026, 5, 14)),
    (14, "maintenance", date(2026, 5, 28)),
    (15, "maintenance", date(2026, 6, 11)),
    (16, "maintenance", date(2026, 6, 25)),
    (17, "maintenance", date(2026, 7, 9)),
    (18, "maintenance", date(2026, 7, 23)),
]


def test_spravato_label_schedule_matches_table():
    result = expand(World())

    got = [(s.ordinal, s.phase_key, local_day(s.placement.start)) for s in result.slots]

    assert got == LABEL_TABLE
    assert {local_clock(s.placement.start) for s in result.slots} == {time(10)}
    assert result.unplaced == []


@pytest.mark.parametrize(
    "start",
    [MONDAY + timedelta(days=n) for n in range(6)],
    ids=["mon", "tue", "wed", "thu", "fri", "sat"],
)
def test_spravato_label_weeks_hold_from_any_start_day(start):
    result = expand(World(), start=start)

    days = {s.ordinal: local_day(s.placement.start) for s in result.slots}
    induction_weeks = [week_of(days[o], start) for o in range(1, 9)]
    optimization_weeks = [week_of(days[o], start) for o in range(9, 13)]
    induction_gaps = [(days[o + 1] - days[o]).days for o in range(1, 8)]
    maintenance_gaps = [(days[o + 1] - days[o]).days for o in range(13, 18)]
    horizon_end = days[12] + timedelta(days=7 + 12 * 7)

    assert induction_weeks == [1, 1, 2, 2, 3, 3, 4, 4]
    assert optimization_weeks == [5, 6, 7, 8]
    assert min(induction_gaps) >= 3
    assert all(13 <= gap <= 15 for gap in maintenance_gaps)
    assert week_of(days[13], start) in (9, 10)
    assert all(days[o] < horizon_end for o in range(13, 19))
    assert len({local_clock(s.placement.start) for s in result.slots}) == 1


def test_spravato_course_keeps_wall_clock_time_across_dst_end():
    start = date(2026, 10, 12)  # a Monday; New York falls back on Sunday 2026-11-01

    result = expand(World(), start=start, now=datetime(2026, 10, 1, tzinfo=UTC))

    before = [
        s.placement.start for s in result.slots if local_day(s.placement.start) < date(2026, 11, 1)
    ]
    after = [
        s.placement.start for s in result.slots if local_day(s.placement.start) > date(2026, 11, 1)
    ]
    assert before and after
    assert {local_clock(s) for s in before + after} == {time(10)}
    assert {s.hour for s in before} == {14}  # 10:00 EDT
    assert {s.hour for s in after} == {15}  # 10:00 EST


def test_spravato_closure_moves_a_session_and_keeps_gaps():
    world = World(
        calendar=ClinicCalendar(
            NY, CLINIC_HOURS, ((date(2026, 3, 19), date(2026, 3, 19), "Training"),)
        )
    )

    result = expand(world)

    days = [local_day(s.placement.start) for s in result.slots[:8]]
    assert days == [
        date(2026, 3, 9),
        date(2026, 3, 12),
        date(2026, 3, 16),
        date(2026, 3, 20),  # Friday instead of the closed Thursday
        date(2026, 3, 23),
        date(2026, 3, 26),
        date(2026, 3, 30),
        date(2026, 4, 2),
    ]


def test_spravato_closure_that_halves_a_week_backtracks_then_explains_the_rest():
    closed = (date(2026, 3, 16), date(2026, 3, 18), "Renovation")  # Mon-Wed of week 2
    world = World(calendar=ClinicCalendar(NY, CLINIC_HOURS, (closed,)))

    result = expand(world)

    days = {s.ordinal: local_day(s.placement.start) for s in result.placed}
    # Session 2 moves from Thursday to Saturday so that session 3 can take Thursday.
    assert days[2] == date(2026, 3, 14)
    assert days[3] == date(2026, 3, 19)
    assert [s.ordinal for s in result.unplaced] == [4]
    assert result.slots[3].reason == (
        "Session 4 (Induction): the clinic is closed Sun in week 2 (Mar 22), "
        "within 3-5 days of session 3."
    )
    assert week_of(days[5]) == 3


@pytest.mark.parametrize(
    ("weekdays", "expected"),
    [
        (frozenset({0, 3}), {0, 3}),
        (frozenset({0, 2, 4}), {0, 2, 4}),
        (frozenset({1, 4}), {1, 4}),
    ],
    ids=["mon-thu", "mon-wed-fri", "tue-fri"],
)
def test_spravato_weekday_preference_is_respected(weekdays, expected):
    result = expand(World(), prefs=Preferences(weekdays=weekdays, earliest=time(10)))

    assert result.unplaced == []
    assert {local_day(s.placement.start).weekday() for s in result.slots} <= expected


def test_spravato_tuesday_thursday_only_cannot_fit_two_a_week_and_says_why():
    result = expand(World(), prefs=Preferences(weekdays=frozenset({1, 3}), earliest=time(10)))

    first = result.slots[1]
    assert first.placement is None
    assert first.reason == (
        "Session 2 (Induction): no Tuesday or Thursday falls within 3-5 days of session 1 "
        "(Mar 13-15, week 1)."
    )
    assert [s.ordinal for s in result.unplaced] == [2, 4, 6, 8]
    induction = [s for s in result.placed if s.phase_key == "induction"]
    assert {local_day(s.placement.start).weekday() for s in induction} == {1}


def test_spravato_time_window_bounds_every_start_and_moves_around_busy_times():
    world = World()
    for seat in (1, 2, 3):
        world.busy_seat(seat, local(date(2026, 3, 16), 13), local(date(2026, 3, 16), 14))
    prefs = Preferences(earliest=time(13), latest=time(14, 30))

    result = expand(world, prefs=prefs)

    clocks = {s.ordinal: local_clock(s.placement.start) for s in result.slots}
    assert all(time(13) <= c <= time(14, 30) for c in clocks.values())
    assert clocks[1] == time(13)
    assert clocks[3] == time(14)  # 13:00-14:00 taken on every recliner that Monday


def test_spravato_preferred_staff_member_is_used_when_free():
    world = World()
    world.busy_staff(102, local(date(2026, 3, 12), 9), local(date(2026, 3, 12), 12))

    result = expand(world, prefs=Preferences(earliest=time(10), staff_id=102))

    staff = {s.ordinal: s.placement.staff.staff_id for s in result.slots}
    assert staff[2] == 101  # Nurse B is busy that morning; the time still wins
    assert local_clock(result.slots[1].placement.start) == time(10)
    assert {o: s for o, s in staff.items() if o != 2} == {o: 102 for o in staff if o != 2}


def test_spravato_pinned_start_is_honoured_and_anchors_the_next_session():
    pinned = {3: local(date(2026, 3, 17), 14)}

    result = expand(World(), pinned=pinned)

    assert result.slots[2].placement.start == pinned[3]
    assert local_day(result.slots[3].placement.start) == date(2026, 3, 20)


def test_spravato_pinned_start_that_clashes_is_unplaced_with_the_clash():
    world = World()
    for seat in (1, 2, 3):
        world.busy_seat(seat, local(date(2026, 3, 17), 13), local(date(2026, 3, 17), 17))

    result = expand(world, pinned={3: local(date(2026, 3, 17), 14)})

    slot = result.slots[2]
    assert slot.placement is None
    assert slot.reason.startswith(
        "Session 3 (Induction): the requested start Tue Mar 17 14:00 cannot be booked: "
        "Every session seat is taken 14:00-16:15 on 2026-03-17"
    )
    assert local_day(result.slots[3].placement.start) == date(2026, 3, 20)


def test_spravato_pinned_start_in_the_past_says_so():
    result = expand(World(), pinned={1: local(date(2026, 2, 27), 10)})

    assert "is already in the past" in result.slots[0].reason


def booked(world: World, result, ordinals):
    """Reserve the holds of some sessions, as if booked, on a fresh patient."""
    boards = world.boards()
    for slot in result.slots:
        if slot.ordinal in ordinals:
            board_reserve(boards[slot.session_type_id], slot.placement)
    return boards


def test_spravato_kept_sessions_stay_and_a_cancelled_one_gets_a_make_up():
    original = expand(World(), prefs=Preferences(earliest=time(15)))
    kept = set(range(1, 9)) - {3}
    world = World()
    boards = booked(world, original, kept)
    fixed = {o: p.start for o, p in placements(original).items() if o in kept}

    result = plan_expand(
        phases=SPRAVATO, start_date=MONDAY, prefs=Preferences(), boards=boards, now=NOW, fixed=fixed
    )

    assert [s.ordinal for s in result.slots if s.fixed] == sorted(kept)
    assert all(result.slots[o - 1].placement == original.slots[o - 1].placement for o in kept)
    make_up = result.slots[2]
    assert not make_up.fixed
    assert make_up.placement.start == local(date(2026, 3, 16), 15)  # same day and time
    assert local_clock(result.slots[8].placement.start) == time(15)  # the kept time of day


def test_spravato_make_up_that_cannot_keep_the_cadence_is_explained():
    original = expand(World())
    kept = set(range(1, 9)) - {3}
    world = World()
    for seat in (1, 2, 3):
        world.busy_seat(seat, local(date(2026, 3, 16), 0), local(date(2026, 3, 17), 0))
    boards = booked(world, original, kept)
    fixed = {o: p.start for o, p in placements(original).items() if o in kept}

    result = plan_expand(
        phases=SPRAVATO, start_date=MONDAY, prefs=AT_TEN, boards=boards, now=NOW, fixed=fixed
    )

    assert result.slots[2].reason == (
        "Session 3 (Induction): no recliner free Mon in week 2 (Mar 16), "
        "within 3-5 days of session 2 and 3-5 days before session 4."
    )


def test_spravato_never_places_before_now():
    now = local(date(2026, 3, 11), 12, 5)

    result = expand(World(), prefs=Preferences(), now=now)

    first = result.slots[0].placement.start
    assert first == local(date(2026, 3, 11), 12, 15)
    assert all(s.placement.start >= now for s in result.placed)


def test_spravato_plan_reserves_its_sessions_on_the_shared_boards():
    world = World()
    boards = world.boards()

    result = plan_expand(phases=SPRAVATO, start_date=MONDAY, prefs=AT_TEN, boards=boards, now=NOW)

    assert len(boards[SPRAVATO_ID].patient_busy) == len(result.slots)
    assert len(boards[SPRAVATO_ID].patient_dosing_days) == len(result.slots)
    assert sum(len(t) for t in world.seat_busy.values()) == 2 * len(result.slots)


def test_spravato_make_up_squeezed_between_kept_sessions_says_no_day_fits():
    world = World()
    boards = world.boards()
    fixed = {2: local(date(2026, 3, 12), 10), 4: local(date(2026, 3, 16), 10)}

    result = plan_expand(
        phases=SPRAVATO, start_date=MONDAY, prefs=AT_TEN, boards=boards, now=NOW, fixed=fixed
    )

    assert result.slots[2].reason == (
        "Session 3 (Induction): no day in week 2 is within 3-5 days of session 2 "
        "and 3-5 days before session 4."
    )


def test_spravato_kept_session_without_holds_on_the_board_is_still_kept():
    result = expand(World(), fixed={1: local(MONDAY, 11)})

    kept = result.slots[0]
    assert kept.fixed
    assert kept.placement.start == local(MONDAY, 11)
    assert kept.placement.seat.label == "(already booked)"
    assert local_clock(result.slots[1].placement.start) == time(11)

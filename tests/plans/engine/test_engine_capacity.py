"""plan_expand on a full clinic: readable reasons, valid partial plans, and a bounded search.
Pure: boards built by hand, no database. 2026-03-09 is a Monday."""

import time as clock
from datetime import date, time, timedelta

import pytest

from backend.plans.engine.expand import plan_expand
from backend.plans.engine.rules import Preferences
from backend.scheduling.resources.calendar import ClinicCalendar
from backend.scheduling.resources.intervals import Span
from tests.plans.engine.engine_world import (
    CLINIC_HOURS,
    MONDAY,
    NOW,
    NY,
    World,
    local,
    local_day,
    plan_violations,
    rules_for,
)

SPRAVATO = rules_for("spravato-trd")
AT_TEN = Preferences(earliest=time(10))


def fill_seats(world: World, first: date, last: date, seats=(1, 2, 3)) -> None:
    day = first
    while day <= last:
        for seat in seats:
            world.busy_seat(seat, local(day, 0), local(day + timedelta(days=1), 0))
        day += timedelta(days=1)


def expand(world: World, prefs: Preferences = AT_TEN, **kwargs):
    boards = world.boards()
    result = plan_expand(
        phases=kwargs.pop("phases", SPRAVATO),
        start_date=MONDAY,
        prefs=prefs,
        boards=boards,
        now=NOW,
        **kwargs,
    )
    problems = plan_violations(
        result, SPRAVATO, start_date=MONDAY, prefs=prefs, boards=boards, now=NOW
    )
    assert problems == []
    return result


def test_full_week_leaves_its_sessions_unplaced_and_the_course_goes_on():
    world = World()
    fill_seats(world, date(2026, 3, 23), date(2026, 3, 29))  # all of plan week 3

    result = expand(world)

    assert [s.ordinal for s in result.unplaced] == [5, 6]
    assert [s.reason for s in result.unplaced] == [
        "Session 5 (Induction): no recliner free Mon-Tue in week 3 (Mar 23-24), "
        "within 3-5 days of session 4.",
        "Session 6 (Induction): no recliner free Thu-Sat in week 3 (Mar 26-28), "
        "within 3-5 days of session 5.",
    ]
    assert local_day(result.slots[6].placement.start) == date(2026, 3, 30)
    assert len(result.placed) == 16


def test_reason_lists_each_problem_with_its_days():
    closed = (date(2026, 3, 24), date(2026, 3, 24), "Staff training")
    world = World(calendar=ClinicCalendar(NY, CLINIC_HOURS, (closed,)))
    fill_seats(world, date(2026, 3, 23), date(2026, 3, 23))
    for nurse in (101, 102):
        world.busy_staff(nurse, local(date(2026, 3, 25), 0), local(date(2026, 3, 26), 0))
    # Session 4 pinned on Friday makes session 5's window Monday to Wednesday.
    result = expand(world, pinned={4: local(date(2026, 3, 20), 10)})

    slot = result.slots[4]
    assert slot.reason == (
        "Session 5 (Induction): nothing free Mon-Wed in week 3 (Mar 23-25), "
        "within 3-5 days of session 4: the clinic is closed (Tue); no recliner free (Mon); "
        "no staff member free (Wed)."
    )


def test_no_nurse_working_reads_as_no_staff_member_free():
    world = World()
    for nurse in (101, 102):
        world.busy_staff(nurse, local(MONDAY, 0), local(MONDAY + timedelta(days=3), 0))

    result = expand(world)

    assert result.slots[0].reason == (
        "Session 1 (Induction): no staff member free Mon-Wed in week 1 (Mar 9-11), "
        "within 6 days of the start date."
    )


def test_patient_busy_reads_as_another_appointment():
    world = World()
    boards = world.boards()
    patient = boards[1].patient_busy
    patient.add(Span(local(MONDAY, 0), local(MONDAY + timedelta(days=3), 0)))

    result = plan_expand(phases=SPRAVATO, start_date=MONDAY, prefs=AT_TEN, boards=boards, now=NOW)

    assert result.slots[0].reason == (
        "Session 1 (Induction): the patient has another appointment Mon-Wed in week 1 "
        "(Mar 9-11), within 6 days of the start date."
    )
    # Session 1 may not take Thursday: that would leave no day in week 1 for session 2.
    assert local_day(result.slots[1].placement.start) == date(2026, 3, 12)


def test_nearly_full_clinic_places_what_fits_and_explains_the_rest():
    world = World()
    # Every recliner is taken all day except recliner 1 on Tuesdays and Wednesdays
    # 10:00-12:30: one session a week at most keeps a 3-day gap.
    day = MONDAY
    while day < MONDAY + timedelta(days=7 * 22):
        for seat in (1, 2, 3):
            if seat == 1 and day.weekday() in (1, 2):
                world.busy_seat(seat, local(day, 0), local(day, 10))
                world.busy_seat(seat, local(day, 12, 30), local(day + timedelta(days=1), 0))
            else:
                world.busy_seat(seat, local(day, 0), local(day + timedelta(days=1), 0))
        day += timedelta(days=1)

    result = expand(world)

    assert result.placed and result.unplaced
    assert {local_day(s.placement.start).weekday() for s in result.placed} <= {1, 2}
    for slot in result.unplaced:
        assert slot.reason.startswith(f"Session {slot.ordinal} (")
        assert "no recliner free" in slot.reason or "no Monday" in slot.reason


def test_search_budget_stops_early_with_a_reason():
    world = World()
    fill_seats(world, MONDAY, MONDAY + timedelta(days=200))

    result = expand(world, max_steps=50)

    assert result.placed == []
    assert "search stopped early" in result.slots[0].reason
    assert result.slots[-1].reason.endswith(
        "not planned: the search limit was reached because the calendar is very full; "
        "choose a time by hand."
    )


def test_hopeless_calendar_fails_fast():
    world = World()
    fill_seats(world, MONDAY - timedelta(days=1), MONDAY + timedelta(days=220))

    started = clock.perf_counter()
    result = expand(world)
    elapsed = clock.perf_counter() - started

    assert result.placed == []
    assert all(s.reason for s in result.slots)
    assert elapsed < 2.0


@pytest.mark.parametrize(
    ("earliest", "latest", "phrase"),
    [
        (time(17), time(17, 45), "outside opening hours or the patient's time window"),
        (None, None, "no recliner free"),
    ],
    ids=["window-after-closing", "no-window"],
)
def test_hours_problem_names_the_time_window_only_when_there_is_one(earliest, latest, phrase):
    world = World()
    fill_seats(world, MONDAY, MONDAY + timedelta(days=6))

    result = expand(world, prefs=Preferences(earliest=earliest, latest=latest))

    assert phrase in result.slots[0].reason

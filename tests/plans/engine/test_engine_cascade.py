"""plan_cascade: after one session moves, later sessions move only as the cadence needs.
Pure: no database. 2026-03-09 is a Monday; the Spravato course runs Mon/Thu at 10:00."""

from datetime import date, time, timedelta

import pytest

from backend.plans.engine.cascade import plan_cascade
from backend.plans.engine.expand import plan_expand
from backend.plans.engine.rules import Preferences
from backend.scheduling.booking.availability import (
    Placement,
    board_release,
    board_reserve,
    placement_check,
)
from tests.plans.engine.engine_world import (
    MONDAY,
    NOW,
    World,
    local,
    local_day,
    rules_for,
)

SPRAVATO = rules_for("spravato-trd")
KAP = rules_for("kap-individual")
AT_TEN = Preferences(earliest=time(10))


def book(phases, prefs=AT_TEN):
    """A booked plan: its holds are on the world's boards."""
    world = World()
    boards = world.boards()
    result = plan_expand(phases=phases, start_date=MONDAY, prefs=prefs, boards=boards, now=NOW)
    assert result.unplaced == []
    return world, boards, {s.ordinal: s for s in result.slots}


def move(phases, boards, slots, ordinal, shift: timedelta, prefs=AT_TEN, **kwargs):
    """Move one session as the service does, then cascade the later ones."""
    for o, slot in slots.items():
        if o >= ordinal:
            board_release(boards[slot.session_type_id], slot.placement)
    moved = slots[ordinal]
    new = placement_check(
        boards[moved.session_type_id],
        next(p for p in phases if p.key == moved.phase_key).spec,
        moved.placement.start + shift,
        now=NOW,
    )
    assert isinstance(new, Placement)
    board_reserve(boards[moved.session_type_id], new)
    current = {o: s.placement.start for o, s in slots.items()}
    current[ordinal] = new.start
    return plan_cascade(
        phases=phases,
        start_date=MONDAY,
        prefs=prefs,
        boards=boards,
        now=NOW,
        current=current,
        moved_ordinal=ordinal,
        **kwargs,
    )


def test_cascade_by_zero_days_moves_nothing():
    _, boards, slots = book(SPRAVATO)

    result = move(SPRAVATO, boards, slots, 3, timedelta(0))

    assert [s.ordinal for s in result] == list(range(4, 19))
    assert all(s.fixed for s in result)
    assert [s.placement.start for s in result] == [slots[o].placement.start for o in range(4, 19)]


def test_cascade_moves_only_the_sessions_that_break_the_cadence():
    _, boards, slots = book(SPRAVATO)

    result = move(SPRAVATO, boards, slots, 3, timedelta(days=2))  # Mon 16 -> Wed 18

    moved = {s.ordinal: local_day(s.placement.start) for s in result if not s.fixed}
    assert moved == {
        4: date(2026, 3, 21),  # Thu 19 is 1 day after Wed: Sat keeps 3 days and week 2
        5: date(2026, 3, 24),  # Mon 23 would be 2 days after Sat
        6: date(2026, 3, 27),  # Thu 26 would be 2 days after Tue
    }
    assert all(s.fixed for s in result if s.ordinal >= 7)
    assert all(
        s.placement.start.astimezone(local(MONDAY, 0).tzinfo).time() == time(10) for s in result
    )


def test_cascade_keeps_the_week_grid():
    _, boards, slots = book(SPRAVATO)

    result = move(SPRAVATO, boards, slots, 7, timedelta(days=3))  # Mon 30 -> Thu Apr 2

    by_ordinal = {s.ordinal: s for s in result}
    # Session 8 must stay in week 4 (ends Sun Apr 5) and 3 days after Thu: Sun is closed.
    assert by_ordinal[8].placement is None
    assert by_ordinal[8].reason == (
        "Session 8 (Induction): the clinic is closed Sun in week 4 (Apr 5), "
        "within 3-5 days of session 7."
    )
    # Session 9 keeps its 5-day gap from where session 8 would at best have been (Sun).
    assert local_day(by_ordinal[9].placement.start) == date(2026, 4, 10)


def test_cascade_moves_integration_with_its_dosing_session():
    _, boards, slots = book(KAP, prefs=Preferences(earliest=time(9)))
    dosing_day = local_day(slots[3].placement.start)
    assert local_day(slots[6].placement.start) == dosing_day + timedelta(days=1)

    result = move(KAP, boards, slots, 3, timedelta(days=1), prefs=Preferences(earliest=time(9)))

    by_ordinal = {s.ordinal: s for s in result}
    assert by_ordinal[4].fixed and by_ordinal[5].fixed  # 6 days after is still weekly enough
    assert not by_ordinal[6].fixed
    assert local_day(by_ordinal[6].placement.start) == dosing_day + timedelta(days=2)
    assert by_ordinal[7].fixed and by_ordinal[8].fixed


def test_cascade_moves_to_the_nearest_free_time_on_the_same_day_first():
    world, boards, slots = book(SPRAVATO)
    thursday = date(2026, 3, 19)
    for seat in (1, 2, 3):
        world.busy_seat(seat, local(thursday, 9, 30), local(thursday, 11))

    result = move(SPRAVATO, boards, slots, 3, timedelta(0))

    session_4 = result[0]
    assert not session_4.fixed
    assert session_4.placement.start == local(thursday, 11)


def test_cascade_session_that_cannot_be_kept_is_unplaced_with_a_reason():
    world, boards, slots = book(SPRAVATO)
    for seat in (1, 2, 3):
        world.busy_seat(seat, local(date(2026, 3, 19), 0), local(date(2026, 3, 23), 0))

    result = move(SPRAVATO, boards, slots, 3, timedelta(0))

    assert result[0].placement is None
    assert result[0].reason == (
        "Session 4 (Induction): no recliner free Thu-Sat in week 2 (Mar 19-21), "
        "within 3-5 days of session 3."
    )
    assert all(s.placement is not None for s in result[1:])


def test_cascade_skips_sessions_that_are_not_booked():
    _, boards, slots = book(SPRAVATO)
    board_release(boards[slots[5].session_type_id], slots[5].placement)
    del slots[5]

    result = move(SPRAVATO, boards, slots, 3, timedelta(0))

    assert [s.ordinal for s in result] == [4, *range(6, 19)]
    assert all(s.fixed for s in result)


def test_cascade_needs_the_moved_session():
    with pytest.raises(ValueError, match="moved session 3"):
        plan_cascade(
            phases=SPRAVATO,
            start_date=MONDAY,
            prefs=AT_TEN,
            boards=World().boards(),
            now=NOW,
            current={1: local(MONDAY, 10)},
            moved_ordinal=3,
        )


def test_cascade_leaves_sessions_that_already_started_out_of_the_answer():
    _, boards, slots = book(SPRAVATO)
    for o in range(3, 19):
        board_release(boards[slots[o].session_type_id], slots[o].placement)
    current = {o: s.placement.start for o, s in slots.items()}

    result = plan_cascade(
        phases=SPRAVATO,
        start_date=MONDAY,
        prefs=AT_TEN,
        boards=boards,
        now=local(date(2026, 3, 19), 12),
        current=current,
        moved_ordinal=3,
    )

    assert [s.ordinal for s in result] == list(range(5, 19))
    assert all(s.fixed for s in result)

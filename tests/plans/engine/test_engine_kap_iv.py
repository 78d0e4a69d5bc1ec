"""plan_expand on the KAP and IV templates: follow-up integration sessions, shared time of day
between dosing phases, and recovery-room infusions. Pure: no database. 2026-03-09 is a Monday."""

import itertools
from datetime import date, time, timedelta

import pytest

from backend.plans.engine.expand import plan_expand
from backend.plans.engine.rules import Preferences
from tests.plans.engine.engine_world import (
    MONDAY,
    NOW,
    TYPE_IDS,
    World,
    local,
    local_clock,
    local_day,
    plan_violations,
    rules_for,
)

KAP = rules_for("kap-individual")
IV = rules_for("iv-ketamine")
AT_NINE = Preferences(earliest=time(9))


def expand(world: World, phases, prefs: Preferences = AT_NINE, **kwargs):
    boards = world.boards()
    result = plan_expand(
        phases=phases, start_date=MONDAY, prefs=prefs, boards=boards, now=NOW, **kwargs
    )
    assert (
        plan_violations(result, phases, start_date=MONDAY, prefs=prefs, boards=boards, now=NOW)
        == []
    )
    return result


def test_kap_numbers_preparation_dosing_then_integration():
    result = expand(World(), KAP)

    assert [(s.ordinal, s.phase_key) for s in result.slots] == [
        (1, "preparation"),
        (2, "preparation"),
        (3, "dosing"),
        (4, "dosing"),
        (5, "dosing"),
        (6, "integration"),
        (7, "integration"),
        (8, "integration"),
    ]
    assert {s.session_type_id for s in result.slots[5:]} == {TYPE_IDS["kap-integration"]}


@pytest.mark.parametrize(("dosing", "integration"), [(3, 6), (4, 7), (5, 8)])
def test_kap_integration_lands_one_to_three_days_after_its_dosing(dosing, integration):
    result = expand(World(), KAP)

    gap = local_day(result.slots[integration - 1].placement.start) - local_day(
        result.slots[dosing - 1].placement.start
    )

    assert timedelta(days=1) <= gap <= timedelta(days=3)


def test_kap_dosing_is_weekly_on_the_same_weekday():
    result = expand(World(), KAP)

    days = [local_day(s.placement.start) for s in result.slots[2:5]]

    assert [(b - a).days for a, b in itertools.pairwise(days)] == [7, 7]
    assert 6 <= (days[0] - local_day(result.slots[1].placement.start)).days <= 9


def test_kap_integration_moves_to_a_later_day_when_therapists_are_busy():
    world = World()
    day_after = date(2026, 3, 19)
    for therapist in (201, 202):
        world.busy_staff(therapist, local(day_after, 0), local(day_after, 23))

    result = expand(world, KAP)

    assert local_day(result.slots[2].placement.start) == date(2026, 3, 18)
    assert local_day(result.slots[5].placement.start) == date(2026, 3, 20)


def test_kap_integration_waits_when_its_dosing_session_cannot_be_placed():
    world = World()
    for seat in (1, 2, 3):
        world.busy_seat(seat, local(date(2026, 3, 24), 0), local(date(2026, 3, 29), 0))

    result = expand(world, KAP, pinned={4: local(date(2026, 3, 25), 9)})

    assert result.slots[3].placement is None
    assert result.slots[6].reason == (
        "Session 7 (Integration): it comes after session 4 (Dosing), which could not be placed."
    )


def test_kap_integration_that_cannot_fit_names_its_window():
    world = World()
    for therapist in (201, 202):
        world.busy_staff(therapist, local(date(2026, 3, 19), 0), local(date(2026, 3, 22), 0))

    result = expand(world, KAP)

    assert result.slots[5].reason == (
        "Session 6 (Integration): no staff member free Thu-Sat in week 2 (Mar 19-21), "
        "1-3 days after session 3."
    )


def test_iv_infusions_never_on_consecutive_days_and_use_the_lounge():
    result = expand(World(), IV)

    infusions = [local_day(s.placement.start) for s in result.slots[:6]]
    gaps = [(b - a).days for a, b in itertools.pairwise(infusions)]

    assert all(2 <= gap <= 4 for gap in gaps)
    assert (infusions[-1] - infusions[0]).days <= 21
    assert {s.placement.recovery_seat.room_id for s in result.slots} == {20}


def test_iv_boosters_follow_every_four_weeks_within_the_horizon():
    result = expand(World(), IV)

    days = [local_day(s.placement.start) for s in result.slots]
    boosters = days[6:]

    assert len(boosters) == 3
    assert 28 <= (boosters[0] - days[5]).days <= 35
    assert [(b - a).days for a, b in itertools.pairwise(boosters)] == [28, 28]


def test_iv_full_lounge_reads_as_no_recovery_seat():
    world = World()
    for chair in (21, 22, 23, 24):
        world.busy_seat(chair, local(MONDAY, 0), local(MONDAY + timedelta(days=7), 0))

    result = expand(world, IV)

    assert result.slots[0].reason == (
        "Session 1 (Infusion series): nothing free Mon-Sun in week 1 (Mar 9-15), "
        "within 6 days of the start date: no recovery seat free (Mon-Sat); "
        "the clinic is closed (Sun)."
    )


def test_dosing_phases_share_one_time_of_day():
    result = expand(World(), KAP, prefs=Preferences(earliest=time(9), latest=time(15)))

    preparation = {local_clock(s.placement.start) for s in result.slots[:2]}
    dosing = {local_clock(s.placement.start) for s in result.slots[2:5]}

    assert preparation == {time(9)}
    assert dosing == {time(9)}

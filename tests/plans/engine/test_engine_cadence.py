"""Layouts, windows, validation, reason wording and the built-in templates. Pure: no database."""

import importlib
import json
from dataclasses import replace
from datetime import date, time, timedelta

import pytest

from backend.plans.engine.builtin import (
    BUILTIN_SESSION_TYPES,
    BUILTIN_TEMPLATES,
    builtin_template,
    session_spec_build,
)
from backend.plans.engine.cadence import Gap, Window, layout_build, rhythm_days, window_build
from backend.plans.engine.reasons import date_range, plan_weeks, relation_text
from backend.plans.engine.rules import (
    PhaseRule,
    PlannedSlot,
    PlanResult,
    Preferences,
    phases_validate,
    preferences_validate,
)
from tests.plans.engine.engine_world import MONDAY, rules_for

SPRAVATO = rules_for("spravato-trd")


@pytest.mark.parametrize(
    ("slug", "phases"),
    [
        ("spravato-trd", ["induction"] * 8 + ["optimization"] * 4 + ["maintenance"] * 6),
        ("iv-ketamine", ["induction"] * 6 + ["maintenance"] * 3),
        ("kap-individual", ["preparation"] * 2 + ["dosing"] * 3 + ["integration"] * 3),
    ],
)
def test_layout_numbers_phases_in_template_order(slug, phases):
    layout = layout_build(rules_for(slug))

    assert [s.phase.key for s in layout.sessions] == phases
    assert [s.ordinal for s in layout.sessions] == list(range(1, len(phases) + 1))


def test_layout_follow_ups_point_at_their_sessions():
    layout = layout_build(rules_for("kap-individual"))

    assert [(s.ordinal, s.follows) for s in layout.sessions if s.follows] == [
        (6, 3),
        (7, 4),
        (8, 5),
    ]


@pytest.mark.parametrize(("horizon", "sessions"), [(1, 1), (2, 1), (3, 2), (12, 6), (16, 8)])
def test_open_ended_count_comes_from_the_horizon_not_the_calendar(horizon, sessions):
    phases = [*SPRAVATO[:2], replace(SPRAVATO[2], horizon_weeks=horizon)]

    layout = layout_build(phases)

    assert layout.counts["maintenance"] == sessions


@pytest.mark.parametrize(
    ("least", "most", "expected"),
    [
        (2, 7, None),
        (3, 5, None),
        (2, 4, None),
        (5, 9, 7),
        (6, 9, 7),
        (7, 14, 7),
        (13, 15, 14),
        (13, 14, 14),
        (28, 35, 28),
        (6, None, 7),
        (0, None, None),
    ],
)
def test_rhythm_days_prefers_whole_weeks_only_for_weekly_windows(least, most, expected):
    assert rhythm_days(Gap(least, most)) == expected


def test_window_of_second_week_grid_starts_after_the_first_grid():
    layout = layout_build(SPRAVATO)
    dates = {
        o: MONDAY + timedelta(days=d)
        for o, d in zip(range(1, 9), [0, 3, 7, 10, 14, 17, 21, 24], strict=True)
    }

    window = window_build(layout, layout.sessions[8], dates, MONDAY)

    assert window.week == (date(2026, 4, 6), date(2026, 4, 12))
    assert (window.lo, window.hi, window.prefer) == (
        date(2026, 4, 7),
        date(2026, 4, 11),
        date(2026, 4, 9),
    )


def test_window_of_first_session_of_a_later_phase_needs_offset_and_gap():
    layout = layout_build(rules_for("iv-ketamine"))
    dates = dict.fromkeys(range(1, 7), MONDAY)

    window = window_build(layout, layout.sessions[6], dates, MONDAY)

    assert (window.lo, window.hi) == (MONDAY + timedelta(days=28), MONDAY + timedelta(days=35))


def test_window_leaves_room_before_a_kept_later_session():
    layout = layout_build(SPRAVATO)
    dates = {1: MONDAY, 2: date(2026, 3, 12)}

    window = window_build(layout, layout.sessions[2], dates, MONDAY, ahead={4: date(2026, 3, 19)})

    assert (window.lo, window.hi) == (date(2026, 3, 16), date(2026, 3, 16))
    assert (window.before, window.gap_before) == (4, Gap(3, 5))


def test_window_week_cap_leaves_a_day_for_the_second_session_of_the_week():
    layout = layout_build(SPRAVATO)

    window = window_build(layout, layout.sessions[0], {}, MONDAY, allowed=lambda d: d.weekday() < 6)

    assert window.cap == date(2026, 3, 11)  # Wed: Sat - 3 days
    assert window.last == date(2026, 3, 11)


@pytest.mark.parametrize(
    ("window", "text"),
    [
        (Window(MONDAY, None, after=4, gap=Gap(3, 5)), "within 3-5 days of session 4"),
        (Window(MONDAY, None, after=4, gap=Gap(14, 14)), "14 days after session 4"),
        (Window(MONDAY, None, after=4, gap=Gap(3, None)), "at least 3 days after session 4"),
        (Window(MONDAY, None, after=3, gap=Gap(1, 3), follows=True), "1-3 days after session 3"),
        (Window(MONDAY, None, after=None, gap=Gap(0, 6)), "within 6 days of the start date"),
        (Window(MONDAY, None, after=None, gap=Gap(0, None)), ""),
        (
            Window(MONDAY, None, after=2, gap=Gap(3, 5), before=4, gap_before=Gap(3, 5)),
            "within 3-5 days of session 2 and 3-5 days before session 4",
        ),
    ],
    ids=["range", "exact", "open", "follows", "start", "start-open", "before"],
)
def test_relation_text_names_the_cadence_rule(window, text):
    assert relation_text(window) == text


@pytest.mark.parametrize(
    ("first", "last", "text"),
    [
        (date(2026, 3, 17), date(2026, 3, 17), "Mar 17"),
        (date(2026, 3, 17), date(2026, 3, 19), "Mar 17-19"),
        (date(2026, 3, 30), date(2026, 4, 2), "Mar 30-Apr 2"),
    ],
)
def test_date_range_is_short(first, last, text):
    assert date_range(first, last) == text


def test_plan_weeks_count_from_the_start_date():
    assert plan_weeks([MONDAY + timedelta(days=13)], MONDAY) == "week 2"
    assert (
        plan_weeks([MONDAY + timedelta(days=13), MONDAY + timedelta(days=14)], MONDAY)
        == "weeks 2-3"
    )


def phase(key="a", **fields) -> PhaseRule:
    return replace(SPRAVATO[0], key=key, **fields)


@pytest.mark.parametrize(
    ("phases", "message"),
    [
        ([], "at least one phase"),
        ([phase(), phase()], "used twice"),
        ([phase(), phase("b", follows="c")], "not an earlier phase"),
        ([phase(follows="a")], "not an earlier phase"),
        ([phase(count=None, horizon_weeks=None)], "needs horizon_weeks"),
        (
            [phase(count=None, horizon_weeks=4, sessions_per_week=None, min_gap_days=0)],
            "min_gap_days >= 1",
        ),
        ([phase(count=None, horizon_weeks=4), phase("b")], "must be the last one"),
        ([phase(max_gap_days=1)], "max_gap_days must not be less"),
        ([phase(offset_min_days=3, offset_max_days=1)], "offset_max_days must not be less"),
        ([phase(min_gap_days=-1)], "min_gap_days must be a whole number"),
        ([phase(sessions_per_week=8)], "sessions_per_week must be 1 to 7"),
        (
            [phase(), phase("b", follows="a", follows_min_days=3, follows_max_days=1)],
            "follows_max_days",
        ),
        ([phase(), phase("b", follows="a"), phase("c", follows="b")], "itself follows"),
    ],
    ids=[
        "empty",
        "duplicate",
        "unknown-follows",
        "self-follows",
        "no-horizon",
        "no-spacing",
        "open-not-last",
        "gap-order",
        "offset-order",
        "negative",
        "per-week",
        "follows-order",
        "follows-chain",
    ],
)
def test_phases_validate_names_the_problem(phases, message):
    with pytest.raises(ValueError, match=message):
        phases_validate(phases)


def test_phases_validate_allows_follow_ups_after_an_open_ended_phase():
    phases_validate([*SPRAVATO, phase("integration", follows="maintenance", count=None)])


@pytest.mark.parametrize(
    ("prefs", "message"),
    [
        (Preferences(weekdays=frozenset({7})), "Weekdays"),
        (Preferences(earliest=time(12), latest=time(9)), "latest start is before"),
        (Preferences(earliest="09:00"), "wall-clock"),
    ],
)
def test_preferences_validate_names_the_problem(prefs, message):
    with pytest.raises(ValueError, match=message):
        preferences_validate(prefs)


def test_plan_result_splits_placed_and_unplaced():
    placed = PlannedSlot(1, "a", 1, placement=object(), reason=None)
    unplaced = PlannedSlot(2, "a", 1, placement=None, reason="why")

    result = PlanResult([placed, unplaced])

    assert (result.placed, result.unplaced) == ([placed], [unplaced])


def test_builtin_templates_are_plain_json():
    assert json.loads(json.dumps(BUILTIN_TEMPLATES)) == BUILTIN_TEMPLATES
    assert [t["slug"] for t in BUILTIN_TEMPLATES] == [
        "spravato-trd",
        "iv-ketamine",
        "kap-individual",
    ]


@pytest.mark.parametrize("slug", ["spravato-trd", "iv-ketamine", "kap-individual"])
def test_builtin_templates_validate_and_reference_known_session_types(slug):
    template = builtin_template(slug)

    phases_validate(rules_for(slug))
    assert {p["session_type"] for p in template["phases"]} <= set(BUILTIN_SESSION_TYPES)


@pytest.mark.parametrize(
    ("slug", "minutes", "same_seat", "dosing"),
    [
        ("spravato-session", (15, 120), True, True),
        ("iv-infusion", (55, 60), False, True),
        ("kap-preparation", (60, 0), True, False),
        ("kap-dosing", (150, 30), True, True),
        ("kap-integration", (60, 0), True, False),
    ],
)
def test_builtin_session_types_match_the_protocols(slug, minutes, same_seat, dosing):
    spec = session_spec_build(BUILTIN_SESSION_TYPES[slug])

    assert (spec.in_room, spec.recovery) == tuple(timedelta(minutes=m) for m in minutes)
    assert (spec.recovery_same_seat, spec.is_dosing) == (same_seat, dosing)


def test_builtin_template_unknown_slug():
    with pytest.raises(KeyError):
        builtin_template("nope")


def test_builtin_templates_match_the_plans_data_migration():
    migration = importlib.import_module("backend.plans.migrations.0002_builtin_templates")

    assert migration.TEMPLATES == BUILTIN_TEMPLATES

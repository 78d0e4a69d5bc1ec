"""The dates of a cohort's series from a group template (pure)."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.plans.engine.cohort import CohortPhase, cohort_gaps, cohort_move_check, cohort_series

KAP_GROUP = [
    CohortPhase("preparation", 2, min_gap_days=7, max_gap_days=9),
    CohortPhase("dosing", 3, min_gap_days=21, max_gap_days=28, offset_min_days=7),
    CohortPhase("integration", 0, follows="dosing", follows_min_days=1, follows_max_days=3),
]
MONDAY = date(2030, 1, 7)


def days(slots):
    return [(s.phase_key, s.day) for s in slots]


def test_kap_group_series_runs_twelve_weeks_with_three_dosing_sessions():
    slots = cohort_series(KAP_GROUP, MONDAY)

    assert days(slots) == [
        ("preparation", date(2030, 1, 7)),
        ("preparation", date(2030, 1, 14)),
        ("dosing", date(2030, 1, 21)),
        ("integration", date(2030, 1, 22)),
        ("dosing", date(2030, 2, 11)),
        ("integration", date(2030, 2, 12)),
        ("dosing", date(2030, 3, 4)),
        ("integration", date(2030, 3, 5)),
    ]
    assert (slots[-1].day - MONDAY).days < 12 * 7


def test_a_slipped_session_moves_what_follows_it_and_keeps_the_gaps():
    first = cohort_series(KAP_GROUP, MONDAY)
    dosing_one = next(s for s in first if s.phase_key == "dosing")

    slots = cohort_series(KAP_GROUP, MONDAY, placed={dosing_one.ordinal: date(2030, 1, 23)})

    assert ("dosing", date(2030, 1, 23)) in days(slots)
    assert ("integration", date(2030, 1, 24)) in days(slots)
    assert ("dosing", date(2030, 2, 13)) in days(slots)
    assert dosing_one.slack_days == 7


# --- Moving one session within the cadence ------------------------------------------------

# The KAP group series by ordinal (ordinals follow the phases: preparation 1-2, dosing 3-5,
# the integration after each dosing 6-8).
LAID_OUT = {slot.ordinal: slot.day for slot in cohort_series(KAP_GROUP, MONDAY)}


def test_kap_group_gaps_are_those_the_template_sets():
    assert [(g.earlier, g.later, g.min_days, g.max_days) for g in cohort_gaps(KAP_GROUP)] == [
        (1, 2, 7, 9),
        (2, 3, 7, None),
        (3, 4, 21, 28),
        (4, 5, 21, 28),
        (3, 6, 1, 3),
        (4, 7, 1, 3),
        (5, 8, 1, 3),
    ]


@pytest.mark.parametrize(
    ("ordinal", "day", "refusal"),
    [
        pytest.param(6, date(2030, 1, 24), None, id="integration-within-three-days"),
        pytest.param(
            6,
            date(2030, 1, 25),
            "Session 6 of the cohort would be 4 days after session 3; "
            "the cohort's cadence needs 1-3 days.",
            id="integration-too-late",
        ),
        pytest.param(
            4,
            date(2030, 2, 13),
            "Session 5 of the cohort would be 19 days after session 4; "
            "the cohort's cadence needs 21-28 days.",
            id="dosing-too-close-to-the-next",
        ),
        pytest.param(
            2,
            date(2030, 1, 16),
            "Session 3 of the cohort would be 5 days after session 2; "
            "the cohort's cadence needs at least 7 days.",
            id="preparation-too-close-to-dosing",
        ),
        pytest.param(1, date(2030, 1, 5), None, id="first-session-two-days-earlier"),
    ],
)
def test_a_move_keeps_the_gaps_to_its_neighbours_or_says_which_breaks(ordinal, day, refusal):
    assert cohort_move_check(KAP_GROUP, LAID_OUT, ordinal, day) == refusal


def test_a_cancelled_neighbour_binds_nothing():
    without_next_dosing = {o: d for o, d in LAID_OUT.items() if o != 5}

    assert cohort_move_check(KAP_GROUP, without_next_dosing, 4, date(2030, 2, 13)) is not None
    without_both = {o: d for o, d in without_next_dosing.items() if o != 7}
    assert cohort_move_check(KAP_GROUP, without_both, 4, date(2030, 2, 13)) is None


phases = st.lists(
    st.builds(
        CohortPhase,
        key=st.uuids().map(str),
        count=st.integers(1, 3),
        min_gap_days=st.integers(1, 10),
        # Above every least gap: the first session can then always move a day earlier
        # (a gap with no room is the test below).
        max_gap_days=st.one_of(st.none(), st.integers(11, 30)),
        offset_min_days=st.integers(0, 10),
    ),
    min_size=1,
    max_size=3,
).map(
    lambda ps: [
        *ps,
        CohortPhase("after", 0, follows=ps[0].key, follows_min_days=1, follows_max_days=3),
    ]
)


@given(phases=phases, data=st.data())
def test_laid_out_series_keep_the_cadence_and_a_day_earlier_breaks_it(phases, data):
    # cohort_series puts every session at the least gap after the one it depends on, so
    # staying put always keeps the cadence and one day earlier never does (but the first).
    laid_out = {slot.ordinal: slot.day for slot in cohort_series(phases, MONDAY)}
    ordinal = data.draw(st.sampled_from(sorted(laid_out)))

    stay = cohort_move_check(phases, laid_out, ordinal, laid_out[ordinal])
    earlier = cohort_move_check(phases, laid_out, ordinal, laid_out[ordinal] - timedelta(days=1))

    assert stay is None
    assert (earlier is None) == (ordinal == 1)


def test_the_first_session_cannot_move_earlier_when_the_next_gap_has_no_room():
    exact = [CohortPhase("dosing", 2, min_gap_days=10, max_gap_days=10)]
    laid_out = {slot.ordinal: slot.day for slot in cohort_series(exact, MONDAY)}

    earlier = cohort_move_check(exact, laid_out, 1, laid_out[1] - timedelta(days=1))

    assert laid_out[2] - laid_out[1] == timedelta(days=10)
    assert earlier is not None and "11 days after session 1" in earlier

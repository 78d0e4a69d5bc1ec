"""The dates of a cohort's series from a group template (pure)."""

from datetime import date

from backend.plans.engine.cohort import CohortPhase, cohort_series

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

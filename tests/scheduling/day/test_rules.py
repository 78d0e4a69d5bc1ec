"""The day-of-treatment rules. Pure: no database, no Django.

A Spravato session booked 09:00-09:15 New York time with recovery to 11:15 and at least 120
minutes of monitoring from the first dose, on Wednesday 2026-05-06.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from backend.scheduling.day import rules
from backend.scheduling.day.rules import (
    BoardSnapshot,
    DischargeChecks,
    DischargeContext,
    DischargeDecision,
    Refusal,
)

NY = ZoneInfo("America/New_York")


def at(hour: int, minute: int = 0, day: int = 6) -> datetime:
    return datetime(2026, 5, day, hour, minute, tzinfo=NY)


START = at(9)
END = at(9, 15)
RECOVERY_END = at(11, 15)
MONITORING = timedelta(minutes=120)

ALL_STATES = [
    rules.BOOKED,
    rules.CHECKED_IN,
    rules.IN_SESSION,
    rules.RECOVERING,
    rules.DISCHARGED,
    rules.CANCELLED,
    rules.NO_SHOW,
]
ALLOWED = {
    (rules.CHECK_IN, rules.BOOKED): rules.CHECKED_IN,
    (rules.START, rules.CHECKED_IN): rules.IN_SESSION,
    (rules.RECOVER, rules.IN_SESSION): rules.RECOVERING,
    (rules.DISCHARGE, rules.IN_SESSION): rules.DISCHARGED,
    (rules.DISCHARGE, rules.RECOVERING): rules.DISCHARGED,
    (rules.MARK_NO_SHOW, rules.BOOKED): rules.NO_SHOW,
}
STEPS = [rules.CHECK_IN, rules.START, rules.RECOVER, rules.DISCHARGE, rules.MARK_NO_SHOW]


@pytest.mark.parametrize(
    ("step", "status"),
    [(step, status) for step in STEPS for status in ALL_STATES],
    ids=[f"{step}-from-{status}" for step in STEPS for status in ALL_STATES],
)
def test_transition_check_allows_exactly_the_listed_steps(step, status):
    result = rules.transition_check(status, step)

    if (step, status) in ALLOWED:
        assert result == ALLOWED[(step, status)]
    else:
        assert isinstance(result, Refusal)
        assert result.kind == "state"
        assert result.field == "status"
        assert f"This appointment is {rules.status_words(status)};" in result.message


def test_transition_check_start_before_check_in_says_to_check_in():
    result = rules.transition_check(rules.BOOKED, rules.START)

    assert result == Refusal(
        "state",
        "status",
        "This appointment is booked; only a checked-in appointment can be started. "
        "Check the patient in first.",
    )


@pytest.mark.parametrize(
    ("status", "allowed"),
    [
        (rules.BOOKED, True),
        (rules.CHECKED_IN, True),
        (rules.IN_SESSION, True),
        (rules.RECOVERING, True),
        (rules.DISCHARGED, False),
        (rules.CANCELLED, False),
        (rules.NO_SHOW, False),
    ],
)
def test_escort_update_until_the_patient_has_left(status, allowed):
    result = rules.transition_check(status, rules.ESCORT_UPDATE)

    assert (result == status) is allowed


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(8, 59), "refused"),
        (at(9), rules.NO_SHOW),
        (at(9, 1), rules.NO_SHOW),
        (at(15), rules.NO_SHOW),
    ],
    ids=["before-start", "at-start", "just-after", "afternoon"],
)
def test_no_show_only_once_the_start_has_passed(now, expected):
    result = rules.no_show_check(status=rules.BOOKED, start=START, now=now, zone=NY)

    if expected == "refused":
        assert result == Refusal(
            "state",
            "start",
            "The appointment starts at 09:00; it can be marked as a no-show only once its "
            "start has passed.",
        )
    else:
        assert result == expected


def test_no_show_of_a_checked_in_patient_is_refused_by_state():
    result = rules.no_show_check(status=rules.CHECKED_IN, start=START, now=at(10), zone=NY)

    assert isinstance(result, Refusal)
    assert result.field == "status"


# --- Discharge --------------------------------------------------------------------------


def context(**changes) -> DischargeContext:
    values = {
        "status": rules.RECOVERING,
        "start": START,
        "session_started_at": at(9, 5),
        "min_monitoring": MONITORING,
        "escort_required": True,
        "escort_name": "Sam Escort",
        "pass_mark": 9,
    }
    values.update(changes)
    return DischargeContext(**values)


def checks(**changes) -> DischargeChecks:
    values = {"vitals_stable": True, "alert_and_oriented": True, "score": 9}
    values.update(changes)
    return DischargeChecks(**values)


def test_discharge_after_monitoring_time_with_passing_checks_is_allowed():
    result = rules.discharge_check(context(), checks(), now=at(11, 5), zone=NY)

    assert result == DischargeDecision(
        collected_by="Sam Escort", earliest=at(11, 5), early=False, override_reason=""
    )


def test_discharge_monitoring_counts_from_the_first_dose_not_the_booked_start():
    result = rules.discharge_check(context(), checks(), now=at(11, 4), zone=NY)

    assert result == [
        Refusal(
            "state",
            "override_reason",
            "Monitoring must last at least 120 minutes: discharge is possible from 11:05. "
            "To discharge earlier, give an override_reason.",
        )
    ]


def test_discharge_without_a_recorded_first_dose_counts_from_the_booked_start():
    result = rules.discharge_check(context(session_started_at=None), checks(), now=at(11), zone=NY)

    assert isinstance(result, DischargeDecision)
    assert result.earliest == at(11)


def test_discharge_early_with_an_override_reason_is_allowed_and_marked_early():
    result = rules.discharge_check(
        context(), checks(override_reason="  Transfer to the ED  "), now=at(10), zone=NY
    )

    assert result == DischargeDecision(
        collected_by="Sam Escort",
        earliest=at(11, 5),
        early=True,
        override_reason="Transfer to the ED",
    )


def test_discharge_override_reason_is_dropped_when_not_early():
    result = rules.discharge_check(
        context(), checks(override_reason="not needed"), now=at(12), zone=NY
    )

    assert isinstance(result, DischargeDecision)
    assert result.override_reason == ""
    assert result.early is False


def test_discharge_blank_override_reason_does_not_count():
    result = rules.discharge_check(context(), checks(override_reason="   "), now=at(10), zone=NY)

    assert [r.field for r in result] == ["override_reason"]


@pytest.mark.parametrize(
    ("score", "pass_mark", "allowed"),
    [(9, 9, True), (10, 9, True), (8, 9, False), (7, 7, True), (6, 7, False), (0, 0, True)],
)
def test_discharge_score_against_the_pass_mark(score, pass_mark, allowed):
    result = rules.discharge_check(
        context(pass_mark=pass_mark), checks(score=score), now=at(12), zone=NY
    )

    if allowed:
        assert isinstance(result, DischargeDecision)
    else:
        assert result == [
            Refusal(
                "input",
                "score",
                f"A discharge score of {score} is below the clinic's pass mark of "
                f"{pass_mark}; reassess later.",
            )
        ]


def test_discharge_score_cannot_be_overridden():
    result = rules.discharge_check(
        context(), checks(score=8, override_reason="urgent"), now=at(12), zone=NY
    )

    assert [r.field for r in result] == ["score"]


def test_discharge_lists_every_input_problem_before_the_time_rule():
    result = rules.discharge_check(
        context(escort_name=""),
        checks(vitals_stable=False, alert_and_oriented=False, score=5),
        now=at(10),
        zone=NY,
    )

    assert [(r.kind, r.field) for r in result] == [
        ("input", "vitals_stable"),
        ("input", "alert_and_oriented"),
        ("input", "score"),
        ("input", "collected_by"),
    ]


def test_discharge_wrong_state_comes_alone():
    result = rules.discharge_check(
        context(status=rules.CHECKED_IN), checks(score=0), now=at(12), zone=NY
    )

    assert result == [
        Refusal(
            "state",
            "status",
            "This appointment is checked in; only a patient in session or recovering can "
            "be discharged.",
        )
    ]


@pytest.mark.parametrize(
    ("escort_required", "escort_name", "collected_by", "expected"),
    [
        (True, "Sam Escort", "", "Sam Escort"),
        (True, "Sam Escort", "  Alex Partner ", "Alex Partner"),
        (True, "", "Alex Partner", "Alex Partner"),
        (True, "", "  ", None),
        (False, "Sam Escort", "", ""),
        (False, "", "Alex Partner", "Alex Partner"),
    ],
    ids=[
        "escort-on-file",
        "someone-else-collected",
        "named-at-discharge",
        "nobody",
        "not-required",
        "not-required-but-named",
    ],
)
def test_discharge_collected_by(escort_required, escort_name, collected_by, expected):
    result = rules.discharge_check(
        context(escort_required=escort_required, escort_name=escort_name),
        checks(collected_by=collected_by),
        now=at(12),
        zone=NY,
    )

    if expected is None:
        assert [r.field for r in result] == ["collected_by"]
    else:
        assert result.collected_by == expected


def test_discharge_straight_from_in_session_is_allowed():
    result = rules.discharge_check(context(status=rules.IN_SESSION), checks(), now=at(12), zone=NY)

    assert isinstance(result, DischargeDecision)


def test_discharge_with_no_minimum_monitoring_is_never_early():
    result = rules.discharge_check(
        context(min_monitoring=timedelta(0), escort_required=False),
        checks(),
        now=at(9, 5),
        zone=NY,
    )

    assert result.early is False


# --- Board ------------------------------------------------------------------------------


def snapshot(**changes) -> BoardSnapshot:
    values = {
        "status": rules.BOOKED,
        "start": START,
        "end": END,
        "recovery_end": RECOVERY_END,
        "min_monitoring": MONITORING,
        "escort_required": True,
        "ride_confirmed": True,
    }
    values.update(changes)
    return BoardSnapshot(**values)


@pytest.mark.parametrize(
    ("status", "now", "late"),
    [
        (rules.BOOKED, at(9, 14), False),
        (rules.BOOKED, at(9, 15), True),
        (rules.BOOKED, at(13), True),
        (rules.CHECKED_IN, at(9, 30), False),
        (rules.CANCELLED, at(9, 30), False),
        (rules.NO_SHOW, at(9, 30), False),
    ],
)
def test_board_late_when_not_checked_in_15_minutes_after_start(status, now, late):
    flags = rules.board_flags(snapshot(status=status), now)

    assert (rules.FLAG_LATE in flags) is late


@pytest.mark.parametrize(
    ("status", "now", "overrun"),
    [
        (rules.RECOVERING, at(11, 15), False),
        (rules.RECOVERING, at(11, 16), True),
        (rules.IN_SESSION, at(11, 16), True),
        (rules.CHECKED_IN, at(11, 16), False),
        (rules.DISCHARGED, at(11, 16), False),
    ],
)
def test_board_recovery_overrun_past_recovery_end_until_discharged(status, now, overrun):
    flags = rules.board_flags(snapshot(status=status, session_started_at=START), now)

    assert (rules.FLAG_RECOVERY_OVERRUN in flags) is overrun


@pytest.mark.parametrize(
    ("status", "started", "now", "due"),
    [
        (rules.RECOVERING, at(9), at(10, 59), False),
        (rules.RECOVERING, at(9), at(11), True),
        (rules.RECOVERING, at(9, 20), at(11, 19), False),
        (rules.RECOVERING, at(9, 20), at(11, 20), True),
        (rules.IN_SESSION, at(9), at(11), True),
        (rules.DISCHARGED, at(9), at(11, 30), False),
        (rules.CHECKED_IN, None, at(11, 30), False),
    ],
    ids=[
        "early",
        "on-time",
        "late-start-early",
        "late-start-due",
        "in-session",
        "gone",
        "not-started",
    ],
)
def test_board_discharge_due_once_minimum_monitoring_is_reached(status, started, now, due):
    flags = rules.board_flags(snapshot(status=status, session_started_at=started), now)

    assert (rules.FLAG_DISCHARGE_DUE in flags) is due


def test_board_discharge_due_waits_for_the_in_room_part_when_monitoring_is_shorter():
    therapy = snapshot(
        status=rules.IN_SESSION,
        end=at(10),
        recovery_end=at(10),
        min_monitoring=timedelta(0),
        session_started_at=at(9),
    )

    assert rules.FLAG_DISCHARGE_DUE not in rules.board_flags(therapy, at(9, 59))
    assert rules.FLAG_DISCHARGE_DUE in rules.board_flags(therapy, at(10))


@pytest.mark.parametrize(
    ("required", "confirmed", "status", "flagged"),
    [
        (True, False, rules.BOOKED, True),
        (True, False, rules.RECOVERING, True),
        (True, True, rules.BOOKED, False),
        (False, False, rules.BOOKED, False),
        (True, False, rules.DISCHARGED, False),
        (True, False, rules.CANCELLED, False),
    ],
)
def test_board_ride_unconfirmed(required, confirmed, status, flagged):
    flags = rules.board_flags(
        snapshot(status=status, escort_required=required, ride_confirmed=confirmed), at(8)
    )

    assert (rules.FLAG_RIDE_UNCONFIRMED in flags) is flagged


def test_board_flags_come_in_a_fixed_order():
    s = snapshot(status=rules.RECOVERING, session_started_at=START, ride_confirmed=False)

    assert rules.board_flags(s, at(12)) == (
        rules.FLAG_RECOVERY_OVERRUN,
        rules.FLAG_DISCHARGE_DUE,
        rules.FLAG_RIDE_UNCONFIRMED,
    )


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, RECOVERY_END),
        ({"status": rules.RECOVERING, "session_started_at": at(9, 20)}, at(11, 35)),
        ({"min_monitoring": timedelta(minutes=180)}, at(12)),
        ({"status": rules.DISCHARGED, "discharged_at": at(11, 40)}, at(11, 40)),
        ({"status": rules.CANCELLED}, None),
        ({"status": rules.NO_SHOW}, None),
    ],
    ids=["as-booked", "late-first-dose", "long-monitoring", "discharged", "cancelled", "no-show"],
)
def test_expected_discharge(changes, expected):
    assert rules.expected_discharge(snapshot(**changes)) == expected


# --- Reminders and REMS ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "status", "already_sent", "due"),
    [
        (at(9, day=7), rules.BOOKED, False, True),
        (at(9, day=8), rules.BOOKED, False, True),  # exactly 48 hours ahead
        (at(9, 1, day=8), rules.BOOKED, False, False),
        (at(9, day=6), rules.BOOKED, False, False),  # starting now: too late
        (at(9, day=7), rules.CANCELLED, False, False),
        (at(9, day=7), rules.BOOKED, True, False),
    ],
    ids=["tomorrow", "edge", "beyond-window", "now", "cancelled", "already-sent"],
)
def test_reminder_due(start, status, already_sent, due):
    result = rules.reminder_due(
        status=status,
        start=start,
        now=at(9),
        ahead=timedelta(hours=48),
        already_sent=already_sent,
    )

    assert result is due


def test_arrive_at_is_before_the_start():
    assert rules.arrive_at(START, 20) == at(8, 40)


@pytest.mark.parametrize(
    ("due_on", "today", "overdue"),
    [
        (date(2026, 5, 13), date(2026, 5, 13), False),
        (date(2026, 5, 13), date(2026, 5, 14), True),
        (date(2026, 5, 13), date(2026, 5, 6), False),
    ],
)
def test_rems_due_seven_days_after_discharge_and_overdue_after(due_on, today, overdue):
    assert rules.rems_due_on(date(2026, 5, 6)) == date(2026, 5, 13)
    assert rules.rems_overdue(due_on, today) is overdue


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (at(0, 0), rules.CHECKED_IN),
        (at(8, 40), rules.CHECKED_IN),
        (at(23, 59), rules.CHECKED_IN),
        (at(23, 59, day=5), "refused"),
        (at(0, 0, day=7), "refused"),
    ],
    ids=["midnight", "before-start", "late-evening", "day-before", "day-after"],
)
def test_check_in_only_on_the_appointments_local_day(now, expected):
    result = rules.check_in_check(status=rules.BOOKED, start=START, now=now, zone=NY)

    if expected == "refused":
        assert result == Refusal(
            "state",
            "start",
            "This appointment is on 2026-05-06; patients check in on the day itself.",
        )
    else:
        assert result == expected


def test_check_in_day_is_the_clinics_not_utcs():
    # 21:00 in New York is already the next day in UTC.
    evening = at(21)

    result = rules.check_in_check(status=rules.BOOKED, start=evening, now=at(20, 50), zone=NY)

    assert result == rules.CHECKED_IN

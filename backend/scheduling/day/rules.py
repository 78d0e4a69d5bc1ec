"""The day of treatment as pure rules: which step may follow which, when a patient may be
discharged, what the front-desk board flags, and when reminders and REMS forms are due.

No Django, no clock: statuses are the plain strings stored on ``Appointment.status``, times
are aware datetimes, and "now" and the clinic's zone are always passed in. Every check
returns either its result or the reasons it refuses (``Refusal``), never an HTTP error:
services decide how a refusal is reported.

The states::

    booked -> checked_in -> in_session -> recovering -> discharged
                            in_session ---------------> discharged
    booked -> no_show                  (once the start has passed)
    booked, checked_in -> cancelled    (the booking service)

Discharge is allowed straight from ``in_session`` too: a session whose monitored part
happens in the room it was dosed in need not pass through an explicit recovery step.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

BOOKED = "booked"
CHECKED_IN = "checked_in"
IN_SESSION = "in_session"
RECOVERING = "recovering"
DISCHARGED = "discharged"
CANCELLED = "cancelled"
NO_SHOW = "no_show"

STATUS_WORDS = {
    BOOKED: "booked",
    CHECKED_IN: "checked in",
    IN_SESSION: "in session",
    RECOVERING: "recovering",
    DISCHARGED: "discharged",
    CANCELLED: "cancelled",
    NO_SHOW: "marked as a no-show",
    "offered": "a waitlist offer not yet accepted",
}

CHECK_IN = "check_in"
START = "start"
RECOVER = "recover"
DISCHARGE = "discharge"
MARK_NO_SHOW = "no_show"
ESCORT_UPDATE = "escort_update"


@dataclass(frozen=True)
class Step:
    sources: frozenset[str]
    target: str | None
    rule: str  # completes "This appointment is <state>; <rule>."


STEPS: dict[str, Step] = {
    CHECK_IN: Step(frozenset({BOOKED}), CHECKED_IN, "only a booked appointment can be checked in"),
    START: Step(
        frozenset({CHECKED_IN}), IN_SESSION, "only a checked-in appointment can be started"
    ),
    RECOVER: Step(
        frozenset({IN_SESSION}), RECOVERING, "only a session in progress can move to recovery"
    ),
    DISCHARGE: Step(
        frozenset({IN_SESSION, RECOVERING}),
        DISCHARGED,
        "only a patient in session or recovering can be discharged",
    ),
    MARK_NO_SHOW: Step(
        frozenset({BOOKED}), NO_SHOW, "only a booked appointment can be marked as a no-show"
    ),
    # Not a transition: the escort can change until the patient has left.
    ESCORT_UPDATE: Step(
        frozenset({BOOKED, CHECKED_IN, IN_SESSION, RECOVERING}),
        None,
        "the escort can only change before the patient is discharged",
    ),
}

# After this long past the start, a patient not checked in is flagged late on the board.
LATE_AFTER = timedelta(minutes=15)
# REMS: the patient monitoring form is filed within 7 days of each session.
REMS_FILING_DAYS = 7

FLAG_LATE = "late"
FLAG_RECOVERY_OVERRUN = "recovery_overrun"
FLAG_DISCHARGE_DUE = "discharge_due"
FLAG_RIDE_UNCONFIRMED = "ride_unconfirmed"
FLAGS = (FLAG_LATE, FLAG_RECOVERY_OVERRUN, FLAG_DISCHARGE_DUE, FLAG_RIDE_UNCONFIRMED)

UNDER_MONITORING = frozenset({IN_SESSION, RECOVERING})
NOT_YET_LEFT = frozenset({BOOKED, CHECKED_IN, IN_SESSION, RECOVERING})


@dataclass(frozen=True)
class Refusal:
    """Why a step is refused.

    ``kind`` is ``"state"`` when the appointment's state (or the time) forbids the step and
    the same request may succeed later, or ``"input"`` when the request itself must change;
    ``field`` names what is wrong.
    """

    kind: str
    field: str
    message: str

    @property
    def is_input(self) -> bool:
        return self.kind == "input"


def status_words(status: str) -> str:
    return STATUS_WORDS.get(status, status)


def clock(instant: datetime, zone: tzinfo) -> str:
    return instant.astimezone(zone).strftime("%H:%M")


def transition_check(status: str, step: str) -> str | Refusal:
    """The state ``step`` leads to from ``status``, or why it cannot be taken."""
    rule = STEPS[step]
    if status in rule.sources:
        return rule.target or status
    message = f"This appointment is {status_words(status)}; {rule.rule}."
    if step == START and status == BOOKED:
        message += " Check the patient in first."
    return Refusal("state", "status", message)


def check_in_check(*, status: str, start: datetime, now: datetime, zone: tzinfo) -> str | Refusal:
    """Check-in only for a booked appointment, and only on its clinic-local day."""
    result = transition_check(status, CHECK_IN)
    if isinstance(result, Refusal):
        return result
    day = start.astimezone(zone).date()
    if now.astimezone(zone).date() != day:
        return Refusal(
            "state",
            "start",
            f"This appointment is on {day.isoformat()}; patients check in on the day itself.",
        )
    return result


def no_show_check(*, status: str, start: datetime, now: datetime, zone: tzinfo) -> str | Refusal:
    """No-show only for a booked appointment whose start has passed."""
    result = transition_check(status, MARK_NO_SHOW)
    if isinstance(result, Refusal):
        return result
    if now < start:
        return Refusal(
            "state",
            "start",
            f"The appointment starts at {clock(start, zone)}; it can be marked as a no-show "
            "only once its start has passed.",
        )
    return result


@dataclass(frozen=True)
class DischargeChecks:
    """What the clinician confirms at discharge."""

    vitals_stable: bool
    alert_and_oriented: bool
    score: int
    collected_by: str = ""
    override_reason: str = ""


@dataclass(frozen=True)
class DischargeContext:
    """The appointment as the discharge rule sees it."""

    status: str
    start: datetime
    session_started_at: datetime | None
    min_monitoring: timedelta
    escort_required: bool
    escort_name: str
    pass_mark: int


@dataclass(frozen=True)
class DischargeDecision:
    collected_by: str
    earliest: datetime
    early: bool
    override_reason: str


def monitoring_start(start: datetime, session_started_at: datetime | None) -> datetime:
    """Monitoring counts from the first dose; the booked start stands in if none is recorded."""
    return session_started_at or start


def earliest_discharge(
    start: datetime, session_started_at: datetime | None, min_monitoring: timedelta
) -> datetime:
    return monitoring_start(start, session_started_at) + min_monitoring


def discharge_check(
    ctx: DischargeContext, checks: DischargeChecks, *, now: datetime, zone: tzinfo
) -> DischargeDecision | list[Refusal]:
    """Decide a discharge. Refusals come in one group: the state, else the input, else time.

    The minimum monitoring time can be overridden with a reason; a failed check, a score
    under the pass mark or a missing escort cannot.
    """
    state = transition_check(ctx.status, DISCHARGE)
    if isinstance(state, Refusal):
        return [state]
    refusals = []
    if not checks.vitals_stable:
        refusals.append(
            Refusal("input", "vitals_stable", "Vital signs must be stable for discharge.")
        )
    if not checks.alert_and_oriented:
        refusals.append(
            Refusal(
                "input", "alert_and_oriented", "The patient must be alert and oriented to leave."
            )
        )
    if checks.score < ctx.pass_mark:
        refusals.append(
            Refusal(
                "input",
                "score",
                f"A discharge score of {checks.score} is below the clinic's pass mark of "
                f"{ctx.pass_mark}; reassess later.",
            )
        )
    collected_by = checks.collected_by.strip()
    if ctx.escort_required:
        collected_by = collected_by or ctx.escort_name.strip()
        if not collected_by:
            refusals.append(
                Refusal(
                    "input",
                    "collected_by",
                    "This session needs an escort: record who collected the patient.",
                )
            )
    if refusals:
        return refusals
    earliest = earliest_discharge(ctx.start, ctx.session_started_at, ctx.min_monitoring)
    early = now < earliest
    reason = checks.override_reason.strip()
    if early and not reason:
        minutes = int(ctx.min_monitoring.total_seconds() // 60)
        return [
            Refusal(
                "state",
                "override_reason",
                f"Monitoring must last at least {minutes} minutes: discharge is possible from "
                f"{clock(earliest, zone)}. To discharge earlier, give an override_reason.",
            )
        ]
    return DischargeDecision(
        collected_by=collected_by,
        earliest=earliest,
        early=early,
        override_reason=reason if early else "",
    )


@dataclass(frozen=True)
class BoardSnapshot:
    """One appointment as the front-desk board sees it."""

    status: str
    start: datetime
    end: datetime
    recovery_end: datetime
    min_monitoring: timedelta
    escort_required: bool
    ride_confirmed: bool
    session_started_at: datetime | None = None
    discharged_at: datetime | None = None


def expected_discharge(s: BoardSnapshot) -> datetime | None:
    """When the patient should leave: the planned recovery shifted by a late first dose.

    Never before the minimum monitoring time; the actual time once discharged; none for an
    appointment that did not happen.
    """
    if s.status == DISCHARGED:
        return s.discharged_at
    if s.status in (CANCELLED, NO_SHOW):
        return None
    base = monitoring_start(s.start, s.session_started_at)
    return base + max(s.min_monitoring, s.recovery_end - s.start)


def discharge_due_at(s: BoardSnapshot) -> datetime:
    """The minimum monitoring time reached, and not before the in-room part is over."""
    base = monitoring_start(s.start, s.session_started_at)
    return base + max(s.min_monitoring, s.end - s.start)


def board_flags(s: BoardSnapshot, now: datetime) -> tuple[str, ...]:
    flags = []
    if s.status == BOOKED and now >= s.start + LATE_AFTER:
        flags.append(FLAG_LATE)
    if s.status in UNDER_MONITORING and now > s.recovery_end:
        flags.append(FLAG_RECOVERY_OVERRUN)
    if s.status in UNDER_MONITORING and now >= discharge_due_at(s):
        flags.append(FLAG_DISCHARGE_DUE)
    if s.escort_required and not s.ride_confirmed and s.status in NOT_YET_LEFT:
        flags.append(FLAG_RIDE_UNCONFIRMED)
    return tuple(flags)


def reminder_window(now: datetime, ahead: timedelta) -> tuple[datetime, datetime]:
    """Appointments starting in ``(now, now + ahead]`` get a reminder."""
    return now, now + ahead


def reminder_due(
    *,
    status: str,
    start: datetime,
    now: datetime,
    ahead: timedelta,
    already_sent: bool,
) -> bool:
    """A booked appointment inside the window that has not had its reminder."""
    low, high = reminder_window(now, ahead)
    return status == BOOKED and low < start <= high and not already_sent


def arrive_at(start: datetime, minutes_before: int) -> datetime:
    return start - timedelta(minutes=minutes_before)


def rems_due_on(discharged_on: date) -> date:
    """The REMS form's deadline, from the clinic-local date of the discharge."""
    return discharged_on + timedelta(days=REMS_FILING_DAYS)


def rems_overdue(due_on: date, today: date) -> bool:
    return due_on < today

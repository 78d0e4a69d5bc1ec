"""Sentences for sessions the engine could not place, worded for the front desk.

Each names the session and its phase, what was in the way (summarised over the days tried,
not one line per quarter hour), the days and plan weeks looked at, and the cadence rule that
limited them, so the reader can judge which day to free or which rule to bend.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from backend.plans.engine.cadence import Gap, Window
from backend.plans.engine.rules import PhaseRule
from backend.plans.engine.search import Notes
from backend.scheduling.booking.availability import Clash

WEEKDAY_ABBR = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Calendar reasons first: they explain a whole day, resource reasons only some times of it.
PROBLEM_ORDER = (
    "closure",
    "hours",
    "seat",
    "recovery_seat",
    "staff",
    "patient",
    "dosing_day",
    "monitoring",
    "prescriber",
    "past",
)


def problem_phrase(kind: str, phase: PhaseRule, *, time_window: bool) -> str:
    phrases = {
        "seat": f"no {phase.seat_noun} free",
        "recovery_seat": "no recovery seat free",
        "staff": "no staff member free",
        "patient": "the patient has another appointment",
        "dosing_day": "the patient already doses that day",
        "monitoring": "too few monitors for another recovering patient",
        "prescriber": "no prescriber on site",
        "closure": "the clinic is closed",
        "hours": (
            "outside opening hours or the patient's time window"
            if time_window
            else "outside opening hours"
        ),
        "past": "that time has passed",
    }
    return phrases.get(kind, kind)


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _gap_text(gap: Gap) -> str:
    if gap.most is None:
        return f"at least {_days(gap.least)}"
    if gap.least == gap.most:
        return _days(gap.least)
    return f"{gap.least}-{gap.most} days"


def relation_text(window: Window) -> str:
    """The cadence rule behind the window: "within 3-5 days of session 4"."""
    parts = []
    gap = window.gap
    if gap is not None:
        if window.after is None:
            if gap.least == 0 and gap.most is not None:
                parts.append(f"within {_days(gap.most)} of the start date")
            elif gap.least > 0:
                parts.append(f"{_gap_text(gap)} after the start date")
        elif window.follows or gap.most is None or gap.least == gap.most:
            parts.append(f"{_gap_text(gap)} after session {window.after}")
        else:
            parts.append(f"within {gap.least}-{gap.most} days of session {window.after}")
    if window.before is not None and window.gap_before is not None:
        parts.append(f"{_gap_text(window.gap_before)} before session {window.before}")
    return " and ".join(parts)


def _date_label(day: date) -> str:
    return f"{day:%b} {day.day}"


def date_range(first: date, last: date) -> str:
    if first == last:
        return _date_label(first)
    if (first.year, first.month) == (last.year, last.month):
        return f"{_date_label(first)}-{last.day}"
    return f"{_date_label(first)}-{_date_label(last)}"


def plan_weeks(days: Iterable[date], start_date: date) -> str:
    """Plan weeks count from the start date: week 1 is start_date .. start_date + 6."""
    weeks = sorted({(day - start_date).days // 7 + 1 for day in days})
    if len(weeks) == 1:
        return f"week {weeks[0]}"
    return f"weeks {weeks[0]}-{weeks[-1]}"


def _short_span(days: Sequence[date]) -> bool:
    return (days[-1] - days[0]).days < 7


def _day_list(days: Sequence[date]) -> str:
    if len(days) > 1 and (days[-1] - days[0]).days == len(days) - 1 and _short_span(days):
        return f"{WEEKDAY_ABBR[days[0].weekday()]}-{WEEKDAY_ABBR[days[-1].weekday()]}"
    labels = [
        WEEKDAY_ABBR[day.weekday()] if _short_span(days) else _date_label(day) for day in days
    ]
    if len(labels) > 5:
        return ", ".join(labels[:4]) + f" and {len(labels) - 4} more"
    return ", ".join(labels)


def _when(days: Sequence[date], start_date: date) -> str:
    weeks = plan_weeks(days, start_date)
    if _short_span(days):
        return f"{_day_list(days)} in {weeks} ({date_range(days[0], days[-1])})"
    return f"between {_date_label(days[0])} and {_date_label(days[-1])} ({weeks})"


def _weekday_names(weekdays: Iterable[int]) -> str:
    names = [WEEKDAY_NAMES[d] for d in sorted(weekdays)]
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + " or " + names[-1]


def reason_no_fit(
    *,
    ordinal: int,
    phase: PhaseRule,
    window: Window,
    notes: Notes,
    start_date: date,
    weekdays: Iterable[int] | None,
    time_window: bool,
) -> str:
    """Why no day of the window worked, from what the search noted on each day."""
    head = f"Session {ordinal} ({phase.name})"
    relation = relation_text(window)
    rel = f", {relation}" if relation else ""
    if notes.problems:
        days = sorted(notes.problems)
        by_kind: dict[str, list[date]] = {}
        for day in days:
            for kind in notes.problems[day]:
                by_kind.setdefault(kind, []).append(day)
        kinds = sorted(
            by_kind,
            key=lambda k: (
                -len(by_kind[k]),
                PROBLEM_ORDER.index(k) if k in PROBLEM_ORDER else len(PROBLEM_ORDER),
            ),
        )
        when = _when(days, start_date)
        if len(kinds) == 1:
            text = f"{head}: {problem_phrase(kinds[0], phase, time_window=time_window)} {when}{rel}"
        else:
            details = "; ".join(
                f"{problem_phrase(k, phase, time_window=time_window)} ({_day_list(by_kind[k])})"
                for k in kinds
            )
            text = f"{head}: nothing free {when}{rel}: {details}"
        if notes.budget:
            text += " (the search stopped early: the calendar is very full)"
        return text + "."
    if notes.budget:
        return (
            f"{head}: not planned: the search limit was reached because the calendar is very "
            "full; choose a time by hand."
        )
    if window.lo > window.last:
        scope = f" in {plan_weeks(window.week, start_date)}" if window.week else ""
        if relation:
            return f"{head}: no day{scope} is {relation}."
        return f"{head}: no day{scope} fits the cadence."
    if notes.off_weekday and weekdays is not None:
        seen = sorted(notes.off_weekday + notes.past)
        where = relation or "in the window"
        return (
            f"{head}: no {_weekday_names(weekdays)} falls {where} "
            f"({date_range(seen[0], seen[-1])}, {plan_weeks(seen, start_date)})."
        )
    if notes.past:
        return (
            f"{head}: the days it could fall on "
            f"({date_range(notes.past[0], notes.past[-1])}) are already past{rel}."
        )
    return f"{head}: no day fits{rel}."


def reason_pin(
    *, ordinal: int, phase: PhaseRule, start: datetime, clashes: Sequence[Clash], zone: ZoneInfo
) -> str:
    local = start.astimezone(zone)
    messages = "; ".join(clash.message for clash in clashes)
    return (
        f"Session {ordinal} ({phase.name}): the requested start "
        f"{WEEKDAY_ABBR[local.weekday()]} {_date_label(local.date())} {local:%H:%M} "
        f"cannot be booked: {messages}."
    )


def reason_waiting(*, ordinal: int, phase: PhaseRule, followed: int, followed_phase: str) -> str:
    return (
        f"Session {ordinal} ({phase.name}): it comes after session {followed} "
        f"({followed_phase}), which could not be placed."
    )

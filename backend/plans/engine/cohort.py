"""The dates of a cohort's series: a group plan template laid out from a start date.

Pure. Each session is placed on its earliest date by the template's cadence (offsets and
minimum gaps; a "follows" phase's sessions the minimum days after each session they
follow); ``shift`` moves one session later when its day does not work, and every later
session keeps its gaps from the dates actually used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class CohortPhase:
    key: str
    count: int
    min_gap_days: int = 7
    max_gap_days: int | None = None
    offset_min_days: int = 0
    follows: str | None = None
    follows_min_days: int = 1
    follows_max_days: int = 3

    @property
    def slack_days(self) -> int:
        """How many days one session may slip and still keep the cadence."""
        if self.follows:
            return self.follows_max_days - self.follows_min_days
        return max((self.max_gap_days or self.min_gap_days) - self.min_gap_days, 0)


@dataclass(frozen=True)
class CohortSlot:
    ordinal: int
    phase_key: str
    day: date
    slack_days: int


def cohort_series(
    phases: list[CohortPhase], start_date: date, placed: dict[int, date] | None = None
) -> list[CohortSlot]:
    """The series in order; ``placed`` pins sessions already given a later date."""
    placed = placed or {}
    slots: list[CohortSlot] = []
    days_of: dict[str, list[date]] = {}
    previous_last: date | None = None
    ordinal = 0
    for phase in phases:
        days: list[date] = []
        if phase.follows:
            for followed in days_of.get(phase.follows, []):
                ordinal += 1
                day = placed.get(ordinal, followed + timedelta(days=phase.follows_min_days))
                days.append(day)
                slots.append(CohortSlot(ordinal, phase.key, day, phase.slack_days))
        else:
            anchor = start_date if previous_last is None else previous_last
            for k in range(phase.count):
                ordinal += 1
                if k == 0:
                    earliest = anchor + timedelta(days=phase.offset_min_days)
                else:
                    earliest = days[-1] + timedelta(days=phase.min_gap_days)
                day = placed.get(ordinal, earliest)
                days.append(day)
                slots.append(CohortSlot(ordinal, phase.key, day, phase.slack_days))
            previous_last = days[-1] if days else previous_last
        days_of[phase.key] = days
    slots.sort(key=lambda s: (s.day, s.ordinal))
    return slots


@dataclass(frozen=True)
class CohortGap:
    """``later`` must fall ``min_days``..``max_days`` (None: no limit) after ``earlier``."""

    earlier: int
    later: int
    min_days: int
    max_days: int | None


def cohort_gaps(phases: list[CohortPhase]) -> list[CohortGap]:
    """Every gap the template asks for between two sessions, by ordinal, as ``cohort_series``
    numbers and anchors them: within a phase, from the previous phase's last session to a
    phase's first, and from a session to each session that follows it."""
    gaps: list[CohortGap] = []
    ordinals_of: dict[str, list[int]] = {}
    previous_last: int | None = None
    ordinal = 0
    for phase in phases:
        ordinals: list[int] = []
        if phase.follows:
            for followed in ordinals_of.get(phase.follows, []):
                ordinal += 1
                ordinals.append(ordinal)
                gaps.append(
                    CohortGap(followed, ordinal, phase.follows_min_days, phase.follows_max_days)
                )
        else:
            for k in range(phase.count):
                ordinal += 1
                if k:
                    gaps.append(
                        CohortGap(ordinals[-1], ordinal, phase.min_gap_days, phase.max_gap_days)
                    )
                elif previous_last is not None:
                    gaps.append(CohortGap(previous_last, ordinal, phase.offset_min_days, None))
                ordinals.append(ordinal)
            previous_last = ordinals[-1] if ordinals else previous_last
        ordinals_of[phase.key] = ordinals
    return gaps


def cohort_move_check(
    phases: list[CohortPhase], days: dict[int, date], ordinal: int, new_day: date
) -> str | None:
    """Why moving session ``ordinal`` to ``new_day`` breaks the cohort's cadence, or None.

    ``days`` holds the current day of each session still scheduled; a gap to a session not
    in it (cancelled) binds nothing.
    """
    moved = {**days, ordinal: new_day}
    for gap in cohort_gaps(phases):
        if ordinal not in (gap.earlier, gap.later):
            continue
        if gap.earlier not in moved or gap.later not in moved:
            continue
        apart = (moved[gap.later] - moved[gap.earlier]).days
        if apart >= gap.min_days and (gap.max_days is None or apart <= gap.max_days):
            continue
        wanted = (
            f"{gap.min_days}-{gap.max_days} days"
            if gap.max_days is not None
            else f"at least {gap.min_days} days"
        )
        return (
            f"Session {gap.later} of the cohort would be {apart} days after session "
            f"{gap.earlier}; the cohort's cadence needs {wanted}."
        )
    return None

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

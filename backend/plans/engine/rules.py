"""The plain data a plan expansion takes and returns, and its validation.

Templates are data that clinics edit, so a template that cannot be expanded is refused up
front with a ValueError naming the phase, before any placement runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time

from backend.scheduling.booking.availability import Placement, SessionSpec


@dataclass(frozen=True)
class PhaseRule:
    """One phase of a template: which session, how many, and the cadence that spaces them.

    ``count`` None makes the phase open-ended (maintenance): its number of sessions comes from
    ``horizon_weeks`` (see ``cadence.phase_count``). A phase that ``follows`` another has one
    session after each session of that phase; its own count, gaps and offsets are ignored.
    """

    key: str
    name: str
    session_type_id: int
    spec: SessionSpec
    count: int | None
    horizon_weeks: int | None = None
    sessions_per_week: int | None = None
    min_gap_days: int = 0
    max_gap_days: int | None = None
    offset_min_days: int = 0
    offset_max_days: int | None = None
    follows: str | None = None
    follows_min_days: int = 1
    follows_max_days: int = 3
    seat_noun: str = "seat"

    @property
    def is_open_ended(self) -> bool:
        return self.follows is None and self.count is None


@dataclass(frozen=True)
class Preferences:
    """The patient's availability; weekdays and the time window are hard limits, staff is not."""

    weekdays: frozenset[int] | None = None
    earliest: time | None = None
    latest: time | None = None
    staff_id: int | None = None


@dataclass(frozen=True)
class PlannedSlot:
    """One session of the plan: where it goes, or why it cannot go anywhere."""

    ordinal: int
    phase_key: str
    session_type_id: int
    placement: Placement | None
    reason: str | None
    fixed: bool = False


@dataclass(frozen=True)
class PlanResult:
    slots: list[PlannedSlot]

    @property
    def placed(self) -> list[PlannedSlot]:
        return [slot for slot in self.slots if slot.placement is not None]

    @property
    def unplaced(self) -> list[PlannedSlot]:
        return [slot for slot in self.slots if slot.placement is None]


def _non_negative(phase: PhaseRule, name: str) -> None:
    value = getattr(phase, name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"Phase '{phase.key}': {name} must be a whole number >= 0, got {value!r}")


def _not_below(phase: PhaseRule, high: str, low: str) -> None:
    if getattr(phase, high) is not None:
        _non_negative(phase, high)
        if getattr(phase, high) < getattr(phase, low):
            raise ValueError(f"Phase '{phase.key}': {high} must not be less than {low}")


def phases_validate(phases: Sequence[PhaseRule]) -> None:
    """ValueError for a template the engine cannot expand, naming the phase and the field."""
    if not phases:
        raise ValueError("A template needs at least one phase")
    seen: dict[str, PhaseRule] = {}
    open_ended_seen: str | None = None
    for position, phase in enumerate(phases):
        if not isinstance(phase, PhaseRule):
            raise ValueError(f"Phase {position + 1} must be a PhaseRule, got {phase!r}")
        if not phase.key:
            raise ValueError(f"Phase {position + 1} needs a key")
        if phase.key in seen:
            raise ValueError(f"Phase key '{phase.key}' is used twice")
        for name in ("min_gap_days", "offset_min_days"):
            _non_negative(phase, name)
        _not_below(phase, "max_gap_days", "min_gap_days")
        _not_below(phase, "offset_max_days", "offset_min_days")
        if phase.follows is not None:
            followed = seen.get(phase.follows)
            if followed is None:
                raise ValueError(
                    f"Phase '{phase.key}' follows '{phase.follows}', which is not an earlier phase"
                )
            if followed.follows is not None:
                raise ValueError(
                    f"Phase '{phase.key}' follows '{phase.follows}', which itself follows "
                    "another phase"
                )
            _non_negative(phase, "follows_min_days")
            _not_below(phase, "follows_max_days", "follows_min_days")
        else:
            if open_ended_seen is not None:
                raise ValueError(
                    f"Phase '{phase.key}' comes after the open-ended phase '{open_ended_seen}'; "
                    "an open-ended phase must be the last one (apart from follow-up phases)"
                )
            if phase.sessions_per_week is not None and (
                isinstance(phase.sessions_per_week, bool)
                or not isinstance(phase.sessions_per_week, int)
                or not 1 <= phase.sessions_per_week <= 7
            ):
                raise ValueError(
                    f"Phase '{phase.key}': sessions_per_week must be 1 to 7, "
                    f"got {phase.sessions_per_week!r}"
                )
            if phase.count is None:
                open_ended_seen = phase.key
                if not isinstance(phase.horizon_weeks, int) or phase.horizon_weeks < 1:
                    raise ValueError(
                        f"Phase '{phase.key}' is open-ended and needs horizon_weeks >= 1"
                    )
                # Without a positive spacing the horizon would hold endlessly many sessions.
                if phase.sessions_per_week is None and phase.min_gap_days < 1:
                    raise ValueError(
                        f"Phase '{phase.key}' is open-ended and needs min_gap_days >= 1 "
                        "or sessions_per_week"
                    )
            else:
                _non_negative(phase, "count")
        seen[phase.key] = phase


def preferences_validate(prefs: Preferences) -> None:
    if prefs.weekdays is not None and not all(
        isinstance(d, int) and 0 <= d <= 6 for d in prefs.weekdays
    ):
        raise ValueError(f"Weekdays must be 0 (Monday) to 6 (Sunday), got {sorted(prefs.weekdays)}")
    for name in ("earliest", "latest"):
        value = getattr(prefs, name)
        if value is not None and (not isinstance(value, time) or value.tzinfo is not None):
            raise ValueError(
                f"{name} must be a local wall-clock time without a zone, got {value!r}"
            )
    if prefs.earliest is not None and prefs.latest is not None and prefs.latest < prefs.earliest:
        raise ValueError("The latest start is before the earliest start")

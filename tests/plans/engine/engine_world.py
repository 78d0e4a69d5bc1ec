"""A hand-built clinic for the plan engine tests, and the invariants every plan must keep.

The clinic is in America/New_York, open Monday to Friday 08:00-18:00 and Saturday 09:00-13:00:
a Spravato room of 3 recliners (also used for IV and KAP dosing), a recovery lounge of 4
chairs, two therapy rooms, two nurses and two therapists. Boards for every session type
share one seat/staff busy state, as the Django side builds them.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from backend.plans.engine.builtin import builtin_template, template_rules_build
from backend.plans.engine.rules import PhaseRule, PlanResult, Preferences
from backend.scheduling.booking.availability import Board, Placement, SeatRef, StaffRef
from backend.scheduling.resources.calendar import ClinicCalendar, WeeklyHours
from backend.scheduling.resources.intervals import Span, Timeline

NY = "America/New_York"
NEW_YORK = ZoneInfo(NY)
MONDAY = date(2026, 3, 9)
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

CLINIC_HOURS = WeeklyHours(
    (*tuple((d, time(8), time(18)) for d in range(5)), (5, time(9), time(13)))
)

RECLINERS = [SeatRef(i, 10, f"Spravato Room / Recliner {i}") for i in (1, 2, 3)]
LOUNGE = [SeatRef(20 + i, 20, f"Recovery Lounge / Chair {i}") for i in (1, 2, 3, 4)]
THERAPY = [SeatRef(31, 30, "Therapy A / Chair"), SeatRef(41, 40, "Therapy B / Chair")]
NURSES = [StaffRef(101, "Nurse A", CLINIC_HOURS), StaffRef(102, "Nurse B", CLINIC_HOURS)]
THERAPISTS = [
    StaffRef(201, "Therapist X", CLINIC_HOURS),
    StaffRef(202, "Therapist Y", CLINIC_HOURS),
]

TYPE_IDS = {
    "spravato-session": 1,
    "iv-infusion": 2,
    "kap-preparation": 3,
    "kap-dosing": 4,
    "kap-integration": 5,
}
# Which seats and staff serve each session type id: (session seats, recovery seats, staff).
RESOURCES = {
    1: (RECLINERS, [], NURSES),
    2: (RECLINERS, LOUNGE, NURSES),
    3: (THERAPY, [], THERAPISTS),
    4: (RECLINERS, [], THERAPISTS),
    5: (THERAPY, [], THERAPISTS),
}


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=NEW_YORK)


def local_day(instant: datetime) -> date:
    return instant.astimezone(NEW_YORK).date()


def local_clock(instant: datetime) -> time:
    return instant.astimezone(NEW_YORK).time()


def rules_for(slug: str) -> list[PhaseRule]:
    return template_rules_build(builtin_template(slug), TYPE_IDS)


@dataclass
class World:
    """One clinic's shared busy state; each patient gets boards of their own over it."""

    calendar: ClinicCalendar = field(default_factory=lambda: ClinicCalendar(NY, CLINIC_HOURS))
    seat_busy: dict[int, Timeline] = field(default_factory=dict)
    staff_busy: dict[int, Timeline] = field(default_factory=dict)

    def boards(
        self, patient: Timeline | None = None, dosing_days: set[date] | None = None
    ) -> dict[int, Board]:
        patient = Timeline() if patient is None else patient
        dosing_days = set() if dosing_days is None else dosing_days
        return {
            type_id: Board(
                calendar=self.calendar,
                session_seats=list(seats),
                recovery_seats=list(recovery),
                staff=list(staff),
                seat_busy=self.seat_busy,
                staff_busy=self.staff_busy,
                patient_busy=patient,
                patient_dosing_days=dosing_days,
            )
            for type_id, (seats, recovery, staff) in RESOURCES.items()
        }

    def busy_seat(self, seat_id: int, start: datetime, end: datetime) -> None:
        self.seat_busy.setdefault(seat_id, Timeline()).add(Span(start, end))

    def busy_staff(self, staff_id: int, start: datetime, end: datetime) -> None:
        self.staff_busy.setdefault(staff_id, Timeline()).add(Span(start, end))


def placements(result: PlanResult) -> dict[int, Placement]:
    return {s.ordinal: s.placement for s in result.slots if s.placement is not None}


def _grid_starts(phases: Sequence[PhaseRule], start_date: date) -> dict[str, date]:
    """Grid starts for templates whose grids begin the plan (Spravato); others are skipped."""
    starts: dict[str, date] = {}
    cursor = start_date
    for position, phase in enumerate(phases):
        if phase.follows is not None:
            continue
        if phase.sessions_per_week is None:
            break
        if position == 0:
            cursor = start_date + timedelta(days=phase.offset_min_days)
        starts[phase.key] = cursor
        cursor += timedelta(days=7 * -(-phase.count // phase.sessions_per_week))
    return starts


def plan_violations(
    result: PlanResult,
    phases: Sequence[PhaseRule],
    *,
    start_date: date,
    prefs: Preferences,
    boards: dict[int, Board],
    now: datetime,
    pinned: Sequence[int] = (),
) -> list[str]:
    """Every broken promise of a plan, re-derived from the rules (not from the engine)."""
    problems: list[str] = []
    by_key = {p.key: p for p in phases}
    calendar = next(iter(boards.values())).calendar
    slots = {s.ordinal: s for s in result.slots}
    if [s.ordinal for s in result.slots] != sorted(slots):
        problems.append("slots are not ordered by ordinal")

    for slot in result.slots:
        if slot.placement is None:
            if not slot.reason:
                problems.append(f"session {slot.ordinal} is unplaced without a reason")
            continue
        if slot.reason is not None:
            problems.append(f"session {slot.ordinal} is placed but has a reason")
        if slot.fixed:
            continue
        p = slot.placement
        phase = by_key[slot.phase_key]
        day = local_day(p.start)
        if p.start < now:
            problems.append(f"session {slot.ordinal} starts in the past")
        if not any(
            w.start <= p.start and p.recovery_end <= w.end for w in calendar.opening_windows(day)
        ):
            problems.append(f"session {slot.ordinal} is outside opening hours")
        if p.end - p.start != phase.spec.in_room or p.recovery_end - p.start != phase.spec.total:
            problems.append(f"session {slot.ordinal} has the wrong length")
        if slot.ordinal in pinned:
            continue
        if prefs.weekdays is not None and day.weekday() not in prefs.weekdays:
            problems.append(f"session {slot.ordinal} is on a weekday the patient cannot do")
        clock = local_clock(p.start)
        if (prefs.earliest and clock < prefs.earliest) or (prefs.latest and clock > prefs.latest):
            problems.append(f"session {slot.ordinal} starts outside the time window")

    # Holds: every placed (or kept) hold overlaps nothing but itself on its seat or staff member.
    for slot in result.slots:
        if slot.placement is None or slot.fixed:
            continue
        board = boards[slot.session_type_id]
        for kind, resource_id, span in slot.placement.holds():
            busy = board.staff_busy if kind == "staff" else board.seat_busy
            others = list(busy[resource_id].conflicts(span))
            if others != [span]:
                problems.append(f"session {slot.ordinal} {kind} hold overlaps {others}")

    dosing_days: dict[date, int] = {}
    for slot in result.slots:
        if slot.placement is not None and by_key[slot.phase_key].spec.is_dosing:
            day = local_day(slot.placement.start)
            if day in dosing_days:
                problems.append(f"sessions {dosing_days[day]} and {slot.ordinal} dose on {day}")
            dosing_days[day] = slot.ordinal

    # Cadence between consecutive chain sessions that the engine placed (both of them).
    chain = [s for s in result.slots if by_key[s.phase_key].follows is None]
    free = {s.ordinal for s in result.slots if not s.fixed and s.ordinal not in pinned}
    for before, after in itertools.pairwise(chain):
        if before.placement is None or after.placement is None:
            continue
        if before.ordinal not in free and after.ordinal not in free:
            continue
        phase = by_key[after.phase_key]
        gap = (local_day(after.placement.start) - local_day(before.placement.start)).days
        least, most = phase.min_gap_days, phase.max_gap_days
        if before.phase_key != after.phase_key:
            least = max(least, phase.offset_min_days)
            if phase.offset_max_days is not None:
                most = phase.offset_max_days if most is None else min(most, phase.offset_max_days)
        if gap < least or (most is not None and gap > most):
            problems.append(
                f"sessions {before.ordinal}->{after.ordinal} are {gap} days apart, "
                f"not {least}-{most}"
            )

    grids = _grid_starts(phases, start_date)
    index: dict[str, int] = {}
    for slot in result.slots:
        phase = by_key[slot.phase_key]
        i = index.get(phase.key, 0)
        index[phase.key] = i + 1
        if slot.placement is None or phase.key not in grids or slot.ordinal not in free:
            continue
        week = (local_day(slot.placement.start) - grids[phase.key]).days // 7
        if week != i // phase.sessions_per_week:
            problems.append(f"session {slot.ordinal} is in grid week {week + 1}")

    for slot in result.slots:
        phase = by_key[slot.phase_key]
        if phase.follows is None or slot.placement is None or slot.ordinal not in free:
            continue
        followed_ordinal = next(
            s.ordinal for s in result.slots if s.phase_key == phase.follows
        ) + index_in_phase(result, slot)
        followed = slots[followed_ordinal].placement
        if followed is None:
            problems.append(f"follow-up {slot.ordinal} placed after an unplaced session")
            continue
        gap = (local_day(slot.placement.start) - local_day(followed.start)).days
        if not phase.follows_min_days <= gap <= phase.follows_max_days:
            problems.append(f"follow-up {slot.ordinal} is {gap} days after {followed_ordinal}")
        if slot.placement.start < followed.recovery_end:
            problems.append(f"follow-up {slot.ordinal} starts before {followed_ordinal} ends")
    return problems


def index_in_phase(result: PlanResult, slot) -> int:
    same = [s.ordinal for s in result.slots if s.phase_key == slot.phase_key]
    return same.index(slot.ordinal)

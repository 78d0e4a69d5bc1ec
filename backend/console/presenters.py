"""Plain view models for templates: a plan preview as a week grid, the board as lanes.

Presentation only: every decision (where a session goes, which step is allowed) comes from
the services and the pure domain rules these functions are handed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from backend.console.site import local_input
from backend.plans.services.plans import PlanPreview
from backend.scheduling.absences.services import STAFF_AWAY
from backend.scheduling.booking.models import AppointmentStatus
from backend.scheduling.day import rules
from backend.scheduling.day.services import BoardEntry
from backend.scheduling.resources.models import Seat

WEEKDAY_HEADERS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


# --- The new-course preview ---------------------------------------------------------------


@dataclass
class SessionView:
    ordinal: int
    phase_key: str
    phase_name: str
    session_type: str
    start: datetime
    end: datetime
    recovery_end: datetime
    place: str
    recovery_place: str
    staff: str
    input_value: str
    booked: bool = False
    appointment_id: int | None = None
    pinned: bool = False
    conflict: bool = False


@dataclass
class UnplacedView:
    ordinal: int
    phase_key: str
    phase_name: str
    session_type: str
    reason: str
    input_value: str = ""
    pinned: bool = False
    conflict: bool = False


@dataclass
class WeekRow:
    number: int
    monday: date
    days: list[list[SessionView]]

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)


@dataclass
class PlanGrid:
    weeks: list[WeekRow]
    sessions: list[SessionView]
    unplaced: list[UnplacedView]
    eligibility: list[str] = field(default_factory=list)

    @property
    def to_book(self) -> list[SessionView]:
        return [s for s in self.sessions if not s.booked]

    @property
    def busy_weekdays(self) -> set[int]:
        """Weekdays (0 = Monday) that hold a session in some week: the wide columns."""
        return {i for week in self.weeks for i, day in enumerate(week.days) if day}

    @property
    def columns(self) -> list[tuple[str, bool]]:
        busy = self.busy_weekdays
        return [(name, i in busy) for i, name in enumerate(WEEKDAY_HEADERS)]

    @property
    def bookable(self) -> bool:
        return bool(self.to_book) and not self.unplaced and not self.eligibility


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def plan_grid(
    preview: PlanPreview,
    *,
    pins: dict[int, datetime] | None = None,
    conflicts: Iterable[int] = (),
) -> PlanGrid:
    """The preview laid out Monday to Sunday, one row per calendar week that has sessions."""
    pins = pins or {}
    conflicts = set(conflicts)
    plan, world = preview.plan, preview.world
    zone = world.clinic.zone
    phases = {p.key: p for p in world.template.phases.all()}
    type_names = {p.session_type_id: p.session_type.name for p in phases.values()}
    booked_seats = {a.seat_id for a in preview.fixed.values()}
    seat_names = (
        dict(Seat.objects.filter(id__in=booked_seats).values_list("id", "name"))
        if booked_seats
        else {}
    )
    sessions: list[SessionView] = []
    unplaced: list[UnplacedView] = []
    for slot in preview.slots:
        phase = phases.get(slot.phase_key)
        phase_name = phase.name if phase else slot.phase_key
        type_name = type_names.get(slot.session_type_id, "")
        booked = preview.fixed.get(slot.ordinal) if slot.fixed else None
        if booked is not None:
            sessions.append(
                SessionView(
                    ordinal=slot.ordinal,
                    phase_key=slot.phase_key,
                    phase_name=phase_name,
                    session_type=type_name,
                    start=booked.start,
                    end=booked.end,
                    recovery_end=booked.recovery_end,
                    place=f"{booked.room.name} / {seat_names.get(booked.seat_id, '')}",
                    recovery_place="",
                    staff=booked.staff.name if booked.staff else "",
                    input_value=local_input(booked.start, zone),
                    booked=True,
                    appointment_id=booked.id,
                )
            )
        elif slot.placement is not None:
            p = slot.placement
            recovery = p.recovery_seat.label if p.recovery_seat is not None else ""
            sessions.append(
                SessionView(
                    ordinal=slot.ordinal,
                    phase_key=slot.phase_key,
                    phase_name=phase_name,
                    session_type=type_name,
                    start=p.start,
                    end=p.end,
                    recovery_end=p.recovery_end,
                    place=p.seat.label if p.seat else "Video visit",
                    recovery_place=recovery if p.seat and recovery != p.seat.label else "",
                    staff=p.staff.name if p.staff else "",
                    input_value=local_input(p.start, zone),
                    pinned=slot.ordinal in pins,
                    conflict=slot.ordinal in conflicts,
                )
            )
        else:
            pin = pins.get(slot.ordinal)
            unplaced.append(
                UnplacedView(
                    ordinal=slot.ordinal,
                    phase_key=slot.phase_key,
                    phase_name=phase_name,
                    session_type=type_name,
                    reason=slot.reason or "No time could be found.",
                    input_value=local_input(pin, zone) if pin else "",
                    pinned=pin is not None,
                    conflict=slot.ordinal in conflicts,
                )
            )
    first_monday = _monday(plan.start_date)
    rows: dict[int, WeekRow] = {}
    for session in sessions:
        day = session.start.astimezone(zone).date()
        index = (_monday(day) - first_monday).days // 7
        row = rows.get(index)
        if row is None:
            row = rows[index] = WeekRow(
                number=index + 1,
                monday=first_monday + timedelta(weeks=index),
                days=[[] for _ in range(7)],
            )
        row.days[day.weekday()].append(session)
    return PlanGrid(
        weeks=[rows[i] for i in sorted(rows)],
        sessions=sessions,
        unplaced=unplaced,
        eligibility=list(preview.eligibility),
    )


# --- The day board ------------------------------------------------------------------------


@dataclass(frozen=True)
class Lane:
    key: str
    title: str
    statuses: tuple[str, ...]


LANES = (
    Lane("booked", "Expected", (AppointmentStatus.BOOKED,)),
    Lane("checked_in", "Checked in", (AppointmentStatus.CHECKED_IN,)),
    Lane("in_session", "In session", (AppointmentStatus.IN_SESSION,)),
    Lane("recovering", "Recovering", (AppointmentStatus.RECOVERING,)),
    Lane("discharged", "Discharged", (AppointmentStatus.DISCHARGED,)),
    Lane("gone", "No-show / cancelled", (AppointmentStatus.NO_SHOW, AppointmentStatus.CANCELLED)),
)

FLAG_LABELS = {
    rules.FLAG_LATE: "Late",
    rules.FLAG_RECOVERY_OVERRUN: "Recovery overrun",
    rules.FLAG_DISCHARGE_DUE: "Discharge due",
    rules.FLAG_RIDE_UNCONFIRMED: "Ride unconfirmed",
    STAFF_AWAY: "Staff away: needs attention",
}


@dataclass(frozen=True)
class Card:
    entry: BoardEntry
    flags: tuple[tuple[str, str], ...]
    steps: tuple[str, ...]

    @property
    def appointment(self):
        return self.entry.appointment


def steps_allowed(entry: BoardEntry, *, can: dict[str, bool], now: datetime) -> tuple[str, ...]:
    """The day steps to offer: the role may take them and the rules would accept them now."""
    a = entry.appointment
    zone = a.clinic.zone
    offered = []
    checks = {
        "check_in": lambda: rules.check_in_check(
            status=a.status, start=a.start, now=now, zone=zone
        ),
        "start": lambda: rules.transition_check(a.status, rules.START),
        "recover": lambda: rules.transition_check(a.status, rules.RECOVER),
        "discharge": lambda: rules.transition_check(a.status, rules.DISCHARGE),
        "no_show": lambda: rules.no_show_check(status=a.status, start=a.start, now=now, zone=zone),
    }
    for step, check in checks.items():
        if can.get(step) and not isinstance(check(), rules.Refusal):
            offered.append(step)
    return tuple(offered)


def board_lanes(
    entries: list[BoardEntry], *, can: dict[str, bool], now: datetime
) -> list[tuple[Lane, list[Card]]]:
    cards = {
        lane.key: [
            Card(
                entry=e,
                flags=tuple((f, FLAG_LABELS.get(f, f)) for f in e.flags),
                steps=steps_allowed(e, can=can, now=now),
            )
            for e in entries
            if e.appointment.status in lane.statuses
        ]
        for lane in LANES
    }
    return [(lane, cards[lane.key]) for lane in LANES]

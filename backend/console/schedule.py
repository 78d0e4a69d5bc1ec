"""The chair calendar: seats by room as rows, time as columns, a lane per staff member.

``schedule_fetch`` loads one clinic's window in a fixed number of queries (clinic, hours,
closures, seats, staff with hours and absences, appointments, holds), whatever the number
of appointments; ``schedule_layout`` turns that plain data into grid rows. Columns are
slots (15 minutes in the day view, 30 in the week view) inside the clinic's widest
opening window; each block says which column it starts in and how many it spans, and
the stylesheet has a class per number, so no inline style is needed (the CSP forbids it).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Prefetch

from backend.console.presenters import FLAG_LABELS
from backend.scheduling.absences.services import STAFF_AWAY
from backend.scheduling.booking.fetch import calendar_of, clinic_fetch
from backend.scheduling.booking.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    Hold,
    HoldKind,
)
from backend.scheduling.day import rules
from backend.scheduling.day.services import snapshot_of
from backend.scheduling.resources.calendar import ClinicCalendar, wall_to_utc
from backend.scheduling.resources.choices import AbsenceKind
from backend.scheduling.resources.intervals import Span
from backend.scheduling.resources.models import Clinic, Seat, Staff, StaffAbsence

# The stylesheet has grid classes up to this many columns.
MAX_COLUMNS = 400
DEFAULT_HOURS = (time(8, 0), time(18, 0))


@dataclass(frozen=True)
class ScheduleData:
    clinic: Clinic
    calendar: ClinicCalendar
    days: list[date]
    seats: list[Seat]
    staff: list[Staff]
    absences: list[StaffAbsence]
    appointments: dict[int, Appointment]
    holds: list[Hold]


def schedule_fetch(*, clinic_id: int, days: list[date]) -> ScheduleData:
    clinic = clinic_fetch(clinic_id)
    calendar = calendar_of(clinic)
    low = wall_to_utc(days[0], time(0), clinic.zone)
    high = wall_to_utc(days[-1] + timedelta(days=1), time(0), clinic.zone)
    seats = list(
        Seat.objects.filter(room__clinic=clinic, room__active=True, active=True)
        .select_related("room")
        .order_by("room__kind", "room__name", "room_id", "name", "id")
    )
    staff = list(
        Staff.objects.filter(clinic=clinic, active=True)
        .prefetch_related(
            Prefetch(
                "absences",
                queryset=StaffAbsence.objects.filter(start__lt=high, end__gt=low),
                to_attr="window_absences",
            )
        )
        .order_by("role", "name", "id")
    )
    # Cancelled visits and no-shows hold nothing and are not counted.
    appointments = {
        a.id: a
        for a in Appointment.objects.filter(
            clinic=clinic,
            status__in=ACTIVE_STATUSES,
            start__lt=high,
            recovery_end__gt=low,
        ).select_related("patient", "session_type", "staff", "ride_confirmation")
    }
    holds = list(
        Hold.objects.filter(
            appointment__clinic=clinic, active=True, start__lt=high, end__gt=low
        ).order_by("start", "id")
    )
    absences = [a for s in staff for a in s.window_absences]
    return ScheduleData(clinic, calendar, days, seats, staff, absences, appointments, holds)


@dataclass(frozen=True)
class Block:
    col: int  # first grid column (1 is the row label)
    span: int
    kind: str  # session, recovery, staff, closed, absence, shift, free
    label: str = ""
    title: str = ""
    url: str = ""
    flags: tuple[tuple[str, str], ...] = ()
    flagged: bool = False
    start: datetime | None = None


@dataclass
class Row:
    label: str
    kind: str  # room, seat, staff-head, staff
    blocks: list[Block] = field(default_factory=list)
    seat_id: int | None = None


@dataclass
class Layout:
    columns: int
    slot_minutes: int
    heads: list[tuple[int, int, str]]  # (col, span, label) of each day
    hours: list[tuple[int, int, str]]  # (col, span, label) of each hour
    rows: list[Row]
    appointment_count: int


def _window(calendar: ClinicCalendar, days: list[date]) -> tuple[time, time]:
    opens = [w[1] for w in calendar.hours.windows]
    closes = [w[2] for w in calendar.hours.windows]
    if not opens:
        return DEFAULT_HOURS
    first = min(opens)
    last = max(closes)
    return time(first.hour), (time(last.hour + 1) if last.minute and last.hour < 23 else last)


class _Grid:
    """Maps instants to columns: day d's slot k is column 2 + d * per_day + k."""

    def __init__(self, data: ScheduleData, slot: timedelta):
        self.zone = data.clinic.zone
        self.days = data.days
        self.slot = slot
        self.first, self.last = _window(data.calendar, data.days)
        start = datetime.combine(date(2000, 1, 1), self.first)
        end = datetime.combine(date(2000, 1, 1), self.last)
        self.per_day = max(1, int((end - start) / slot))
        self.columns = min(MAX_COLUMNS, self.per_day * len(self.days))

    def day_bounds(self, index: int) -> Span:
        day = self.days[index]
        return Span(
            wall_to_utc(day, self.first, self.zone),
            wall_to_utc(day, self.first, self.zone) + self.per_day * self.slot,
        )

    def slot_start(self, index: int, k: int) -> datetime:
        return self.day_bounds(index).start + k * self.slot

    def place(self, start: datetime, end: datetime) -> list[tuple[int, int]]:
        """(column, span) pieces of [start, end), one per day it shows on; [] if off-grid."""
        pieces = []
        for index in range(len(self.days)):
            bounds = self.day_bounds(index)
            lo, hi = max(start, bounds.start), min(end, bounds.end)
            if lo >= hi:
                continue
            first = int((lo - bounds.start) / self.slot)
            last = -int(-(hi - bounds.start) // self.slot)
            col = 2 + index * self.per_day + first
            span = max(1, last - first)
            if col - 2 + span <= self.columns:
                pieces.append((col, span))
        return pieces


def _flags(appointment: Appointment, now: datetime, absences_of: dict[int, list[Span]]):
    flags = list(rules.board_flags(snapshot_of(appointment), now))
    away = absences_of.get(appointment.staff_id or 0, [])
    if (
        appointment.status == AppointmentStatus.BOOKED
        and appointment.start >= now
        and any(s.overlaps(Span(appointment.start, appointment.end)) for s in away)
    ):
        flags.append(STAFF_AWAY)
    return tuple((f, FLAG_LABELS.get(f, f)) for f in flags)


def schedule_layout(
    data: ScheduleData,
    *,
    now: datetime,
    slot_minutes: int,
    appointment_url,
    book_url,
    can_book: bool,
) -> Layout:
    grid = _Grid(data, timedelta(minutes=slot_minutes))
    zone = data.clinic.zone
    away: dict[int, list[Span]] = defaultdict(list)
    shifts: dict[int, list[Span]] = defaultdict(list)
    for absence in data.absences:
        target = away if absence.kind == AbsenceKind.ABSENCE else shifts
        target[absence.staff_id].append(Span(absence.start, absence.end))

    # Closed time: closures and everything outside the day's opening windows.
    closed: list[tuple[int, int, str]] = []
    open_spans: list[Span] = []
    for index, day in enumerate(data.days):
        bounds = grid.day_bounds(index)
        reason = data.calendar.closure_reason(day)
        windows = [] if reason is not None else data.calendar.opening_windows(day)
        open_spans.extend(windows)
        cursor = bounds.start
        label = f"Closed{': ' + reason if reason else ''}" if reason is not None else ""
        for window in [*windows, Span(bounds.end, bounds.end + timedelta(minutes=1))]:
            if window.start > cursor:
                for col, span in grid.place(cursor, min(window.start, bounds.end)):
                    closed.append((col, span, label or "Closed"))
            cursor = max(cursor, window.end)

    heads: list[tuple[int, int, str]] = []
    for index, day in enumerate(data.days):
        heads.append((2 + index * grid.per_day, grid.per_day, f"{day:%a %-d %b}"))

    hours: list[tuple[int, int, str]] = []
    per_hour = max(1, 60 // slot_minutes)
    for index in range(len(data.days)):
        for k in range(0, grid.per_day, per_hour):
            local = grid.slot_start(index, k).astimezone(zone)
            hours.append(
                (2 + index * grid.per_day + k, min(per_hour, grid.per_day - k), f"{local:%H}")
            )

    by_seat: dict[int, list[Hold]] = defaultdict(list)
    by_staff: dict[int, list[Hold]] = defaultdict(list)
    for hold in data.holds:
        if hold.seat_id is not None:
            by_seat[hold.seat_id].append(hold)
        elif hold.staff_id is not None:
            by_staff[hold.staff_id].append(hold)

    flags_of = {a.id: _flags(a, now, away) for a in data.appointments.values()}

    # A dosing session is often a quarter of an hour and its recovery two: the flags are
    # written on the longer recovery span, where they can be read, and the session span
    # is outlined.
    recovering = {h.appointment_id for h in data.holds if h.kind == HoldKind.RECOVERY}

    def hold_blocks(holds: list[Hold], kind_of) -> list[Block]:
        blocks = []
        for hold in holds:
            appointment = data.appointments.get(hold.appointment_id)
            if appointment is None:
                continue
            kind = kind_of(hold)
            local = hold.start.astimezone(zone)
            words = "recovery" if kind == "recovery" else appointment.session_type.name
            title = (
                f"{appointment.patient.full_name}, {words} "
                f"{local:%H:%M}-{hold.end.astimezone(zone):%H:%M}"
            )
            flags = flags_of[appointment.id]
            if kind == "session" and appointment.id in recovering:
                shown: tuple = ()
            elif kind in ("session", "recovery"):
                shown = flags
            else:
                shown = ()
            label = appointment.patient.full_name
            if kind == "recovery":
                label = f"{label} · recovery"
            for col, span in grid.place(hold.start, hold.end):
                blocks.append(
                    Block(
                        col=col,
                        span=span,
                        kind=kind,
                        label=label,
                        title=title,
                        url=appointment_url(appointment.id),
                        flags=shown,
                        flagged=bool(flags) and kind != "staff",
                        start=hold.start,
                    )
                )
        return blocks

    rows: list[Row] = []
    current_room = None
    for seat in data.seats:
        if seat.room_id != current_room:
            current_room = seat.room_id
            rows.append(Row(label=f"{seat.room.name}", kind="room"))
        row = Row(label=seat.name, kind="seat", seat_id=seat.id)
        row.blocks.extend(Block(col, span, "closed", label) for col, span, label in closed)
        busy = by_seat.get(seat.id, [])
        row.blocks.extend(
            hold_blocks(busy, lambda h: "recovery" if h.kind == HoldKind.RECOVERY else "session")
        )
        if can_book and seat.room.kind != "recovery":
            taken = [Span(h.start, h.end) for h in busy]
            for index in range(len(data.days)):
                for k in range(grid.per_day):
                    start = grid.slot_start(index, k)
                    cell = Span(start, start + grid.slot)
                    if start < now or any(s.overlaps(cell) for s in taken):
                        continue
                    if not any(w.contains(cell) for w in open_spans):
                        continue
                    local = start.astimezone(zone)
                    row.blocks.append(
                        Block(
                            col=2 + index * grid.per_day + k,
                            span=1,
                            kind="free",
                            title=f"Book {seat.room.name} / {seat.name} at {local:%a %-d %b %H:%M}",
                            url=book_url(start, seat.id),
                            start=start,
                        )
                    )
        rows.append(row)

    rows.append(Row(label="Staff", kind="room"))
    for member in data.staff:
        row = Row(label=f"{member.name}", kind="staff")
        row.blocks.extend(Block(col, span, "closed", label) for col, span, label in closed)
        for span_ in shifts.get(member.id, []):
            for col, span in grid.place(span_.start, span_.end):
                row.blocks.append(Block(col, span, "shift", "Extra shift"))
        for span_ in away.get(member.id, []):
            for col, span in grid.place(span_.start, span_.end):
                row.blocks.append(Block(col, span, "absence", "Away"))
        row.blocks.extend(hold_blocks(by_staff.get(member.id, []), lambda h: "staff"))
        rows.append(row)

    return Layout(
        columns=grid.columns,
        slot_minutes=slot_minutes,
        heads=heads,
        hours=hours,
        rows=rows,
        appointment_count=len(data.appointments),
    )

"""The single placement rule shared by availability search and booking.

``placement_check`` (booking: explain every reason a start fails) and ``slots_find`` (search:
list the starts that pass) pick seats and staff through the same helpers in the same order,
so search can never offer a start that booking then rejects, and both return the same seat
and staff member for a given start.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from backend.scheduling.booking.capacity import (
    ClinicCapacity,
    monitoring_short_blocks,
    monitoring_shortfall_between,
    prescriber_gap,
    prescriber_gap_blocks,
)
from backend.scheduling.resources.calendar import ClinicCalendar, WeeklyHours
from backend.scheduling.resources.intervals import (
    EpochBlocks,
    EpochSpan,
    Span,
    Timeline,
    aware_to_utc,
    epoch_ceil,
    epoch_floor,
)

DEFAULT_STEP = timedelta(minutes=15)


@dataclass(frozen=True)
class SessionSpec:
    """How long a session type occupies people and seats.

    Same-seat recovery holds the session seat from start to the end of recovery; otherwise the
    session seat is freed at ``end`` and a recovery-room seat is held for the recovery.
    """

    in_room: timedelta
    recovery: timedelta = timedelta(0)
    recovery_same_seat: bool = True
    needs_staff: bool = True
    is_dosing: bool = False
    needs_prescriber: bool = False  # a prescriber working throughout (Spravato REMS)
    telehealth: bool = False  # a video visit: holds only its staff member, no seat

    def __post_init__(self) -> None:
        if self.telehealth and self.recovery > timedelta(0):
            raise ValueError("A telehealth visit has no monitored recovery")
        if self.in_room <= timedelta(0):
            raise ValueError(f"A session must last some time, got in_room={self.in_room}")
        if self.recovery < timedelta(0):
            raise ValueError(f"Recovery cannot be negative, got {self.recovery}")

    @property
    def total(self) -> timedelta:
        return self.in_room + self.recovery


@dataclass(frozen=True)
class SeatRef:
    seat_id: int
    room_id: int
    label: str


@dataclass(frozen=True)
class StaffRef:
    staff_id: int
    name: str
    hours: WeeklyHours = field(default_factory=WeeklyHours)


@dataclass
class Board:
    """Everything the placement rule needs about one clinic and one patient, loaded by the caller.

    Seat and staff lists are in preference order; first fit follows that order. A seat or staff
    member missing from the busy dicts is free.
    """

    calendar: ClinicCalendar
    session_seats: list[SeatRef] = field(default_factory=list)
    recovery_seats: list[SeatRef] = field(default_factory=list)
    staff: list[StaffRef] = field(default_factory=list)
    seat_busy: dict[int, Timeline] = field(default_factory=dict)
    staff_busy: dict[int, Timeline] = field(default_factory=dict)
    patient_busy: Timeline = field(default_factory=Timeline)
    patient_dosing_days: set[date] = field(default_factory=set)
    # Monitors per recovering patient and prescribers on site; None checks neither (a board
    # built by hand in a test of seats alone).
    capacity: ClinicCapacity | None = None


@dataclass(frozen=True)
class Placement:
    """A start that passed the rule, with the resources first fit chose for it.

    ``dosing_day`` is the clinic-local date for dosing sessions (None otherwise), so that
    reserving the placement can block the patient's other dosing sessions that day.
    """

    start: datetime
    end: datetime
    recovery_end: datetime
    seat: SeatRef | None  # None for a telehealth visit
    recovery_seat: SeatRef | None = None
    staff: StaffRef | None = None
    dosing_day: date | None = None

    def holds(self) -> list[tuple[str, int, Span]]:
        """(kind, resource id, span) for every seat and staff hold.

        Same-seat recovery is still a separate "recovery" hold on the session seat, so reports
        can tell treatment time from recovery time.
        """
        held = []
        if self.seat is not None:
            held.append(("session", self.seat.seat_id, Span(self.start, self.end)))
        if self.recovery_end > self.end and self.seat is not None:
            recovery_seat = self.recovery_seat or self.seat
            held.append(("recovery", recovery_seat.seat_id, Span(self.end, self.recovery_end)))
        if self.staff is not None:
            held.append(("staff", self.staff.staff_id, Span(self.start, self.end)))
        return held


@dataclass(frozen=True)
class Clash:
    """One reason a start cannot be booked, worded for the front desk.

    ``resource`` is one of: hours, closure, seat, recovery_seat, staff, patient, dosing_day,
    past, monitoring (too few monitors for one more recovering patient), prescriber (none
    working throughout). ``spans`` are the existing busy spans in the way (empty for
    calendar reasons).
    """

    resource: str
    message: str
    spans: tuple[Span, ...] = ()


def _clock(instant: datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).strftime("%H:%M")


def _clock_range(start: datetime, end: datetime, zone: ZoneInfo) -> str:
    return f"{_clock(start, zone)}-{_clock(end, zone)}"


def _window_holding(
    windows: Sequence[Span | EpochSpan], start: datetime | int, end: datetime | int
) -> Span | EpochSpan | None:
    for window in windows:
        if window.start <= start and end <= window.end:
            return window
    return None


# The pickers take datetimes with timelines (a booking's check) or whole epoch seconds with
# ``EpochBlocks`` (search's loop): one rule, one order, in either unit.
def _seat_pick(
    seats: Sequence[SeatRef],
    busy: Mapping[int, Timeline | EpochBlocks],
    start: datetime | int,
    end: datetime | int,
    seat_id: int | None = None,
) -> SeatRef | None:
    for seat in seats:
        if seat_id is not None and seat.seat_id != seat_id:
            continue
        timeline = busy.get(seat.seat_id)
        if timeline is None or timeline.is_free_between(start, end):
            return seat
    return None


def _staff_ordered(staff: Sequence[StaffRef], preferred_staff_id: int | None) -> list[StaffRef]:
    preferred = [m for m in staff if m.staff_id == preferred_staff_id]
    return preferred + [m for m in staff if m.staff_id != preferred_staff_id]


def _staff_pick(
    rota: Iterable[tuple[StaffRef, Sequence[Span | EpochSpan]]],
    busy: Mapping[int, Timeline | EpochBlocks],
    start: datetime | int,
    end: datetime | int,
) -> StaffRef | None:
    for member, windows in rota:
        if _window_holding(windows, start, end) is None:
            continue
        timeline = busy.get(member.staff_id)
        if timeline is None or timeline.is_free_between(start, end):
            return member
    return None


def _conflicts_of(busy: dict[int, Timeline], ids: Iterable[int], span: Span) -> tuple[Span, ...]:
    found: set[Span] = set()
    for resource_id in ids:
        timeline = busy.get(resource_id)
        if timeline is not None:
            found.update(timeline.conflicts(span))
    return tuple(sorted(found))


def _labels(seats: Sequence[SeatRef]) -> str:
    return ", ".join(seat.label for seat in seats)


def placement_check(
    board: Board,
    spec: SessionSpec,
    start: datetime,
    *,
    now: datetime,
    preferred_staff_id: int | None = None,
    seat_id: int | None = None,
) -> Placement | list[Clash]:
    """Whether ``spec`` can start exactly at ``start``: the placement, or every clash found."""
    start = aware_to_utc(start, "start")
    now = aware_to_utc(now, "now")
    calendar = board.calendar
    zone = calendar.zone
    end = start + spec.in_room
    recovery_end = start + spec.total
    day = calendar.local_date(start)
    on_day = f"on {day.isoformat()}"
    clashes: list[Clash] = []

    if start < now:
        clashes.append(
            Clash("past", f"{day.isoformat()} {_clock(start, zone)} is already in the past")
        )

    reason = calendar.closure_reason(day)
    if reason is not None:
        because = f" ({reason})" if reason else ""
        clashes.append(Clash("closure", f"The clinic is closed on {day.isoformat()}{because}"))
    else:
        windows = calendar.hours.windows_on(day, calendar.tz)
        if _window_holding(windows, start, recovery_end) is None:
            if windows:
                hours = ", ".join(_clock_range(w.start, w.end, zone) for w in windows)
                message = (
                    f"The session and its recovery ({_clock_range(start, recovery_end, zone)}) "
                    f"do not fit inside the opening hours {on_day} ({hours})"
                )
            else:
                message = f"The clinic has no opening hours {on_day} ({day:%A})"
            clashes.append(Clash("hours", message))

    seat_end = recovery_end if spec.recovery_same_seat else end
    seat = None
    if not spec.telehealth:
        seat = _seat_pick(board.session_seats, board.seat_busy, start, seat_end, seat_id)
    if seat is None and not spec.telehealth:
        seat_span = Span(start, seat_end)
        when = f"{_clock_range(start, seat_end, zone)} {on_day}"
        candidates = [s for s in board.session_seats if seat_id is None or s.seat_id == seat_id]
        if not candidates and seat_id is not None:
            message = f"Seat #{seat_id} cannot be used for this kind of session"
        elif not candidates:
            message = "No seat in this clinic can be used for this kind of session"
        elif seat_id is not None:
            message = f"{candidates[0].label} is taken {when}"
        else:
            message = f"Every session seat is taken {when} ({_labels(candidates)})"
        spans = _conflicts_of(board.seat_busy, (s.seat_id for s in candidates), seat_span)
        clashes.append(Clash("seat", message, spans))

    recovery_seat = None
    if spec.recovery > timedelta(0) and not spec.recovery_same_seat:
        recovery_seat = _seat_pick(board.recovery_seats, board.seat_busy, end, recovery_end)
        if recovery_seat is None:
            if board.recovery_seats:
                message = (
                    f"Every recovery seat is taken {_clock_range(end, recovery_end, zone)} "
                    f"{on_day} ({_labels(board.recovery_seats)})"
                )
            else:
                message = "No recovery seat is set up for this kind of session"
            spans = _conflicts_of(
                board.seat_busy,
                (s.seat_id for s in board.recovery_seats),
                Span(end, recovery_end),
            )
            clashes.append(Clash("recovery_seat", message, spans))

    staff = None
    if spec.needs_staff:
        rota = [
            (member, member.hours.windows_on(day, calendar.tz))
            for member in _staff_ordered(board.staff, preferred_staff_id)
        ]
        staff = _staff_pick(rota, board.staff_busy, start, end)
        if staff is None:
            clashes.append(_staff_clash(board, rota, start, end, zone, on_day))

    patient_span = Span(start, recovery_end)
    if not board.patient_busy.is_free(patient_span):
        taken = board.patient_busy.conflicts(patient_span)
        listed = ", ".join(_clock_range(s.start, s.end, zone) for s in taken)
        noun = "an appointment" if len(taken) == 1 else "appointments"
        clashes.append(
            Clash(
                "patient",
                f"The patient already has {noun} at {listed} overlapping "
                f"{_clock_range(start, recovery_end, zone)} {on_day}",
                tuple(taken),
            )
        )

    if spec.is_dosing and day in board.patient_dosing_days:
        clashes.append(
            Clash(
                "dosing_day",
                f"The patient already has a dosing session {on_day}; "
                "only one dosing session per day is allowed",
            )
        )

    clashes.extend(_capacity_clashes(board, spec, start, end, recovery_end, zone, on_day))

    if clashes:
        return clashes
    return Placement(
        start=start,
        end=end,
        recovery_end=recovery_end,
        seat=seat,
        recovery_seat=recovery_seat,
        staff=staff,
        dosing_day=day if spec.is_dosing else None,
    )


def placement_try(
    board: Board,
    spec: SessionSpec,
    start: datetime,
    *,
    now: datetime,
    preferred_staff_id: int | None = None,
) -> Placement | frozenset[str]:
    """``placement_check`` without the sentences: the placement, or the clash kinds.

    A planner tries hundreds of starts on a full calendar and only needs to know what was
    in the way; building every message and busy span for each miss was most of its time.
    It decides exactly as ``placement_check`` does (a property test holds them equal).
    """
    start = aware_to_utc(start, "start")
    calendar = board.calendar
    end = start + spec.in_room
    recovery_end = start + spec.total
    day = calendar.local_date(start)
    kinds: set[str] = set()
    if start < aware_to_utc(now, "now"):
        kinds.add("past")
    if calendar.closure_reason(day) is not None:
        kinds.add("closure")
    elif _window_holding(calendar.hours.windows_on(day, calendar.tz), start, recovery_end) is None:
        kinds.add("hours")
    seat_end = recovery_end if spec.recovery_same_seat else end
    seat = None
    if not spec.telehealth:
        seat = _seat_pick(board.session_seats, board.seat_busy, start, seat_end)
        if seat is None:
            kinds.add("seat")
    recovery_seat = None
    if spec.recovery > timedelta(0) and not spec.recovery_same_seat:
        recovery_seat = _seat_pick(board.recovery_seats, board.seat_busy, end, recovery_end)
        if recovery_seat is None:
            kinds.add("recovery_seat")
    staff = None
    if spec.needs_staff:
        rota = [
            (member, member.hours.windows_on(day, calendar.tz))
            for member in _staff_ordered(board.staff, preferred_staff_id)
        ]
        staff = _staff_pick(rota, board.staff_busy, start, end)
        if staff is None:
            kinds.add("staff")
    if not board.patient_busy.is_free_between(start, recovery_end):
        kinds.add("patient")
    if spec.is_dosing and day in board.patient_dosing_days:
        kinds.add("dosing_day")
    kinds.update(_capacity_kinds(board, spec, start, end, recovery_end))
    if kinds:
        return frozenset(kinds)
    return Placement(
        start=start,
        end=end,
        recovery_end=recovery_end,
        seat=seat,
        recovery_seat=recovery_seat,
        staff=staff,
        dosing_day=day if spec.is_dosing else None,
    )


def _capacity_kinds(
    board: Board, spec: SessionSpec, start: datetime, end: datetime, recovery_end: datetime
) -> set[str]:
    """Which clinic-wide capacity rules the start breaks: "monitoring", "prescriber"."""
    capacity = board.capacity
    kinds: set[str] = set()
    if capacity is None:
        return kinds
    if recovery_end > end and monitoring_shortfall_between(capacity, end, recovery_end):
        kinds.add("monitoring")
    if spec.needs_prescriber and prescriber_gap(capacity, start, recovery_end) is not None:
        kinds.add("prescriber")
    return kinds


def _capacity_clashes(
    board: Board,
    spec: SessionSpec,
    start: datetime,
    end: datetime,
    recovery_end: datetime,
    zone: ZoneInfo,
    on_day: str,
) -> list[Clash]:
    capacity = board.capacity
    clashes: list[Clash] = []
    if capacity is None:
        return clashes
    if recovery_end > end:
        short = monitoring_shortfall_between(capacity, end, recovery_end)
        if short is not None:
            at = f"{_clock(short.at, zone)} {on_day}"
            staffed = (
                f"only {short.monitors} monitor{'s' if short.monitors != 1 else ''} working"
                if short.monitors
                else "no monitor working"
            )
            clashes.append(
                Clash(
                    "monitoring",
                    f"Too few monitors for the recovery: {short.recovering} patients would be "
                    f"recovering at {at} with {staffed} (at most {short.ratio} recovering "
                    "patients per monitor)",
                )
            )
    if spec.needs_prescriber:
        gap = prescriber_gap(capacity, start, recovery_end)
        if gap is not None:
            clashes.append(
                Clash(
                    "prescriber",
                    f"No prescriber is on site at {_clock(gap, zone)} {on_day}; this session "
                    f"needs one working throughout {_clock_range(start, recovery_end, zone)}",
                )
            )
    return clashes


def _staff_clash(
    board: Board,
    rota: Sequence[tuple[StaffRef, Sequence[Span]]],
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    on_day: str,
) -> Clash:
    when = f"{_clock_range(start, end, zone)} {on_day}"
    if not rota:
        return Clash("staff", "No staff member with the needed role is set up for this clinic")
    working = [m for m, windows in rota if _window_holding(windows, start, end) is not None]
    off = [m for m, windows in rota if _window_holding(windows, start, end) is None]
    details = []
    if working:
        details.append("busy: " + ", ".join(m.name for m in working))
    if off:
        details.append("not working then: " + ", ".join(m.name for m in off))
    spans = _conflicts_of(board.staff_busy, (m.staff_id for m in working), Span(start, end))
    return Clash(
        "staff",
        f"No staff member with the needed role is working and free {when} ({'; '.join(details)})",
        spans,
    )


def _seconds(delta: timedelta) -> int:
    seconds = delta // timedelta(seconds=1)
    if timedelta(seconds=seconds) != delta:
        raise ValueError(f"durations are whole seconds, got {delta}")
    return seconds


def _epoch_busy(busy: dict[int, Timeline], ids: Iterable[int]) -> dict[int, EpochBlocks]:
    return {i: busy[i].epoch for i in ids if i in busy}


def _epoch_windows(windows: Iterable[Span]) -> list[EpochSpan]:
    # Narrowed to whole seconds: a whole-second span fits inside exactly when it did.
    return [EpochSpan(epoch_ceil(w.start), epoch_floor(w.end)) for w in windows]


def _grid_at_or_after(bound: int, candidate: int, step: int, following: int) -> int:
    """The next start to test: the first grid start at or after ``bound`` (the grid runs
    through ``candidate`` every ``step`` seconds), and never before ``following``."""
    steps = -(-(bound - candidate) // step)
    return max(following, candidate + steps * step)


def _seats_free_from(
    seats: Sequence[SeatRef], busy: Mapping[int, EpochBlocks], start: int, end: int
) -> int:
    """When some seat could next hold ``[start, end)`` moved later, once none can now:
    the earliest of each seat's ``free_from`` (each seat is busy, so each has blocks)."""
    return min((busy[s.seat_id].free_from(start, end) for s in seats), default=start + 1)


def _slots_iter(
    board: Board,
    spec: SessionSpec,
    date_from: date,
    date_to: date,
    *,
    now: datetime,
    step: timedelta,
    preferred_staff_id: int | None,
    earliest: time | None,
    latest: time | None,
    after: datetime | None = None,
) -> Iterator[Placement]:
    """The starts that pass, in order. Candidates are tested in whole epoch seconds with
    the same pickers as ``placement_check`` (``EpochBlocks`` answer as the timelines do
    for whole seconds); only a start that passes becomes datetimes."""
    if step <= timedelta(0):
        raise ValueError(f"step must be positive, got {step}")
    now = aware_to_utc(now, "now")
    calendar = board.calendar
    zone, tz = calendar.zone, calendar.tz
    in_room, total = _seconds(spec.in_room), _seconds(spec.total)
    step_seconds = _seconds(step)
    seat_for = total if spec.recovery_same_seat else in_room
    separate_recovery = spec.recovery > timedelta(0) and not spec.recovery_same_seat
    dosing = spec.is_dosing
    telehealth = spec.telehealth
    ordered_staff = _staff_ordered(board.staff, preferred_staff_id) if spec.needs_staff else []
    session_seats, recovery_seats = board.session_seats, board.recovery_seats
    seat_busy = _epoch_busy(board.seat_busy, (s.seat_id for s in session_seats + recovery_seats))
    staff_busy = _epoch_busy(board.staff_busy, (m.staff_id for m in ordered_staff))
    patient = board.patient_busy.epoch
    bounded = earliest is not None or latest is not None
    checks_capacity = board.capacity is not None and (
        spec.recovery > timedelta(0) or spec.needs_prescriber
    )
    # The capacity rules over whole seconds too, when every span counted is in them.
    epoch_capacity = None
    if checks_capacity:
        capacity = board.capacity
        steps = (
            capacity.recovering.epoch_steps(),
            capacity.monitors.epoch_steps(),
            capacity.prescribers.epoch_steps(),
        )
        if None not in steps:
            recovering, monitors, prescribers = steps
            epoch_capacity = (
                monitoring_short_blocks(recovering, monitors, capacity.recovering_per_monitor),
                prescriber_gap_blocks(prescribers),
            )

    day = date_from
    while day <= date_to:
        today, day = day, day + timedelta(days=1)
        if (dosing and today in board.patient_dosing_days) or calendar.is_closed(today):
            continue
        rota: list[tuple[StaffRef, list[EpochSpan]]] = []
        if spec.needs_staff:
            rota = [(m, _epoch_windows(m.hours.windows_on(today, tz))) for m in ordered_staff]
            rota = [(m, windows) for m, windows in rota if windows]
            if not rota:
                continue
        for window in calendar.hours.windows_on(today, tz):
            # The grid starts at the opening, on a whole second (hours are whole minutes).
            first_second = epoch_ceil(window.start)
            first = datetime.fromtimestamp(first_second, UTC)
            # Jump straight to the first grid start that is neither past nor before `after`.
            k = 0
            if now > first:
                k = -((first - now) // step)
            if after is not None and after >= first:
                k = max(k, (after - first) // step + 1)
            start = first_second + k * step_seconds
            last = epoch_floor(window.end) - total
            while start <= last:
                candidate, start = start, start + step_seconds
                if bounded:
                    local = datetime.fromtimestamp(candidate, zone).time()
                    if (earliest is not None and local < earliest) or (
                        latest is not None and local > latest
                    ):
                        continue
                end = candidate + in_room
                recovery_end = candidate + total
                # A refusal below that names when it can next pass (a busy block's end)
                # moves the grid there: every start before it would be refused the same.
                free_from = patient.free_from(candidate, recovery_end)
                if free_from > candidate:
                    start = _grid_at_or_after(free_from, candidate, step_seconds, start)
                    continue
                staff = None
                if rota:
                    staff = _staff_pick(rota, staff_busy, candidate, end)
                    if staff is None:
                        continue
                seat = None
                if not telehealth:
                    seat_end = candidate + seat_for
                    seat = _seat_pick(session_seats, seat_busy, candidate, seat_end)
                    if seat is None:
                        free_from = _seats_free_from(session_seats, seat_busy, candidate, seat_end)
                        start = _grid_at_or_after(free_from, candidate, step_seconds, start)
                        continue
                recovery_seat = None
                if separate_recovery:
                    recovery_seat = _seat_pick(recovery_seats, seat_busy, end, recovery_end)
                    if recovery_seat is None:
                        free_from = _seats_free_from(recovery_seats, seat_busy, end, recovery_end)
                        start = _grid_at_or_after(
                            free_from - in_room, candidate, step_seconds, start
                        )
                        continue
                if epoch_capacity is not None:
                    short, no_prescriber = epoch_capacity
                    if recovery_end > end:
                        free_from = short.free_from(end, recovery_end)
                        if free_from > end:
                            start = _grid_at_or_after(
                                free_from - in_room, candidate, step_seconds, start
                            )
                            continue
                    if spec.needs_prescriber:
                        free_from = no_prescriber.free_from(candidate, recovery_end)
                        if free_from > candidate:
                            start = _grid_at_or_after(free_from, candidate, step_seconds, start)
                            continue
                start_at = datetime.fromtimestamp(candidate, UTC)
                end_at = datetime.fromtimestamp(end, UTC)
                recovery_end_at = datetime.fromtimestamp(recovery_end, UTC)
                if (
                    checks_capacity
                    and epoch_capacity is None
                    and _capacity_kinds(board, spec, start_at, end_at, recovery_end_at)
                ):
                    continue
                yield Placement(
                    start=start_at,
                    end=end_at,
                    recovery_end=recovery_end_at,
                    seat=seat,
                    recovery_seat=recovery_seat,
                    staff=staff,
                    dosing_day=today if dosing else None,
                )


def slots_find(
    board: Board,
    spec: SessionSpec,
    date_from: date,
    date_to: date,
    *,
    now: datetime,
    step: timedelta = DEFAULT_STEP,
    preferred_staff_id: int | None = None,
    earliest: time | None = None,
    latest: time | None = None,
    limit: int | None = None,
) -> list[Placement]:
    """Every bookable start from ``date_from`` to ``date_to`` (clinic-local, inclusive).

    Starts sit on a grid of ``step`` counted in real time from each window's opening; as DST
    shifts are whole multiples of usual steps this is also the wall-clock grid. ``earliest``
    and ``latest`` bound the local wall-clock time of the start (not of the end).
    """
    if date_to < date_from:
        raise ValueError(f"date_to {date_to} is before date_from {date_from}")
    found: list[Placement] = []
    if limit is not None and limit <= 0:
        return found
    for placement in _slots_iter(
        board,
        spec,
        date_from,
        date_to,
        now=now,
        step=step,
        preferred_staff_id=preferred_staff_id,
        earliest=earliest,
        latest=latest,
    ):
        found.append(placement)
        if limit is not None and len(found) >= limit:
            break
    return found


def next_free_start(
    board: Board,
    spec: SessionSpec,
    after: datetime,
    *,
    now: datetime,
    horizon_days: int = 28,
    step: timedelta = DEFAULT_STEP,
    preferred_staff_id: int | None = None,
) -> Placement | None:
    """The first bookable grid start strictly after ``after``, within ``horizon_days`` local
    days counted from the day of ``after`` (or of ``now`` if later); None if there is none."""
    if horizon_days < 1:
        raise ValueError(f"horizon_days must be at least 1, got {horizon_days}")
    after = aware_to_utc(after, "after")
    now = aware_to_utc(now, "now")
    first_day = board.calendar.local_date(max(after, now))
    last_day = first_day + timedelta(days=horizon_days - 1)
    slots = _slots_iter(
        board,
        spec,
        first_day,
        last_day,
        now=now,
        step=step,
        preferred_staff_id=preferred_staff_id,
        earliest=None,
        latest=None,
        after=after,
    )
    return next(slots, None)


def board_reserve(board: Board, placement: Placement) -> None:
    """Hold the placement's seats, staff and patient time on the board (no checks made)."""
    for kind, resource_id, span in placement.holds():
        busy = board.staff_busy if kind == "staff" else board.seat_busy
        busy.setdefault(resource_id, Timeline()).add(span)
    if board.capacity is not None and placement.recovery_end > placement.end:
        board.capacity.recovering.add(Span(placement.end, placement.recovery_end))
    board.patient_busy.add(Span(placement.start, placement.recovery_end))
    if placement.dosing_day is not None:
        board.patient_dosing_days.add(placement.dosing_day)


def board_release(board: Board, placement: Placement) -> None:
    """Undo ``board_reserve`` for a placement that was reserved after passing the check.

    The dosing day is simply freed: a checked placement can only be the patient's sole dosing
    session that day.
    """
    for kind, resource_id, span in placement.holds():
        busy = board.staff_busy if kind == "staff" else board.seat_busy
        if resource_id not in busy:
            raise ValueError(f"{kind} {resource_id} holds nothing to release")
        busy[resource_id].remove(span)
    if board.capacity is not None and placement.recovery_end > placement.end:
        board.capacity.recovering.remove(Span(placement.end, placement.recovery_end))
    board.patient_busy.remove(Span(placement.start, placement.recovery_end))
    if placement.dosing_day is not None:
        board.patient_dosing_days.discard(placement.dosing_day)

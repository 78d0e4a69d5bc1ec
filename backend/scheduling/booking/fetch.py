"""Fetch: load what a placement decision needs, in a fixed handful of queries.

Everything returned is plain data of the pure modules (``resources.calendar``,
``resources.intervals``, ``booking.availability``), which do the deciding.
The query count does not depend on how many holds or appointments exist.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Case, DateTimeField, IntegerField, Prefetch, Q, Value, When
from django.db.models.functions import Cast
from django.utils import timezone

from backend.common.db import EpochSeconds, PreparedQuery, raw_datetime, raw_rows_fetch
from backend.scheduling.booking.availability import Board, SeatRef, SessionSpec, StaffRef
from backend.scheduling.booking.capacity import ClinicCapacity, SpanCounts
from backend.scheduling.booking.models import Appointment, Hold, HoldKind
from backend.scheduling.resources.calendar import (
    ClinicCalendar,
    StaffHours,
    WeeklyHours,
    wall_to_utc,
)
from backend.scheduling.resources.choices import AbsenceKind, RoomKind, StaffRole
from backend.scheduling.resources.config import config_cache_register
from backend.scheduling.resources.intervals import Span, Timeline
from backend.scheduling.resources.models import (
    Clinic,
    Closure,
    OpeningHours,
    Patient,
    Seat,
    SessionType,
    Staff,
    StaffAbsence,
)

# Staff who watch recovering patients (the clinic's ratio counts them), and the role a
# "prescriber on site" rule asks for.
MONITOR_ROLES = frozenset({StaffRole.NURSE})
PRESCRIBER_ROLES = frozenset({StaffRole.PRESCRIBER})

# No hold lasts longer than this; it bounds the index range scan on (seat, start) so a
# window query never reads a resource's whole history.
MAX_HOLD_SPAN = timedelta(hours=24)


# --- the clinic's setup, cached per process --------------------------------------------


@dataclass(frozen=True)
class ClinicConfig:
    """A clinic's setup as placement needs it, shared by every request of this process.

    Read-only: the rows in it (seats with their rooms, staff) are shared by requests.
    """

    version: int
    calendar: ClinicCalendar
    seats: tuple[Seat, ...]  # active seats of active rooms, room attached, in order
    seat_refs: dict[int, SeatRef]
    staff: tuple[Staff, ...]  # active staff, in order
    # Each staff member with their weekly hours only: absences and extra shifts change
    # from day to day and are read on every request (``staff_hours_with``).
    staff_refs: dict[int, StaffRef]
    type_rooms: dict[int, frozenset[int]]  # session type -> the rooms here it is limited to
    # The clinic's own session types and the built-in ones, retired ones included.
    session_types: dict[int, SessionType] = field(default_factory=dict)


_CONFIGS: dict[int, ClinicConfig] = {}


def _configs_forget(clinic_ids: list[int] | None) -> None:
    if clinic_ids is None:
        _CONFIGS.clear()
    for clinic_id in clinic_ids or ():
        _CONFIGS.pop(clinic_id, None)


config_cache_register(_configs_forget)


def _config_load(clinic: Clinic) -> ClinicConfig:
    """Read the clinic's setup (7 queries). The stamp is read first, in the same
    transaction: data read after it is at least as new as the stamp says."""
    version = Clinic.objects.filter(pk=clinic.pk).values_list("config_version", flat=True).first()
    hours = WeeklyHours(
        windows=tuple(
            OpeningHours.objects.filter(clinic=clinic).values_list("weekday", "opens", "closes")
        )
    )
    closures = tuple(
        Closure.objects.filter(clinic=clinic).values_list("start_date", "end_date", "reason")
    )
    calendar = ClinicCalendar(tz=clinic.timezone, hours=hours, closures=closures)
    seats = tuple(
        Seat.objects.filter(room__clinic=clinic, room__active=True, active=True)
        .select_related("room")
        .order_by("room__name", "room_id", "name", "id")
    )
    staff = tuple(
        Staff.objects.filter(clinic=clinic, active=True)
        .prefetch_related("working_hours")
        .order_by("name", "id")
    )
    type_rooms: dict[int, set[int]] = defaultdict(set)
    through = SessionType.rooms.through
    for st_id, room_id in through.objects.filter(room__clinic=clinic).values_list(
        "sessiontype_id", "room_id"
    ):
        type_rooms[st_id].add(room_id)
    return ClinicConfig(
        version=version if version is not None else clinic.config_version,
        calendar=calendar,
        seats=seats,
        seat_refs={s.id: _seat_ref(s) for s in seats},
        staff=staff,
        staff_refs={
            s.id: StaffRef(
                staff_id=s.id,
                name=s.name,
                hours=StaffHours(
                    windows=tuple((w.weekday, w.starts, w.ends) for w in s.working_hours.all())
                ),
            )
            for s in staff
        },
        type_rooms={st_id: frozenset(rooms) for st_id, rooms in type_rooms.items()},
        session_types={
            st.id: st
            for st in SessionType.objects.filter(Q(clinic=clinic) | Q(clinic__isnull=True))
        },
    )


def clinic_config(clinic: Clinic) -> ClinicConfig:
    """The clinic's setup: this process's copy if the clinic row's stamp says it is
    current (no query), else read again (see ``resources.config``)."""
    cached = _CONFIGS.get(clinic.pk)
    if cached is not None and cached.version == clinic.config_version:
        return cached
    loaded = _config_load(clinic)
    _CONFIGS[clinic.pk] = loaded
    return loaded


def calendar_of(clinic: Clinic) -> ClinicCalendar:
    """The clinic's calendar (opening hours, closures), from the cached setup."""
    return clinic_config(clinic).calendar


def spec_of(session_type: SessionType) -> SessionSpec:
    return SessionSpec(
        in_room=timedelta(minutes=session_type.in_room_minutes),
        recovery=timedelta(minutes=session_type.recovery_minutes),
        recovery_same_seat=session_type.recovery_in_same_seat,
        needs_staff=bool(session_type.staff_role),
        is_dosing=session_type.is_dosing,
        needs_prescriber=session_type.requires_prescriber_on_site,
        telehealth=session_type.is_telehealth,
    )


def clinic_fetch(clinic_id: int) -> Clinic:
    """The clinic row (1 query); its setup comes from ``clinic_config``."""
    return Clinic.objects.get(pk=clinic_id)


def patient_clinic_fetch(patient: Patient) -> Clinic:
    """The patient's clinic; reuses the clinic row if already loaded with the patient."""
    return patient.clinic


def local_window(calendar: ClinicCalendar, date_from: date, date_to: date) -> Span:
    """From local midnight of ``date_from`` to local midnight after ``date_to``."""
    zone = calendar.zone
    return Span(
        wall_to_utc(date_from, time(0, 0), zone),
        wall_to_utc(date_to + timedelta(days=1), time(0, 0), zone),
    )


def _seat_ref(seat: Seat) -> SeatRef:
    return SeatRef(seat_id=seat.id, room_id=seat.room_id, label=f"{seat.room.name} / {seat.name}")


def session_type_rooms(clinic: Clinic, session_types: list[SessionType]) -> dict[int, set[int]]:
    """The clinic's rooms each session type is limited to (from the cached setup).

    A type that lists none of this clinic's rooms may use any room of its kind here: a
    built-in type is shared, and one clinic's choice must not empty another's calendar.
    """
    limited = clinic_config(clinic).type_rooms
    return {st.id: set(limited[st.id]) for st in session_types if st.id in limited}


def absences_prefetch() -> Prefetch:
    """A staff member's absences and extra shifts that can still matter (not long past)."""
    since = timezone.now() - timedelta(days=1)
    return Prefetch("absences", queryset=StaffAbsence.objects.filter(end__gt=since))


def staff_hours_with(windows: tuple, absences: Iterable[tuple[str, datetime, datetime]]):
    """The one place a staff member's working windows are built: weekly hours, plus extra
    shifts, minus absences (``(kind, start, end)``)."""
    extra, off = [], []
    for kind, start, end in absences:
        (extra if kind == AbsenceKind.EXTRA_SHIFT else off).append(Span(start, end))
    return StaffHours(windows=windows, extra=tuple(extra), off=tuple(off))


def staff_hours_of(staff: Staff) -> StaffHours:
    """``staff_hours_with`` for a row with prefetched ``working_hours`` and ``absences``."""
    return staff_hours_with(
        tuple((w.weekday, w.starts, w.ends) for w in staff.working_hours.all()),
        ((a.kind, a.start, a.end) for a in staff.absences.all()),
    )


def staff_absences_fetch(staff_ids: list[int]) -> dict[int, list[tuple[str, datetime, datetime]]]:
    """Absences and extra shifts of these staff members that can still matter (1 query;
    none without staff). Never cached: they change from day to day."""
    found: dict[int, list] = defaultdict(list)
    if staff_ids:
        since = timezone.now() - timedelta(days=1)
        rows = StaffAbsence.objects.filter(staff_id__in=staff_ids, end__gt=since).values_list(
            "staff_id", "kind", "start", "end"
        )
        for staff_id, kind, start, end in rows:
            found[staff_id].append((kind, start, end))
    return found


def staff_refs_with_absences(config: ClinicConfig, rows: list[Staff]) -> dict[int, StaffRef]:
    """The cached refs of ``rows`` with today's absences and extra shifts (1 query)."""
    absences = staff_absences_fetch([s.id for s in rows])
    refs = {}
    for s in rows:
        ref = config.staff_refs[s.id]
        if s.id in absences:
            ref = StaffRef(
                staff_id=s.id,
                name=s.name,
                hours=staff_hours_with(ref.hours.windows, absences[s.id]),
            )
        refs[s.id] = ref
    return refs


@dataclass(frozen=True)
class Resources:
    """The seats and staff a session type could use at a clinic (ids for locking)."""

    session_seats: list[SeatRef]
    recovery_seats: list[SeatRef]
    staff: list[StaffRef]
    seat_noun: str = "seat"
    # Every monitor and prescriber of the clinic, for the clinic-wide capacity rules.
    monitors: list[StaffRef] = field(default_factory=list)
    prescribers: list[StaffRef] = field(default_factory=list)
    # The rows behind the refs, so that a new appointment can be rendered without
    # reading its seat, room and staff member back.
    seat_rows: dict[int, Seat] = field(default_factory=dict, compare=False, repr=False)
    staff_rows: dict[int, Staff] = field(default_factory=dict, compare=False, repr=False)

    @property
    def seat_ids(self) -> list[int]:
        return sorted({s.seat_id for s in self.session_seats + self.recovery_seats})

    @property
    def staff_ids(self) -> list[int]:
        return sorted({s.staff_id for s in self.staff})


def resources_fetch(
    clinic: Clinic,
    session_types: Iterable[SessionType],
    *,
    room_id: int | None = None,
    absences: bool = True,
) -> dict[int, Resources]:
    """Candidate seats and staff for each session type, in preference order: from the
    cached setup, plus the staff's absences (1 query, when staff are needed).

    ``absences=False`` leaves the staff with their weekly hours only (no query), for a
    caller that hands the resources to ``board_fetch``, which reads the absences with the
    calendar.
    """
    session_types = list(session_types)
    config = clinic_config(clinic)
    kinds = {st.room_kind for st in session_types}
    if any(not st.recovery_in_same_seat and st.recovery_minutes for st in session_types):
        kinds.add(RoomKind.RECOVERY)
    seats = [s for s in config.seats if s.room.kind in kinds]
    roles = {st.staff_role for st in session_types if st.staff_role}
    # Monitors and prescribers come from the same cached setup and absence query: the
    # capacity rules need them.
    every_row = [s for s in config.staff if s.role in roles | MONITOR_ROLES | PRESCRIBER_ROLES]
    staff_refs = (
        staff_refs_with_absences(config, every_row)
        if absences
        else {s.id: config.staff_refs[s.id] for s in every_row}
    )
    staff_rows = [s for s in every_row if s.role in roles]
    monitors = [staff_refs[s.id] for s in every_row if s.role in MONITOR_ROLES]
    prescribers = [staff_refs[s.id] for s in every_row if s.role in PRESCRIBER_ROLES]
    allowed_rooms = session_type_rooms(clinic, session_types)
    result = {}
    for st in session_types:
        allowed = allowed_rooms.get(st.id)
        session_seats = [
            config.seat_refs[s.id]
            for s in seats
            if s.room.kind == st.room_kind
            and not st.is_telehealth
            and (room_id is None or s.room_id == room_id)
            and (allowed is None or s.room_id in allowed)
        ]
        recovery_seats = (
            [config.seat_refs[s.id] for s in seats if s.room.kind == RoomKind.RECOVERY]
            if st.recovery_minutes and not st.recovery_in_same_seat
            else []
        )
        staff = [staff_refs[s.id] for s in staff_rows if s.role == st.staff_role]
        kinds_here = [s.kind for s in seats if s.room.kind == st.room_kind]
        noun = max(set(kinds_here), key=kinds_here.count) if kinds_here else "seat"
        result[st.id] = Resources(
            session_seats,
            recovery_seats,
            staff,
            seat_noun=noun,
            monitors=monitors,
            prescribers=prescribers,
            seat_rows={s.id: s for s in seats},
            staff_rows={s.id: s for s in staff_rows},
        )
    return result


def staff_working_spans(member: StaffRef, calendar: ClinicCalendar, window: Span) -> list[Span]:
    """The real spans ``member`` works that touch ``window``, from ``staff_hours_of`` (extra
    shifts added, absences taken off), for the clinic-wide rules."""
    zone = calendar.zone
    first = window.start.astimezone(zone).date() - timedelta(days=1)
    last = window.end.astimezone(zone).date()
    spans: list[Span] = []
    day = first
    while day <= last:
        spans.extend(w for w in member.hours.windows_on(day, calendar.tz) if w.overlaps(window))
        day += timedelta(days=1)
    return spans


def recovery_holds(clinic, *, since, window_start, window_end, exclude: list[int]):
    """The clinic's active recovery holds meeting the window (``since`` bounds their start,
    for the index), less the excluded appointments': what the monitoring ratio counts.

    By the clinic's seats, not the appointment's clinic and status: an active hold always
    belongs to an appointment that takes capacity (cancelling, a no-show or a lapsed offer
    deactivates it), and joining every appointment of the clinic cost a 4-week search
    ~10 ms on PostgreSQL at 100k.
    """
    return Hold.objects.filter(
        seat__room__clinic=clinic,
        kind=HoldKind.RECOVERY,
        active=True,
        start__gte=since,
        start__lt=window_end,
        end__gt=window_start,
    ).exclude(appointment_id__in=exclude)


def capacity_fetch(
    *,
    clinic: Clinic,
    calendar: ClinicCalendar,
    resources: Resources,
    window: Span,
    exclude_appointment_ids: Iterable[int] = (),
) -> ClinicCapacity:
    """The clinic's recovering patients and working monitors and prescribers (1 query).

    Every active recovery hold of the clinic counts, whichever seat or room it is on: the
    ratio is per clinic, not per room. A pending waitlist offer's counts too, as its seat
    hold does for the seat: accepting it re-checks nothing, so two offers (or an offer and
    a booking) must never together exceed the ratio.
    """
    rows = recovery_holds(
        clinic,
        since=window.start - MAX_HOLD_SPAN,
        window_start=window.start,
        window_end=window.end,
        exclude=list(exclude_appointment_ids),
    ).values_list(EpochSeconds("start"), EpochSeconds("end"))
    recovering = [Span.from_epoch(start, end) for start, end in raw_rows_fetch(rows)]
    monitors = [s for m in resources.monitors for s in staff_working_spans(m, calendar, window)]
    prescribers = [
        s for p in resources.prescribers for s in staff_working_spans(p, calendar, window)
    ]
    return ClinicCapacity(
        recovering_per_monitor=clinic.recovering_per_monitor,
        recovering=SpanCounts(recovering),
        monitors=SpanCounts(monitors),
        prescribers=SpanCounts(prescribers),
    )


def clinic_capacity_fetch(
    *, clinic: Clinic, calendar: ClinicCalendar, window: Span
) -> ClinicCapacity:
    """The capacity state of a whole clinic for reports and the board: the cached setup,
    the monitors' and prescribers' absences and the clinic's recoveries (2 queries)."""
    config = clinic_config(clinic)
    rows = [s for s in config.staff if s.role in MONITOR_ROLES | PRESCRIBER_ROLES]
    refs = staff_refs_with_absences(config, rows)
    staff = Resources(
        [],
        [],
        [],
        monitors=[refs[s.id] for s in rows if s.role in MONITOR_ROLES],
        prescribers=[refs[s.id] for s in rows if s.role in PRESCRIBER_ROLES],
    )
    return capacity_fetch(clinic=clinic, calendar=calendar, resources=staff, window=window)


def busy_fetch(
    *,
    seat_ids: Iterable[int],
    staff_ids: Iterable[int],
    window: Span,
    exclude_appointment_ids: Iterable[int] = (),
) -> tuple[dict[int, Timeline], dict[int, Timeline]]:
    """Active holds on the given seats and staff that touch the window (1 query)."""
    seat_ids, staff_ids = list(seat_ids), list(staff_ids)
    seat_spans: dict[int, list[Span]] = defaultdict(list)
    staff_spans: dict[int, list[Span]] = defaultdict(list)
    if seat_ids or staff_ids:
        query = (
            Hold.objects.filter(
                Q(seat_id__in=seat_ids) | Q(staff_id__in=staff_ids),
                active=True,
                start__gte=window.start - MAX_HOLD_SPAN,
                start__lt=window.end,
                end__gt=window.start,
            )
            .exclude(appointment_id__in=list(exclude_appointment_ids))
            .values_list("seat_id", "staff_id", EpochSeconds("start"), EpochSeconds("end"))
        )
        # Thousands of plain integer rows, read past the ORM's converters.
        for seat_id, staff_id, start, end in raw_rows_fetch(query):
            span = Span.from_epoch(start, end)
            if seat_id is not None:
                seat_spans[seat_id].append(span)
            else:
                staff_spans[staff_id].append(span)
    return (
        {k: Timeline(v) for k, v in seat_spans.items()},
        {k: Timeline(v) for k, v in staff_spans.items()},
    )


def patient_busy_fetch(
    patient: Patient | None,
    calendar: ClinicCalendar,
    window: Span,
    *,
    exclude_appointment_ids: Iterable[int] = (),
) -> tuple[Timeline, set[date]]:
    """The patient's other appointments in the window, and the local days they dose (1 query)."""
    if patient is None:
        return Timeline(), set()
    return patients_busy_fetch(
        [patient.id], calendar, window, exclude_appointment_ids=exclude_appointment_ids
    )[patient.id]


def patients_busy_fetch(
    patient_ids: Iterable[int],
    calendar: ClinicCalendar,
    window: Span,
    *,
    exclude_appointment_ids: Iterable[int] = (),
) -> dict[int, tuple[Timeline, set[date]]]:
    """``patient_busy_fetch`` for many patients at once (1 query): a group moving together."""
    patient_ids = list(patient_ids)
    spans: dict[int, list[Span]] = {p: [] for p in patient_ids}
    dosing_days: dict[int, set[date]] = {p: set() for p in patient_ids}
    rows = (
        Appointment.objects.active()
        .filter(
            patient_id__in=patient_ids,
            start__gte=window.start - MAX_HOLD_SPAN,
            start__lt=window.end,
            recovery_end__gt=window.start,
        )
        .exclude(id__in=list(exclude_appointment_ids))
        .values_list("patient_id", "start", "recovery_end", "session_type__is_dosing")
    )
    for patient_id, start, recovery_end, is_dosing in rows:
        spans[patient_id].append(Span(start, recovery_end))
        if is_dosing:
            dosing_days[patient_id].add(calendar.local_date(start))
    return {p: (Timeline(spans[p]), dosing_days[p]) for p in patient_ids}


# The parts of the one query a board is read with (``_board_rows``): its first column.
_SEAT_OR_STAFF_HOLD, _PATIENT_APPOINTMENT, _RECOVERY_HOLD, _STAFF_ABSENCE = 0, 1, 2, 3


def _null(output_field) -> Cast:
    # Typed: PostgreSQL resolves the column types of a UNION part by part.
    return Cast(Value(None), output_field=output_field)


@dataclass
class _BoardRows:
    seat_spans: dict[int, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))
    staff_spans: dict[int, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))
    patient_spans: list[Span] = field(default_factory=list)
    patient_dosing_starts: list[datetime] = field(default_factory=list)
    recovering: list[tuple[int, int]] = field(default_factory=list)  # epoch seconds
    absences: dict[int, list[tuple[str, datetime, datetime]]] = field(
        default_factory=lambda: defaultdict(list)
    )


def _board_query(
    *,
    clinic: int,
    seats: list[int],
    staff: list[int],
    absence_staff: list[int],
    patients: list[int],
    exclude: list[int],
    since: datetime,
    window_start: datetime,
    window_end: datetime,
    absences_since: datetime,
):
    """The UNION ALL of what ``busy_fetch``, ``patient_busy_fetch``, ``capacity_fetch`` and
    ``staff_absences_fetch`` read, with the same filters.

    Columns: part, two ids, start and end as epoch seconds (holds, exact whole seconds),
    start and end as datetimes (appointments and absences, read as stored).
    """
    int_field, time_field = IntegerField(), DateTimeField()
    recovering = (
        recovery_holds(
            clinic, since=since, window_start=window_start, window_end=window_end, exclude=exclude
        )
        .order_by()
        .values_list(
            Value(_RECOVERY_HOLD),
            _null(int_field),
            _null(int_field),
            EpochSeconds("start"),
            EpochSeconds("end"),
            _null(time_field),
            _null(time_field),
        )
    )
    parts = []
    if seats or staff:
        parts.append(
            Hold.objects.filter(
                Q(seat_id__in=seats) | Q(staff_id__in=staff),
                active=True,
                start__gte=since,
                start__lt=window_end,
                end__gt=window_start,
            )
            .exclude(appointment_id__in=exclude)
            .order_by()
            .values_list(
                Value(_SEAT_OR_STAFF_HOLD),
                "seat_id",
                "staff_id",
                EpochSeconds("start"),
                EpochSeconds("end"),
                _null(time_field),
                _null(time_field),
            )
        )
    if patients:
        parts.append(
            Appointment.objects.active()
            .filter(
                patient_id__in=patients,
                start__gte=since,
                start__lt=window_end,
                recovery_end__gt=window_start,
            )
            .exclude(id__in=exclude)
            .order_by()
            .values_list(
                Value(_PATIENT_APPOINTMENT),
                Case(
                    When(session_type__is_dosing=True, then=Value(1)),
                    default=Value(0),
                    output_field=int_field,
                ),
                _null(int_field),
                _null(int_field),
                _null(int_field),
                "start",
                "recovery_end",
            )
        )
    if absence_staff:
        parts.append(
            StaffAbsence.objects.filter(staff_id__in=absence_staff, end__gt=absences_since)
            .order_by()
            .values_list(
                Value(_STAFF_ABSENCE),
                "staff_id",
                Case(
                    When(kind=AbsenceKind.EXTRA_SHIFT, then=Value(1)),
                    default=Value(0),
                    output_field=int_field,
                ),
                _null(int_field),
                _null(int_field),
                "start",
                "end",
            )
        )
    return recovering.union(*parts, all=True) if parts else recovering


# Built and compiled once per process (and per number of seats, staff and exclusions).
_BOARD_ROWS = PreparedQuery(
    _board_query,
    clinic=int,
    seats=list,
    staff=list,
    absence_staff=list,
    patients=list,
    exclude=list,
    since=datetime,
    window_start=datetime,
    window_end=datetime,
    absences_since=datetime,
)


def _board_rows(
    *,
    clinic: Clinic,
    seat_ids: list[int],
    staff_ids: list[int],
    absence_staff_ids: list[int],
    patient: Patient | None,
    window: Span,
    exclude: list[int],
) -> _BoardRows:
    """Everything a board reads from the database, in one query (``_board_query``)."""
    rows = _BOARD_ROWS.rows(
        clinic=clinic.id,
        seats=seat_ids,
        staff=staff_ids,
        absence_staff=absence_staff_ids,
        patients=[patient.id] if patient is not None else [],
        exclude=exclude,
        since=window.start - MAX_HOLD_SPAN,
        window_start=window.start,
        window_end=window.end,
        absences_since=timezone.now() - timedelta(days=1),
    )
    found = _BoardRows()
    for part, first, second, start, end, start_at, end_at in rows:
        if part == _SEAT_OR_STAFF_HOLD:
            if first is not None:
                found.seat_spans[first].append((start, end))
            else:
                found.staff_spans[second].append((start, end))
        elif part == _RECOVERY_HOLD:
            found.recovering.append((start, end))
        elif part == _PATIENT_APPOINTMENT:
            start_at = raw_datetime(start_at)
            found.patient_spans.append(Span(start_at, raw_datetime(end_at)))
            if first:
                found.patient_dosing_starts.append(start_at)
        else:
            kind = AbsenceKind.EXTRA_SHIFT if second else AbsenceKind.ABSENCE
            found.absences[first].append((kind, raw_datetime(start_at), raw_datetime(end_at)))
    return found


def _with_absences(
    config: ClinicConfig, refs: list[StaffRef], absences: dict[int, list]
) -> list[StaffRef]:
    """The cached weekly-hours refs of these staff with their absences and extra shifts."""
    result = []
    for ref in refs:
        cached = config.staff_refs[ref.staff_id]
        if ref.staff_id in absences:
            cached = StaffRef(
                staff_id=cached.staff_id,
                name=cached.name,
                hours=staff_hours_with(cached.hours.windows, absences[ref.staff_id]),
            )
        result.append(cached)
    return result


def board_fetch(
    *,
    clinic: Clinic,
    session_type: SessionType,
    date_from: date,
    date_to: date,
    patient: Patient | None = None,
    room_id: int | None = None,
    exclude_appointment_ids: Iterable[int] = (),
    resources: Resources | None = None,
) -> Board:
    """Everything the placement check needs for one session type over local dates, in
    one query: the seats' and staff's busy spans, the patient's appointments, the clinic's
    recovering patients and the staff's absences and extra shifts.

    The staff come with the absences read here, whether or not ``resources`` had them.
    """
    calendar = calendar_of(clinic)
    config = clinic_config(clinic)
    window = local_window(calendar, date_from, date_to)
    if resources is None:
        resources = resources_fetch(clinic, [session_type], room_id=room_id, absences=False)[
            session_type.id
        ]
    every_staff = {s.staff_id for s in resources.staff + resources.monitors + resources.prescribers}
    rows = _board_rows(
        clinic=clinic,
        seat_ids=resources.seat_ids,
        staff_ids=resources.staff_ids,
        absence_staff_ids=sorted(every_staff),
        patient=patient,
        window=window,
        exclude=list(exclude_appointment_ids),
    )
    staff = _with_absences(config, resources.staff, rows.absences)
    capacity_staff = Resources(
        [],
        [],
        [],
        monitors=_with_absences(config, resources.monitors, rows.absences),
        prescribers=_with_absences(config, resources.prescribers, rows.absences),
    )
    capacity = ClinicCapacity(
        recovering_per_monitor=clinic.recovering_per_monitor,
        recovering=SpanCounts.from_epoch(rows.recovering),
        monitors=SpanCounts(_working_spans(capacity_staff.monitors, calendar, window)),
        prescribers=SpanCounts(_working_spans(capacity_staff.prescribers, calendar, window)),
    )
    return Board(
        calendar=calendar,
        session_seats=resources.session_seats,
        recovery_seats=resources.recovery_seats,
        staff=staff,
        seat_busy={k: Timeline.from_epoch(v) for k, v in rows.seat_spans.items()},
        staff_busy={k: Timeline.from_epoch(v) for k, v in rows.staff_spans.items()},
        patient_busy=Timeline(rows.patient_spans),
        patient_dosing_days={calendar.local_date(t) for t in rows.patient_dosing_starts},
        capacity=capacity,
    )


def _working_spans(members: list[StaffRef], calendar: ClinicCalendar, window: Span) -> list[Span]:
    return [s for m in members for s in staff_working_spans(m, calendar, window)]


def local_date_of(clinic: Clinic, instant: datetime) -> date:
    return instant.astimezone(clinic.zone).date()

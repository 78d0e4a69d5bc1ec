"""A synthetic, deterministic clinic group for the benchmarks.

Three clinics (New York, Chicago, Los Angeles time), each with 10 rooms: three dosing rooms
(4 recliners, 3 recliners, 1 bed), a recovery lounge of 6 chairs and six therapy rooms;
nurses and therapists with working hours; cleared, REMS-enrolled patients; and N
appointments with their holds.

The small rows (clinics, rooms, seats, staff, users) come from the test factories; the
appointments and holds are written in bulk (executemany on SQLite, COPY on PostgreSQL).

How the calendar is filled: clinic by clinic and day by day, every seat and therapy room
asks for its next session at a time drawn from a fixed gap distribution, and a session is
placed only when its seat, its staff member (within working hours) and, for an IV infusion,
a lounge chair for the recovery are all free. Free-at times are tracked per seat, per
lounge chair and per staff member, so no two holds ever overlap on one seat or one staff
member (PostgreSQL's exclusion constraints would refuse them). Every clinic-day is filled
the same way whatever the size; a bigger size stretches the date span instead, so the
4-week window the benchmarks search is equally busy at every size.
"""

from __future__ import annotations

import heapq
import json
import math
import random
import time as clock
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.db import connection, transaction
from rest_framework.authtoken.models import Token

from backend.common.db import planner_statistics_refresh
from backend.common.roles import Role
from backend.plans.models import PlanTemplate
from backend.scheduling.booking.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    Hold,
    HoldKind,
    IdempotencyKey,
)
from backend.scheduling.feeds.models import FeedToken
from backend.scheduling.resources.choices import (
    RecoveryLocation,
    RoomKind,
    ScreeningStatus,
    SeatKind,
    StaffRole,
)
from backend.scheduling.resources.models import Clinic, Closure, OpeningHours, Patient, SessionType

from .config import DATASET_VERSION, SEED

MARKER_TABLE = "bench_dataset"
TEMPLATE_SLUG = "spravato-14"
FEED_PATIENT_EVENTS = 40

CLINICS = [
    ("Harborview Wellness (bench)", "bench-harborview", "America/New_York"),
    ("Lakeshore Ketamine Care (bench)", "bench-lakeshore", "America/Chicago"),
    ("Pacific Crest Clinic (bench)", "bench-pacific-crest", "America/Los_Angeles"),
]
# name, kind, seat kind, seats. Seats are offered in room-name order (first fit).
ROOMS = [
    ("Dosing A", RoomKind.DOSING, SeatKind.RECLINER, 4),
    ("Dosing B", RoomKind.DOSING, SeatKind.RECLINER, 3),
    ("Dosing C", RoomKind.DOSING, SeatKind.BED, 1),
    ("Recovery Lounge", RoomKind.RECOVERY, SeatKind.CHAIR, 6),
    *[(f"Therapy {i}", RoomKind.THERAPY, SeatKind.CHAIR, 1) for i in range(1, 7)],
]
# Monday-Friday 08:00-19:00, Saturday 09:00-14:00, Sunday closed (local wall time).
WEEKDAY_HOURS = (time(8, 0), time(19, 0))
SATURDAY_HOURS = (time(9, 0), time(14, 0))
EARLY, LATE, SAT = (time(8, 0), time(16, 0)), (time(11, 0), time(19, 0)), (time(9, 0), time(14, 0))
STAFF = [
    ("Avery Nurse", StaffRole.NURSE, EARLY, SAT),
    ("Blake Nurse", StaffRole.NURSE, EARLY, None),
    ("Casey Nurse", StaffRole.NURSE, LATE, None),
    ("Drew Nurse", StaffRole.NURSE, LATE, SAT),
    ("Emery Therapist", StaffRole.THERAPIST, EARLY, SAT),
    ("Finley Therapist", StaffRole.THERAPIST, EARLY, None),
    ("Gray Therapist", StaffRole.THERAPIST, EARLY, None),
    ("Harper Therapist", StaffRole.THERAPIST, EARLY, None),
    ("Indy Therapist", StaffRole.THERAPIST, LATE, SAT),
    ("Jules Therapist", StaffRole.THERAPIST, LATE, None),
    ("Kai Therapist", StaffRole.THERAPIST, LATE, None),
    ("Lee Prescriber", StaffRole.PRESCRIBER, EARLY, None),
]
# The session-type mix per seat kind (built-in slugs, weights).
MIX = {
    (RoomKind.DOSING, SeatKind.RECLINER): [
        ("spravato-session", 60),
        ("iv-infusion", 30),
        ("kap-dosing", 10),
    ],
    (RoomKind.DOSING, SeatKind.BED): [("kap-dosing", 60), ("spravato-session", 40)],
    (RoomKind.THERAPY, SeatKind.CHAIR): [("kap-preparation", 35), ("kap-integration", 65)],
}
# Minutes between one session leaving a seat and the next one starting (drawn uniformly),
# the opening delay of each seat, and the chance a seat stays empty all day.
GAPS = (0, 0, 0, 15, 15, 30, 30, 45, 60, 90)
FIRST_GAPS = (0, 0, 15, 30, 60, 120)
IDLE_DAY = 0.05
# Appointments per clinic per calendar day this fill produces (measured; used to size the
# date span: 100k is about two years).
DENSITY = 46.0
CANCELLED_SHARE = 0.07
NO_SHOW_SHARE = 0.03
APPOINTMENTS_PER_PATIENT = 25
BATCH = 20_000


# --- the marker: is the dataset in this database complete? --------------------------------


def marker_read() -> dict | None:
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        if MARKER_TABLE not in tables:
            return None
        cursor.execute(f"SELECT value FROM {MARKER_TABLE} WHERE name = 'dataset'")
        row = cursor.fetchone()
    return json.loads(row[0]) if row else None


def marker_write(info: dict) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (name varchar(40) PRIMARY KEY, value text)"
        )
        cursor.execute(f"DELETE FROM {MARKER_TABLE} WHERE name = 'dataset'")
        cursor.execute(
            f"INSERT INTO {MARKER_TABLE} (name, value) VALUES ('dataset', %s)", [json.dumps(info)]
        )


def marker_usable(info: dict | None, appointments: int, today: date) -> str | None:
    """Why the stored dataset cannot be reused (None if it can)."""
    if info is None:
        return "no dataset yet"
    if info.get("version") != DATASET_VERSION:
        return f"dataset version {info.get('version')} != {DATASET_VERSION}"
    if info.get("appointments") != appointments:
        return f"{info.get('appointments')} appointments, want {appointments}"
    built = date.fromisoformat(info["built_on"])
    if abs((today - built).days) > 14:
        return f"built on {built}, more than two weeks ago: the window it centres on moved"
    if Appointment.objects.filter(id__lte=info["watermarks"]["appointment"]).count() != (
        appointments
    ):
        return "appointment count does not match the marker"
    return None


# --- the run's own rows: remove everything created after the dataset ---------------------

WATERMARK_MODELS = {
    "appointment": Appointment,
    "hold": Hold,
    "event": AppointmentEvent,
    "patient": Patient,
    "feed_token": FeedToken,
    "idempotency": IdempotencyKey,
}


def watermarks_now() -> dict[str, int]:
    from backend.plans.models import TreatmentPlan

    result = {
        name: model.objects.order_by("-id").values_list("id", flat=True).first() or 0
        for name, model in WATERMARK_MODELS.items()
    }
    result["plan"] = TreatmentPlan.objects.order_by("-id").values_list("id", flat=True).first() or 0
    return result


def run_rows_delete(watermarks: dict[str, int]) -> dict[str, int]:
    """Delete every row a benchmark run added after the dataset was built (keeps it stable)."""
    from django_tasks_db.models import DBTaskResult

    from backend.plans.models import PlannedSession, TreatmentPlan

    removed = {}
    with transaction.atomic():
        plans = TreatmentPlan.objects.filter(id__gt=watermarks["plan"])
        PlannedSession.objects.filter(plan__in=plans).delete()
        removed["plans"] = plans.delete()[0]
        tokens = FeedToken.objects.filter(id__gt=watermarks["feed_token"])
        removed["feed_tokens"] = tokens.delete()[0]
        IdempotencyKey.objects.filter(id__gt=watermarks["idempotency"]).delete()
        new = Appointment.objects.filter(id__gt=watermarks["appointment"])
        Hold.objects.filter(appointment__in=new).delete()
        AppointmentEvent.objects.filter(appointment__in=new).delete()
        removed["appointments"] = new.delete()[0]
        # Events and holds a run added to dataset appointments (none expected).
        AppointmentEvent.objects.filter(id__gt=watermarks["event"]).delete()
        # The wake-ups its commits queued: no worker runs on a benchmark database, and a
        # queue that grew run after run would slow every later check of it.
        removed["tasks"] = DBTaskResult.objects.all().delete()[0]
        removed["patients"] = Patient.objects.filter(id__gt=watermarks["patient"]).delete()[0]
    return removed


# --- resources -------------------------------------------------------------------------


@dataclass
class SeatSlot:
    seat_id: int
    room_id: int
    mix: list[tuple[str, int]]


@dataclass
class StaffSlot:
    staff_id: int
    role: str
    shifts: dict[int, tuple[int, int]]  # weekday -> (start, end) in minutes of the day


@dataclass
class ClinicWorld:
    clinic: Clinic
    zone: ZoneInfo
    seats: list[SeatSlot]  # dosing seats and therapy chairs: where sessions happen
    lounge: list[int]
    staff: dict[str, list[StaffSlot]]
    closures: set[date]
    patients: list[int]


def _minutes(at: time) -> int:
    return at.hour * 60 + at.minute


def _closure_days(year_from: int, year_to: int) -> list[tuple[date, str]]:
    days = []
    for year in range(year_from, year_to + 1):
        days += [
            (date(year, 1, 1), "New Year's Day"),
            (date(year, 7, 4), "Independence Day"),
            (date(year, 12, 25), "Christmas Day"),
        ]
    return days


def users_create() -> dict[str, User]:
    from tests.factories import UserFactory

    users = {
        "frontdesk": UserFactory(username="bench-frontdesk", password="!", roles=[Role.FRONT_DESK]),
        "manager": UserFactory(username="bench-manager", password="!", roles=[Role.MANAGER]),
    }
    for i in range(8):
        users[f"load{i}"] = UserFactory(
            username=f"bench-load-{i}", password="!", roles=[Role.FRONT_DESK]
        )
    for user in users.values():
        Token.objects.get_or_create(user=user)
    return users


def template_create() -> PlanTemplate:
    """spravato-trd with a 4-week maintenance horizon: 8 + 4 + 2 = 14 sessions."""
    source = PlanTemplate.objects.get(clinic=None, slug="spravato-trd")
    template = PlanTemplate.objects.create(
        clinic=None,
        slug=TEMPLATE_SLUG,
        name="Esketamine course, 14 sessions (benchmark)",
        description="spravato-trd with a 4-week maintenance horizon: 8 + 4 + 2 sessions.",
    )
    for phase in source.phases.order_by("position"):
        phase.pk = None
        phase.template = template
        if phase.count is None and not phase.follows:
            phase.horizon_weeks = 4
        phase.save()
    return template


def clinics_create(span: tuple[date, date]) -> list[ClinicWorld]:
    from tests.factories import (
        ClinicFactory,
        RoomFactory,
        SeatFactory,
        StaffFactory,
        WorkingHoursFactory,
    )

    builtin = {st.slug: st for st in SessionType.objects.filter(clinic=None)}
    worlds = []
    for name, slug, tz in CLINICS:
        clinic = ClinicFactory(name=name, slug=slug, timezone=tz, phone="+1 555 0100")
        OpeningHours.objects.bulk_create(
            [
                OpeningHours(
                    clinic=clinic, weekday=d, opens=WEEKDAY_HOURS[0], closes=WEEKDAY_HOURS[1]
                )
                for d in range(5)
            ]
            + [
                OpeningHours(
                    clinic=clinic, weekday=5, opens=SATURDAY_HOURS[0], closes=SATURDAY_HOURS[1]
                )
            ]
        )
        closures = _closure_days(span[0].year, span[1].year)
        Closure.objects.bulk_create(
            Closure(clinic=clinic, start_date=day, end_date=day, reason=reason)
            for day, reason in closures
        )
        seats, lounge = [], []
        for room_name, kind, seat_kind, count in ROOMS:
            room = RoomFactory(clinic=clinic, name=room_name, kind=kind)
            for i in range(1, count + 1):
                seat = SeatFactory(room=room, name=f"{seat_kind.label} {i}", kind=seat_kind)
                if kind == RoomKind.RECOVERY:
                    lounge.append(seat.id)
                else:
                    mix = MIX[(kind, seat_kind)]
                    seats.append(SeatSlot(seat.id, room.id, mix))
        staff: dict[str, list[StaffSlot]] = {}
        for staff_name, role, weekdays, saturday in STAFF:
            member = StaffFactory(
                clinic=clinic,
                name=staff_name,
                role=role,
                email=f"{staff_name.split()[0].lower()}.{slug}@example.org",
            )
            shifts = dict.fromkeys(range(5), weekdays)
            if saturday:
                shifts[5] = saturday
            for weekday, (starts, ends) in shifts.items():
                WorkingHoursFactory(staff=member, weekday=weekday, starts=starts, ends=ends)
            staff.setdefault(role, []).append(
                StaffSlot(
                    member.id,
                    role,
                    {d: (_minutes(a), _minutes(b)) for d, (a, b) in shifts.items()},
                )
            )
        worlds.append(
            ClinicWorld(
                clinic=clinic,
                zone=ZoneInfo(tz),
                seats=seats,
                lounge=lounge,
                staff=staff,
                closures={day for day, _ in closures},
                patients=[],
            )
        )
    # Sanity: the built-ins the mix names exist.
    for mix in MIX.values():
        for slug, _ in mix:
            if slug not in builtin:
                raise RuntimeError(f"Built-in session type {slug!r} is missing.")
    return worlds


def patients_create(worlds: list[ClinicWorld], count: int, rng: random.Random) -> int:
    """Cleared, REMS-enrolled patients, spread evenly over the clinics; returns the feed
    patient's id (the first patient of the first clinic)."""
    per_clinic = max(60, count // len(worlds))
    for world in worlds:
        rows = [
            Patient(
                clinic=world.clinic,
                first_name=f"Pat{i}",
                last_name=f"Bench{world.clinic.id}x{i}",
                date_of_birth=date(
                    1960 + rng.randrange(45), 1 + rng.randrange(12), 1 + rng.randrange(28)
                ),
                email=f"pat{i}.c{world.clinic.id}@example.org",
                phone="+1 555 0101",
                escort_name="Sam Escort",
                escort_phone="+1 555 0199",
                screening_status=ScreeningStatus.CLEARED,
                screening_date=date(2024, 1, 8),
                rems_enrolled_on=date(2024, 1, 9),
            )
            for i in range(per_clinic)
        ]
        created = []
        for start in range(0, len(rows), 5_000):
            created += Patient.objects.bulk_create(rows[start : start + 5_000])
        world.patients = [p.id for p in created]
    return worlds[0].patients[0]


# --- bulk writing ------------------------------------------------------------------------


class TableWriter:
    """Rows for one table in the model's column order; columns not given get the field's
    default, prepared once (so a column added later with a default needs no change here)."""

    def __init__(self, model, given: list[str]):
        fields = [
            f for f in model._meta.concrete_fields if not (f.primary_key and "id" not in given)
        ]
        self.table = model._meta.db_table
        self.columns = [f.column for f in fields]
        attnames = [f.attname for f in fields]
        missing = [name for name in given if name not in attnames]
        if missing:
            raise RuntimeError(f"{model.__name__} has no fields {missing}")
        self.template = []
        for f in fields:
            if f.attname in given:
                self.template.append(None)
            else:
                default = f.get_default()
                if default is None and not f.null:
                    _required(model, f)
                self.template.append(f.get_db_prep_save(default, connection))
        self.positions = [attnames.index(name) for name in given]
        self.rows: list[list] = []

    def add(self, values) -> None:
        row = self.template.copy()
        for position, value in zip(self.positions, values, strict=True):
            row[position] = value
        self.rows.append(row)

    def flush(self) -> None:
        if not self.rows:
            return
        raw = connection.connection
        if connection.vendor == "postgresql":
            columns = ", ".join(f'"{c}"' for c in self.columns)
            sql = f'COPY "{self.table}" ({columns}) FROM STDIN'
            with raw.cursor() as cursor, cursor.copy(sql) as copy:
                for row in self.rows:
                    copy.write_row(row)
        else:
            columns = ", ".join(f'"{c}"' for c in self.columns)
            marks = ", ".join("?" for _ in self.columns)
            raw.cursor().executemany(
                f'INSERT INTO "{self.table}" ({columns}) VALUES ({marks})', self.rows
            )
        self.rows = []


def _required(model, field):
    raise RuntimeError(
        f"{model.__name__}.{field.name} has no default: teach bench/dataset.py to fill it."
    )


# --- filling the calendar ----------------------------------------------------------------


@dataclass(frozen=True)
class TypeInfo:
    id: int
    slug: str
    in_room: int
    recovery: int
    same_seat: bool
    role: str
    escort: bool


@dataclass(frozen=True)
class Booked:
    start: int  # minutes of the local day
    seat: SeatSlot
    kind: TypeInfo
    staff_id: int | None
    lounge_seat: int | None


def day_fill(world: ClinicWorld, day: date, types: dict[str, TypeInfo], rng: random.Random):
    """The sessions of one clinic-day, in start order, with no overlap on any resource."""
    weekday = day.weekday()
    if weekday == 6 or day in world.closures:
        return []
    opens, closes = SATURDAY_HOURS if weekday == 5 else WEEKDAY_HOURS
    open_m, close_m = _minutes(opens), _minutes(closes)
    queue: list[tuple[int, int, SeatSlot, TypeInfo | None]] = []
    for n, seat in enumerate(world.seats):
        if rng.random() < IDLE_DAY:
            continue
        queue.append((open_m + rng.choice(FIRST_GAPS), n, seat, None))
    heapq.heapify(queue)
    staff_free: dict[int, int] = {}
    lounge_free = [open_m] * len(world.lounge)
    booked: list[Booked] = []
    tick = len(world.seats)
    while queue:
        start, _, seat, kind = heapq.heappop(queue)
        if kind is None:
            kind = types[_weighted(seat.mix, rng)]
        total = kind.in_room + kind.recovery
        if start + total > close_m:
            continue
        end = start + kind.in_room
        staff_id = None
        if kind.role:
            free = [
                member
                for member in world.staff.get(kind.role, ())
                if weekday in member.shifts
                and member.shifts[weekday][0] <= start
                and end <= member.shifts[weekday][1]
                and staff_free.get(member.staff_id, 0) <= start
            ]
            if not free:
                tick += 1
                heapq.heappush(queue, (start + 15, tick, seat, kind))
                continue
            staff_id = rng.choice(free).staff_id
        lounge_seat = None
        if kind.recovery and not kind.same_seat:
            index = next((i for i, t in enumerate(lounge_free) if t <= end), None)
            if index is None:
                tick += 1
                heapq.heappush(queue, (start + 15, tick, seat, kind))
                continue
            lounge_free[index] = end + kind.recovery
            lounge_seat = world.lounge[index]
        if staff_id is not None:
            staff_free[staff_id] = end
        booked.append(Booked(start, seat, kind, staff_id, lounge_seat))
        seat_free = start + (total if kind.same_seat else kind.in_room)
        tick += 1
        heapq.heappush(queue, (seat_free + rng.choice(GAPS), tick, seat, None))
    booked.sort(key=lambda b: (b.start, b.seat.seat_id))
    return booked


def _weighted(mix: list[tuple[str, int]], rng: random.Random) -> str:
    total = sum(w for _, w in mix)
    pick = rng.random() * total
    for slug, weight in mix:
        pick -= weight
        if pick < 0:
            return slug
    return mix[-1][0]


def span_for(appointments: int, today: date) -> tuple[date, date]:
    """Dates the dataset covers: constant density, centred on today, and always reaching
    six weeks ahead so the 4-week window searched is full at every size."""
    days = max(1, math.ceil(appointments / (len(CLINICS) * DENSITY)))
    future = max(days // 2, min(days, 42))
    start = today - timedelta(days=days - future)
    return start, start + timedelta(days=days - 1)


def _feed_days(world: ClinicWorld, span: tuple[date, date], today: date) -> set[date]:
    """FEED_PATIENT_EVENTS open days spread over the part of the span a feed shows
    (90 days back, a year ahead)."""
    first = max(span[0], today - timedelta(days=85))
    last = min(span[1], today + timedelta(days=360))
    days = []
    day = first
    while day <= last:
        if day.weekday() < 5 and day not in world.closures:
            days.append(day)
        day += timedelta(days=1)
    if len(days) <= FEED_PATIENT_EVENTS:
        return set(days)
    step = len(days) / FEED_PATIENT_EVENTS
    return {days[int(i * step)] for i in range(FEED_PATIENT_EVENTS)}


def _utc_naive(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=zone)
    return local.astimezone(UTC).replace(tzinfo=None)


def build(appointments: int, *, now: datetime, log=print) -> dict:
    """Create the whole dataset in an empty (migrated) database; returns the marker info."""
    started = clock.perf_counter()
    rng = random.Random(SEED)
    today = now.astimezone(ZoneInfo(CLINICS[0][2])).date()
    span = span_for(appointments, today)
    with transaction.atomic():
        users_create()
        template_create()
        worlds = clinics_create((span[0] - timedelta(days=400), span[1] + timedelta(days=400)))
        feed_patient = patients_create(worlds, appointments // APPOINTMENTS_PER_PATIENT, rng)
    types = {
        st.slug: TypeInfo(
            id=st.id,
            slug=st.slug,
            in_room=st.in_room_minutes,
            recovery=st.recovery_minutes,
            same_seat=st.recovery_location == RecoveryLocation.SAME_SEAT,
            role=st.staff_role,
            escort=st.escort_required,
        )
        for st in SessionType.objects.filter(clinic=None)
    }
    feed_days = _feed_days(worlds[0], span, today)
    postgres = connection.vendor == "postgresql"
    now_naive = now.astimezone(UTC).replace(tzinfo=None)

    def stamp(value: datetime | None):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if postgres else str(value)

    appointment_writer = TableWriter(
        Appointment,
        [
            "id", "clinic_id", "patient_id", "session_type_id", "room_id", "seat_id", "staff_id",
            "start", "end", "recovery_end", "status", "sequence", "escort_name", "escort_phone",
            "checked_in_at", "session_started_at", "recovery_started_at", "discharged_at",
            "no_show_at", "cancel_reason", "cancelled_at", "created_at", "updated_at",
        ],
    )  # fmt: skip
    hold_writer = TableWriter(
        Hold, ["id", "appointment_id", "kind", "seat_id", "staff_id", "start", "end", "active"]
    )
    appointment_id = Appointment.objects.order_by("-id").values_list("id", flat=True).first() or 0
    hold_id = Hold.objects.order_by("-id").values_list("id", flat=True).first() or 0
    first_id = appointment_id + 1
    counts = dict.fromkeys(AppointmentStatus.values, 0)
    feed_events = 0
    written = 0
    day = span[0]
    while written < appointments:
        for index, world in enumerate(worlds):
            sessions = day_fill(world, day, types, rng)
            used_today: set[int] = set()
            # Opening hours are far from the 02:00 DST change: one offset holds all day.
            open_m = _minutes((SATURDAY_HOURS if day.weekday() == 5 else WEEKDAY_HOURS)[0])
            opens = _utc_naive(day, open_m, world.zone)
            pool = world.patients[1:] if index == 0 else world.patients
            for n, session in enumerate(sessions):
                if written >= appointments:
                    break
                kind = session.kind
                if index == 0 and n == 0 and day in feed_days:
                    patient = feed_patient
                    feed_events += 1
                else:
                    patient = rng.choice(pool)
                    for _ in range(3):
                        if patient not in used_today:
                            break
                        patient = rng.choice(pool)
                used_today.add(patient)
                start = opens + timedelta(minutes=session.start - open_m)
                end = start + timedelta(minutes=kind.in_room)
                recovery_end = end + timedelta(minutes=kind.recovery)
                created = min(start - timedelta(days=1 + rng.randrange(30)), now_naive)
                roll = rng.random()
                checked_in = started_at = recovery_started = discharged = no_show = None
                cancelled_at, cancel_reason, sequence, updated = None, "", 0, created
                if roll < CANCELLED_SHARE:
                    status = AppointmentStatus.CANCELLED
                    cancelled_at = min(start - timedelta(hours=2 + rng.randrange(150)), now_naive)
                    cancelled_at = max(cancelled_at, created)
                    cancel_reason, sequence, updated = "Patient request", 1, cancelled_at
                elif recovery_end <= now_naive:
                    if roll < CANCELLED_SHARE + NO_SHOW_SHARE:
                        status = AppointmentStatus.NO_SHOW
                        no_show = updated = start + timedelta(minutes=30)
                    else:
                        status = AppointmentStatus.DISCHARGED
                        checked_in = start - timedelta(minutes=10)
                        started_at = start
                        recovery_started = end if kind.recovery else None
                        discharged = updated = recovery_end
                else:
                    status = AppointmentStatus.BOOKED
                counts[status] += 1
                active = status in ACTIVE_STATUSES
                appointment_id += 1
                appointment_writer.add(
                    (
                        appointment_id, world.clinic.id, patient, kind.id, session.seat.room_id,
                        session.seat.seat_id, session.staff_id, stamp(start), stamp(end),
                        stamp(recovery_end), status.value, sequence,
                        "Sam Escort" if kind.escort else "", "+1 555 0199" if kind.escort else "",
                        stamp(checked_in), stamp(started_at), stamp(recovery_started),
                        stamp(discharged), stamp(no_show), cancel_reason, stamp(cancelled_at),
                        stamp(created), stamp(updated),
                    )
                )  # fmt: skip
                hold_id += 1
                hold_writer.add(
                    (hold_id, appointment_id, HoldKind.SESSION.value, session.seat.seat_id, None,
                     stamp(start), stamp(end), active)
                )  # fmt: skip
                if kind.recovery:
                    hold_id += 1
                    recovery_seat = session.lounge_seat or session.seat.seat_id
                    hold_writer.add(
                        (hold_id, appointment_id, HoldKind.RECOVERY.value, recovery_seat, None,
                         stamp(end), stamp(recovery_end), active)
                    )  # fmt: skip
                if session.staff_id is not None:
                    hold_id += 1
                    hold_writer.add(
                        (hold_id, appointment_id, HoldKind.STAFF.value, None, session.staff_id,
                         stamp(start), stamp(end), active)
                    )  # fmt: skip
                written += 1
        day += timedelta(days=1)
        if len(appointment_writer.rows) >= BATCH or written >= appointments:
            with transaction.atomic():
                appointment_writer.flush()
                hold_writer.flush()
            log(f"  {written:>9,} appointments written (up to {day})", flush=True)
    last_day = day - timedelta(days=1)
    _after_load()
    info = {
        "version": DATASET_VERSION,
        "seed": SEED,
        "appointments": appointments,
        "built_on": today.isoformat(),
        "first_day": span[0].isoformat(),
        "last_day": last_day.isoformat(),
        "days": (last_day - span[0]).days + 1,
        "first_appointment_id": first_id,
        "statuses": counts,
        "feed_patient": feed_patient,
        "feed_patient_events": feed_events,
        "clinics": [w.clinic.id for w in worlds],
        "build_seconds": round(clock.perf_counter() - started, 1),
    }
    info["watermarks"] = watermarks_now()
    marker_write(info)
    return info


def _after_load() -> None:
    """Make the planner see the new rows, as a live database would."""
    if connection.vendor == "postgresql":
        for model in (Appointment, Hold):
            table = model._meta.db_table
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        # What the worker's hourly statistics task gives a live SQLite database.
        planner_statistics_refresh()
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def iter_open_days(world_clinic: Clinic, first: date, count: int) -> Iterator[date]:
    """Open days (Mon-Sat, no closure) from ``first`` on, ``count`` of them."""
    closures = set(Closure.objects.filter(clinic=world_clinic).values_list("start_date", flat=True))
    day, found = first, 0
    while found < count:
        if day.weekday() != 6 and day not in closures:
            yield day
            found += 1
        day += timedelta(days=1)

"""Fetch for the FHIR view: scoped querysets in, the plain facts of ``resources`` out.

Every read starts from ``Model.objects.for_user(user)``, so another clinic's row does not
exist here: a read answers ``NotFound`` and a search leaves it out. A search loads one page
in a fixed number of queries (a count, the page, at most one prefetch), whatever the page
holds. Searches raise ``params.SearchError`` for a parameter they cannot answer.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, Q, QuerySet

from backend.common.errors import Forbidden, NotFound
from backend.common.roles import MANAGER_ONLY
from backend.common.scoping import access_of
from backend.interop.fhir import params as p
from backend.interop.fhir import resources as r
from backend.plans.models import PlannedSession, PlanPhase, PlanTemplate, TreatmentPlan
from backend.scheduling.booking.models import Appointment
from backend.scheduling.booking.search import availability_search
from backend.scheduling.resources.choices import RoomKind
from backend.scheduling.resources.models import Clinic, Patient, Room, SessionType, Staff

Params = Mapping[str, Sequence[str]]

# Slot searches compute availability: the window they may span, and the one they take
# when the query names no end.
SLOT_WINDOW_MAX = timedelta(days=31)
SLOT_WINDOW_DEFAULT = timedelta(days=7)


@dataclass(frozen=True)
class Found:
    """One page of a search: the facts on it and how many match in all."""

    total: int
    items: list[Any] = field(default_factory=list)


def _page(queryset: QuerySet, paging: p.Paging, facts) -> Found:
    total = queryset.count()
    if not paging.count or paging.offset >= total:
        return Found(total)
    rows = list(queryset[paging.offset : paging.offset + paging.count])
    return Found(total, [facts(row) for row in rows])


def _one(queryset: QuerySet, ident: str, kind: str):
    row = queryset.filter(pk=int(ident)).first() if p.is_key(ident) else None
    if row is None:
        raise NotFound(f"{kind}/{ident} is not known.")
    return row


def _ids(params: Params, queryset: QuerySet) -> QuerySet:
    if "_id" in params:
        queryset = queryset.filter(pk__in=p.int_ids(p.id_tokens("_id", params["_id"])))
    return queryset


def _name_starts(params: Params, queryset: QuerySet, *fields: str) -> QuerySet:
    """FHIR string search: the value starts the field, or one of its words."""
    for value in params.get("name", []):
        match = Q()
        for name in fields:
            match |= Q(**{f"{name}__istartswith": value}) | Q(**{f"{name}__icontains": f" {value}"})
        queryset = queryset.filter(match)
    return queryset


def _service(session_type: SessionType) -> r.ServiceRef:
    return r.ServiceRef(session_type.id, session_type.name)


# --- Patient ----------------------------------------------------------------------------


def patient_facts(row: Patient) -> r.PatientFacts:
    return r.PatientFacts(
        id=row.id,
        clinic_id=row.clinic_id,
        first_name=row.first_name,
        last_name=row.last_name,
        birth_date=row.date_of_birth,
        email=row.email,
        phone=row.phone,
        active=row.active,
        updated_at=row.updated_at,
    )


def patient_read(*, user, ident: str) -> r.PatientFacts:
    return patient_facts(_one(Patient.objects.for_user(user), ident, "Patient"))


# --- Practitioner, Location, HealthcareService ------------------------------------------

PRACTITIONER_PARAMS = frozenset({"_id", "name", "active"})
LOCATION_PARAMS = frozenset({"_id", "name", "status"})
HEALTHCARE_SERVICE_PARAMS = frozenset({"_id", "name", "active"})


def practitioner_facts(row: Staff) -> r.PractitionerFacts:
    return r.PractitionerFacts(id=row.id, name=row.name, email=row.email, active=row.active)


def _staff(user) -> QuerySet:
    return Staff.objects.for_user(user).order_by("id")


def practitioner_read(*, user, ident: str) -> r.PractitionerFacts:
    return practitioner_facts(_one(_staff(user), ident, "Practitioner"))


def practitioner_search(*, user, params: Params, paging: p.Paging) -> Found:
    p.first_unknown(params, PRACTITIONER_PARAMS)
    queryset = _name_starts(params, _ids(params, _staff(user)), "name")
    if "active" in params:
        queryset = queryset.filter(active=p.booleans("active", params["active"]))
    return _page(queryset, paging, practitioner_facts)


def location_facts(row: Room) -> r.LocationFacts:
    return r.LocationFacts(
        id=row.id,
        name=row.name,
        kind=row.kind,
        kind_display=row.get_kind_display(),
        active=row.active,
        clinic_name=row.clinic.name,
        address=row.clinic.address,
    )


def _rooms(user) -> QuerySet:
    return Room.objects.for_user(user).select_related("clinic").order_by("id")


def location_read(*, user, ident: str) -> r.LocationFacts:
    return location_facts(_one(_rooms(user), ident, "Location"))


def location_search(*, user, params: Params, paging: p.Paging) -> Found:
    p.first_unknown(params, LOCATION_PARAMS)
    queryset = _name_starts(params, _ids(params, _rooms(user)), "name")
    if "status" in params:
        codes = p.tokens("status", params["status"], {"active", "inactive", "suspended"})
        wanted = {code == "active" for code in codes if code != "suspended"}
        queryset = queryset.filter(active__in=wanted)
    return _page(queryset, paging, location_facts)


def healthcare_service_facts(row: SessionType) -> r.HealthcareServiceFacts:
    return r.HealthcareServiceFacts(
        id=row.id,
        name=row.name,
        active=row.active,
        in_room_minutes=row.in_room_minutes,
        recovery_minutes=row.recovery_minutes,
        builtin=row.clinic_id is None,
    )


def _session_types(user) -> QuerySet:
    return SessionType.objects.for_user(user).order_by("id")


def healthcare_service_read(*, user, ident: str) -> r.HealthcareServiceFacts:
    return healthcare_service_facts(_one(_session_types(user), ident, "HealthcareService"))


def healthcare_service_search(*, user, params: Params, paging: p.Paging) -> Found:
    p.first_unknown(params, HEALTHCARE_SERVICE_PARAMS)
    queryset = _name_starts(params, _ids(params, _session_types(user)), "name")
    if "active" in params:
        queryset = queryset.filter(active=p.booleans("active", params["active"]))
    return _page(queryset, paging, healthcare_service_facts)


# --- Schedule ---------------------------------------------------------------------------

SCHEDULE_PARAMS = frozenset({"_id", "actor", "active"})


@dataclass(frozen=True)
class Hosting:
    """Which session types each room and staff member can host, for a set of clinics.

    The rule availability search applies: a room hosts the active types of its kind (its
    clinic's own and the built-in ones) unless a type is limited to other rooms of this
    clinic; a staff member hosts the types that need their role.
    """

    session_types: tuple[SessionType, ...] = ()
    limited: Mapping[tuple[int, int], frozenset[int]] = field(default_factory=dict)

    @classmethod
    def load(cls, clinic_ids: Iterable[int]) -> "Hosting":
        clinic_ids = set(clinic_ids)
        if not clinic_ids:
            return cls()
        types = tuple(
            SessionType.objects.filter(
                Q(clinic_id__in=clinic_ids) | Q(clinic__isnull=True), active=True
            ).order_by("name", "id")
        )
        limited: dict[tuple[int, int], set[int]] = defaultdict(set)
        rows = SessionType.rooms.through.objects.filter(
            sessiontype_id__in=[t.id for t in types], room__clinic_id__in=clinic_ids
        ).values_list("sessiontype_id", "room__clinic_id", "room_id")
        for type_id, clinic_id, room_id in rows:
            limited[(type_id, clinic_id)].add(room_id)
        return cls(types, {key: frozenset(ids) for key, ids in limited.items()})

    def _own(self, session_type: SessionType, clinic_id: int) -> bool:
        return session_type.clinic_id in (None, clinic_id)

    def for_room(self, room: Room) -> list[SessionType]:
        return [
            t
            for t in self.session_types
            if self._own(t, room.clinic_id)
            and t.room_kind == room.kind
            and room.id in self.limited.get((t.id, room.clinic_id), {room.id})
        ]

    def for_staff(self, staff: Staff) -> list[SessionType]:
        return [
            t
            for t in self.session_types
            if self._own(t, staff.clinic_id) and t.staff_role and t.staff_role == staff.role
        ]


def room_schedule_facts(row: Room, hosting: Hosting) -> r.ScheduleFacts:
    services = tuple(_service(t) for t in hosting.for_room(row))
    return r.ScheduleFacts(r.ROOM_SCHEDULE, row.id, row.name, row.active, services)


def staff_schedule_facts(row: Staff, hosting: Hosting) -> r.ScheduleFacts:
    services = tuple(_service(t) for t in hosting.for_staff(row))
    return r.ScheduleFacts(r.STAFF_SCHEDULE, row.id, row.name, row.active, services)


def _schedule_rooms(user) -> QuerySet:
    return Room.objects.for_user(user).exclude(kind=RoomKind.RECOVERY).order_by("id")


def schedule_read(*, user, ident: str) -> r.ScheduleFacts:
    key = r.schedule_key(ident)
    if key is None:
        raise NotFound(f"Schedule/{ident} is not known.")
    kind, actor_id = key
    if kind == r.ROOM_SCHEDULE:
        room = _one(_schedule_rooms(user), str(actor_id), "Schedule")
        return room_schedule_facts(room, Hosting.load([room.clinic_id]))
    staff = _one(_staff(user), str(actor_id), "Schedule")
    return staff_schedule_facts(staff, Hosting.load([staff.clinic_id]))


def schedule_search(*, user, params: Params, paging: p.Paging) -> Found:
    """Room schedules, then staff schedules, paged as one list."""
    p.first_unknown(params, SCHEDULE_PARAMS)
    rooms, staff = _schedule_rooms(user), _staff(user)
    if "_id" in params:
        named = p.id_tokens("_id", params["_id"])
        keys = [key for key in map(r.schedule_key, named) if key is not None]
        rooms = rooms.filter(pk__in=[i for kind, i in keys if kind == r.ROOM_SCHEDULE])
        staff = staff.filter(pk__in=[i for kind, i in keys if kind == r.STAFF_SCHEDULE])
    if "actor" in params:
        named = p.reference_ids("actor", params["actor"], "Location", "Practitioner")
        rooms = rooms.filter(pk__in=p.int_ids(named.get("Location", set())))
        staff = staff.filter(pk__in=p.int_ids(named.get("Practitioner", set())))
    if "active" in params:
        active = p.booleans("active", params["active"])
        rooms, staff = rooms.filter(active=active), staff.filter(active=active)
    room_total, staff_total = rooms.count(), staff.count()
    start, end = paging.offset, paging.offset + paging.count
    room_rows = list(rooms[start:end]) if start < room_total and paging.count else []
    staff_start, staff_end = max(start - room_total, 0), max(end - room_total, 0)
    staff_rows = list(staff[staff_start:staff_end]) if staff_end > staff_start else []
    hosting = Hosting.load({row.clinic_id for row in [*room_rows, *staff_rows]})
    items = [room_schedule_facts(row, hosting) for row in room_rows]
    items += [staff_schedule_facts(row, hosting) for row in staff_rows]
    return Found(room_total + staff_total, items)


# --- Slot -------------------------------------------------------------------------------

SLOT_PARAMS = frozenset({"schedule", "start", "status", "service-type"})


def slot_search(*, user, params: Params, paging: p.Paging, now: datetime) -> Found:
    """Free starts on one schedule: the availability search of each session type it hosts."""
    p.first_unknown(params, SLOT_PARAMS)
    if not params.get("schedule"):
        raise p.SearchError("schedule", "A Slot search names its schedule.")
    named = p.reference_ids("schedule", params["schedule"], "Schedule").get("Schedule", set())
    if len(named) > 1:
        raise p.SearchError("schedule", "A Slot search names one schedule.")
    codes = p.tokens("status", params.get("status", []), r.SLOT_STATUS_CODES)
    wanted_types = _service_type_ids(params.get("service-type", []))
    clauses = p.date_clauses("start", params.get("start", []))
    key = r.schedule_key(next(iter(named))) if named else None
    actor = _schedule_actor(user, key) if key else None
    if actor is None or "free" not in codes:
        return Found(0)
    zone = actor.clinic.zone
    window = _slot_window(p.window_of(clauses, zone), now)
    if window.is_empty:
        return Found(0)
    hosting = Hosting.load([actor.clinic_id])
    is_room = isinstance(actor, Room)
    session_types = hosting.for_room(actor) if is_room else hosting.for_staff(actor)
    schedule_ident = r.schedule_id(r.ROOM_SCHEDULE if is_room else r.STAFF_SCHEDULE, actor.id)
    slots = []
    for session_type in session_types:
        if wanted_types is not None and session_type.id not in wanted_types:
            continue
        result = availability_search(
            session_type=session_type,
            date_from=window.start.astimezone(zone).date(),
            date_to=(window.end - timedelta(microseconds=1)).astimezone(zone).date(),
            now=now,
            clinic_id=actor.clinic_id,
            room=actor if is_room else None,
            staff=None if is_room else actor,
        )
        slots += [
            r.SlotFacts(
                schedule_ident,
                _service(session_type),
                found.start.astimezone(zone),
                found.recovery_end.astimezone(zone),
            )
            for found in result.slots
            if window.contains(found.start)
        ]
    slots.sort(key=lambda s: (s.start, s.service.id))
    return Found(len(slots), slots[paging.offset : paging.offset + paging.count])


def slot_read(*, user, ident: str, now: datetime) -> r.SlotFacts:
    """A Slot by its id, while it is still free (a taken or past start is a 404)."""
    key = r.slot_key(ident)
    found = Found(0)
    if key is not None:
        schedule, service_id, start = key
        query = {
            "schedule": [schedule],
            "service-type": [str(service_id)],
            "start": [f"eq{start.isoformat()}"],
        }
        found = slot_search(user=user, params=query, paging=p.Paging(1, 1), now=now)
    if not found.items:
        raise NotFound(f"Slot/{ident} is not known or no longer free.")
    return found.items[0]


def _service_type_ids(values: Sequence[str]) -> set[int] | None:
    if not values:
        return None
    chosen: set[int] | None = None
    for raw in values:
        ids = set()
        for code in (c for c in raw.split(",") if c):
            system, _, ident = code.rpartition("|")
            if system not in ("", r.SERVICE_SYSTEM):
                raise p.SearchError("service-type", f"'service-type': unknown system {system}.")
            ids |= p.int_ids([ident])
        chosen = ids if chosen is None else chosen & ids
    return chosen


def _schedule_actor(user, key: tuple[str, int]) -> Room | Staff | None:
    kind, actor_id = key
    if kind == r.ROOM_SCHEDULE:
        return _schedule_rooms(user).select_related("clinic").filter(pk=actor_id).first()
    return _staff(user).select_related("clinic").filter(pk=actor_id).first()


def _slot_window(window: p.Window, now: datetime) -> p.Window:
    start = max(window.start or now, now)
    end = window.end or start + SLOT_WINDOW_DEFAULT
    if end - start > SLOT_WINDOW_MAX:
        raise p.SearchError(
            "start", f"A Slot search spans at most {SLOT_WINDOW_MAX.days} days: narrow 'start'."
        )
    return p.Window(start, end)


# --- Appointment ------------------------------------------------------------------------

APPOINTMENT_PARAMS = frozenset({"_id", "patient", "date", "status", "practitioner", "location"})


def appointment_facts(row: Appointment) -> r.AppointmentFacts:
    zone = row.clinic.zone
    return r.AppointmentFacts(
        id=row.id,
        clinic_id=row.clinic_id,
        status=row.status,
        start=row.start.astimezone(zone),
        end=row.recovery_end.astimezone(zone),
        service=_service(row.session_type),
        patient_id=row.patient_id,
        room_id=row.room_id,
        room_name=row.room.name if row.room else "Video visit",
        seat_label=f"{row.room.name} / {row.seat.name}" if row.seat else "Video visit",
        staff_id=row.staff_id,
        staff_name=row.staff.name if row.staff else "",
        plan_id=row.plan_id,
        created=row.created_at.astimezone(zone),
        updated_at=row.updated_at.astimezone(zone),
    )


def _appointments(user) -> QuerySet:
    return (
        Appointment.objects.for_user(user)
        .select_related("clinic", "session_type", "room", "seat", "staff")
        .order_by("start", "id")
    )


def appointment_read(*, user, ident: str) -> r.AppointmentFacts:
    return appointment_facts(_one(_appointments(user), ident, "Appointment"))


def appointment_search(*, user, params: Params, paging: p.Paging) -> Found:
    p.first_unknown(params, APPOINTMENT_PARAMS)
    queryset = _ids(params, _appointments(user))
    for param, kind, column in (
        ("patient", "Patient", "patient_id"),
        ("practitioner", "Practitioner", "staff_id"),
        ("location", "Location", "room_id"),
    ):
        if param in params:
            ids = p.reference_ids(param, params[param], kind).get(kind, set())
            queryset = queryset.filter(**{f"{column}__in": p.int_ids(ids)})
    if "status" in params:
        codes = p.tokens("status", params["status"], r.APPOINTMENT_STATUS_CODES)
        queryset = queryset.filter(status__in=r.statuses_for(codes, r.APPOINTMENT_STATUS))
    if "date" in params:
        clauses = p.date_clauses("date", params["date"])
        queryset = queryset.filter(_in_window(user, clauses, "start", "clinic_id"))
    return _page(queryset, paging, appointment_facts)


def _window_q(window: p.Window, column: str) -> Q:
    q = Q()
    if window.start is not None:
        q &= Q(**{f"{column}__gte": window.start})
    if window.end is not None:
        q &= Q(**{f"{column}__lt": window.end})
    return q


def _in_window(user, clauses: Sequence[p.DateClause], column: str, clinic_column: str) -> Q:
    """Rows whose ``column`` lies within ``clauses``; plain dates are each clinic's own."""
    if all(c.instant is not None for c in clauses):
        return _window_q(p.window_of(clauses, ZoneInfo("UTC")), column)
    by_zone: dict[str, list[int]] = defaultdict(list)
    for clinic_id, zone in Clinic.objects.for_user(user).values_list("id", "timezone"):
        by_zone[zone].append(clinic_id)
    match = Q(pk__in=[])
    for zone, clinic_ids in by_zone.items():
        window = p.window_of(clauses, ZoneInfo(zone))
        match |= Q(**{f"{clinic_column}__in": clinic_ids}) & _window_q(window, column)
    return match


# --- CarePlan and PlanDefinition --------------------------------------------------------

CARE_PLAN_PARAMS = frozenset({"_id", "patient", "status"})
PLAN_DEFINITION_PARAMS = frozenset({"_id", "name", "status"})


def care_plan_facts(row: TreatmentPlan) -> r.CarePlanFacts:
    zone = row.clinic.zone
    sessions = tuple(
        r.PlannedSessionFacts(
            ordinal=s.ordinal,
            phase_name=s.phase_name,
            service=_service(s.session_type),
            appointment_id=s.appointment_id,
        )
        for s in row.sessions.all()
    )
    return r.CarePlanFacts(
        id=row.id,
        clinic_id=row.clinic_id,
        status=row.status,
        patient_id=row.patient_id,
        template_id=row.template_id,
        template_name=row.template.name,
        start_date=row.start_date,
        created=row.created_at.astimezone(zone),
        updated_at=row.updated_at.astimezone(zone),
        sessions=sessions,
    )


def _care_plans(user) -> QuerySet:
    sessions = PlannedSession.objects.select_related("session_type").order_by("ordinal")
    return (
        TreatmentPlan.objects.for_user(user)
        .select_related("clinic", "template")
        .prefetch_related(Prefetch("sessions", queryset=sessions))
        .order_by("id")
    )


def care_plan_read(*, user, ident: str) -> r.CarePlanFacts:
    return care_plan_facts(_one(_care_plans(user), ident, "CarePlan"))


def care_plan_search(*, user, params: Params, paging: p.Paging) -> Found:
    p.first_unknown(params, CARE_PLAN_PARAMS)
    queryset = _ids(params, _care_plans(user))
    if "patient" in params:
        ids = p.reference_ids("patient", params["patient"], "Patient").get("Patient", set())
        queryset = queryset.filter(patient_id__in=p.int_ids(ids))
    if "status" in params:
        codes = p.tokens("status", params["status"], r.CARE_PLAN_STATUS_CODES)
        queryset = queryset.filter(status__in=r.statuses_for(codes, r.CARE_PLAN_STATUS))
    return _page(queryset, paging, care_plan_facts)


def plan_definition_facts(row: PlanTemplate) -> r.PlanDefinitionFacts:
    phases = tuple(
        r.PhaseFacts(
            key=ph.key,
            name=ph.name,
            kind=ph.kind,
            kind_display=ph.get_kind_display(),
            service=_service(ph.session_type),
            count=ph.count,
            horizon_weeks=ph.horizon_weeks,
            sessions_per_week=ph.sessions_per_week,
            min_gap_days=ph.min_gap_days,
            max_gap_days=ph.max_gap_days,
            offset_min_days=ph.offset_min_days,
            offset_max_days=ph.offset_max_days,
            follows=ph.follows,
            follows_min_days=ph.follows_min_days,
            follows_max_days=ph.follows_max_days,
        )
        for ph in row.phases.all()
    )
    return r.PlanDefinitionFacts(
        id=row.id,
        slug=row.slug,
        name=row.name,
        description=row.description,
        active=row.active,
        builtin=row.clinic_id is None,
        updated_at=row.updated_at,
        phases=phases,
    )


def _templates(user) -> QuerySet:
    phases = PlanPhase.objects.select_related("session_type").order_by("position")
    return (
        PlanTemplate.objects.for_user(user)
        .prefetch_related(Prefetch("phases", queryset=phases))
        .order_by("id")
    )


def plan_definition_read(*, user, ident: str) -> r.PlanDefinitionFacts:
    return plan_definition_facts(_one(_templates(user), ident, "PlanDefinition"))


def plan_definition_search(*, user, params: Params, paging: p.Paging) -> Found:
    p.first_unknown(params, PLAN_DEFINITION_PARAMS)
    queryset = _name_starts(params, _ids(params, _templates(user)), "name", "slug")
    if "status" in params:
        codes = p.tokens("status", params["status"], {"draft", "active", "retired", "unknown"})
        wanted = {code == "active" for code in codes if code in ("active", "retired")}
        queryset = queryset.filter(active__in=wanted)
    return _page(queryset, paging, plan_definition_facts)


# --- Export -----------------------------------------------------------------------------

EXPORT_ROLES = MANAGER_ONLY
EXPORT_DAYS_MAX = 366
EXPORT_CHUNK = 500


@dataclass(frozen=True)
class ScheduleExport:
    """What a clinic's schedule export streams; each iterator reads in chunks."""

    clinic: Clinic
    hosting: Hosting
    rooms: Iterator[Room]
    staff: Iterator[Staff]
    session_types: Iterator[SessionType]
    appointments: Iterator[Appointment]


def schedule_export(*, user, clinic_id: int, date_from: date, date_to: date) -> ScheduleExport:
    """A clinic's rooms, staff, session types and the appointments that start from
    ``date_from`` to ``date_to`` (local dates, inclusive), for a manager of the clinic.

    A clinic the user cannot see is a 404; one where they are not a manager a 403.
    """
    clinic = Clinic.objects.for_user(user).filter(pk=clinic_id).first()
    if clinic is None:
        raise NotFound(f"Clinic {clinic_id} is not known.")
    if not access_of(user).has_role(clinic.id, EXPORT_ROLES):
        raise Forbidden("Only a manager of the clinic exports its schedule.")
    zone = clinic.zone
    start = datetime.combine(date_from, time(0, 0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(date_to + timedelta(days=1), time(0, 0), tzinfo=zone).astimezone(UTC)
    appointments = (
        Appointment.objects.for_user(user, EXPORT_ROLES)
        .filter(clinic_id=clinic.id, start__gte=start, start__lt=end)
        .select_related("clinic", "patient", "session_type", "room", "seat", "staff")
        .order_by("start", "id")
    )
    return ScheduleExport(
        clinic=clinic,
        hosting=Hosting.load([clinic.id]),
        rooms=_rooms(user).filter(clinic_id=clinic.id).iterator(chunk_size=EXPORT_CHUNK),
        staff=_staff(user).filter(clinic_id=clinic.id).iterator(chunk_size=EXPORT_CHUNK),
        session_types=_session_types(user)
        .filter(Q(clinic_id=clinic.id) | Q(clinic__isnull=True))
        .iterator(chunk_size=EXPORT_CHUNK),
        appointments=appointments.iterator(chunk_size=EXPORT_CHUNK),
    )

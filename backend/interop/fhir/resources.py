"""FHIR R4 resources from plain facts: frozen dataclasses in, JSON-ready dicts out.

No Django, no ORM, no clock: ``services`` reads the rows and hands them over as the facts
below, with every datetime already in its clinic's zone. Each builder writes one resource
type the way this service publishes it (README, "FHIR R4"):

- Patient: name, birth date and telecom as stored; nothing clinical.
- Practitioner (staff), Location (rooms), HealthcareService (session types).
- Schedule: one per treatment room (``room-<id>``, actor Location) and one per staff
  member (``staff-<id>``, actor Practitioner); its service types are the session types
  it can host. Recovery rooms hold no bookable starts and have no Schedule.
- Slot: a free start of one session type on one Schedule, from the availability search.
- Appointment: the patient's visit, from the start to the end of monitored recovery, with
  the patient, the staff member and the room as participants.
- CarePlan: a treatment plan, one activity per planned session (a reference to the
  appointment that fills it, else the session's detail, not yet started).
- PlanDefinition: a plan template, one action per phase with its cadence.

Session types travel as codings of ``SERVICE_SYSTEM`` whose code is the
HealthcareService id, so a Slot's or an Appointment's service type names the
HealthcareService to read.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

FHIR_VERSION = "4.0.1"
MEDIA_TYPE = "application/fhir+json"
SERVICE_SYSTEM = "urn:kap-scheduler:healthcare-service"
PHASE_KIND_SYSTEM = "urn:kap-scheduler:plan-phase-kind"
ROOM_KIND_SYSTEM = "urn:kap-scheduler:room-kind"
LOCATION_PHYSICAL_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"
PLAN_DEFINITION_TYPE = "http://terminology.hl7.org/CodeSystem/plan-definition-type"
UCUM = "http://unitsofmeasure.org"

Resource = dict[str, Any]

# The appointment's day-of-treatment status -> FHIR Appointment.status. A patient in the
# chair or recovering has arrived; discharge fulfils the appointment.
APPOINTMENT_STATUS = {
    "booked": "booked",
    "checked_in": "checked-in",
    "in_session": "arrived",
    "recovering": "arrived",
    "discharged": "fulfilled",
    "cancelled": "cancelled",
    "no_show": "noshow",
    # A waitlist offer holding its seat until the patient answers.
    "offered": "proposed",
}
# Every FHIR Appointment.status code; those no appointment here has match nothing.
APPOINTMENT_STATUS_CODES = frozenset(
    {
        "proposed",
        "pending",
        "booked",
        "arrived",
        "fulfilled",
        "cancelled",
        "noshow",
        "entered-in-error",
        "checked-in",
        "waitlist",
    }
)
CARE_PLAN_STATUS = {
    "draft": "draft",
    "booked": "active",
    "cancelled": "revoked",
    "completed": "completed",
}
CARE_PLAN_STATUS_CODES = frozenset(
    {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"}
)
SLOT_STATUS_CODES = frozenset(
    {"busy", "free", "busy-unavailable", "busy-tentative", "entered-in-error"}
)


def statuses_for(codes: Iterable[str], mapping: Mapping[str, str]) -> set[str]:
    """The stored statuses that a set of FHIR codes stands for."""
    wanted = set(codes)
    return {stored for stored, code in mapping.items() if code in wanted}


def instant(value: datetime) -> str:
    """An aware datetime as a FHIR instant, with its own offset."""
    if value.tzinfo is None:
        raise ValueError("FHIR instants carry an offset: got a naive datetime")
    return value.isoformat(timespec="seconds")


def reference(kind: str, ident: object, display: str = "") -> dict[str, str]:
    ref = {"reference": f"{kind}/{ident}"}
    if display:
        ref["display"] = display
    return ref


def _meta(updated_at: datetime | None) -> dict[str, Any]:
    return {"meta": {"lastUpdated": instant(updated_at)}} if updated_at else {}


@dataclass(frozen=True)
class ServiceRef:
    """A session type as other resources name it."""

    id: int
    name: str


def service_concept(service: ServiceRef) -> dict[str, Any]:
    return {
        "coding": [{"system": SERVICE_SYSTEM, "code": str(service.id), "display": service.name}],
        "text": service.name,
    }


# --- Patient, Practitioner, Location, HealthcareService --------------------------------


@dataclass(frozen=True)
class PatientFacts:
    id: int
    clinic_id: int
    first_name: str
    last_name: str
    birth_date: date | None
    email: str
    phone: str
    active: bool
    updated_at: datetime | None = None


def patient(facts: PatientFacts) -> Resource:
    name: dict[str, Any] = {}
    if facts.last_name:
        name["family"] = facts.last_name
    if facts.first_name:
        name["given"] = [facts.first_name]
    telecom = [
        {"system": system, "value": value}
        for system, value in (("phone", facts.phone), ("email", facts.email))
        if value
    ]
    resource: Resource = {
        "resourceType": "Patient",
        "id": str(facts.id),
        **_meta(facts.updated_at),
        "active": facts.active,
    }
    if name:
        resource["name"] = [name]
    if telecom:
        resource["telecom"] = telecom
    if facts.birth_date:
        resource["birthDate"] = facts.birth_date.isoformat()
    return resource


@dataclass(frozen=True)
class PractitionerFacts:
    id: int
    name: str
    email: str
    active: bool


def practitioner(facts: PractitionerFacts) -> Resource:
    resource: Resource = {
        "resourceType": "Practitioner",
        "id": str(facts.id),
        "active": facts.active,
        "name": [{"text": facts.name}],
    }
    if facts.email:
        resource["telecom"] = [{"system": "email", "value": facts.email, "use": "work"}]
    return resource


@dataclass(frozen=True)
class LocationFacts:
    id: int
    name: str
    kind: str
    kind_display: str
    active: bool
    clinic_name: str
    address: str


def location(facts: LocationFacts) -> Resource:
    resource: Resource = {
        "resourceType": "Location",
        "id": str(facts.id),
        "status": "active" if facts.active else "inactive",
        "name": facts.name,
        "description": f"{facts.kind_display} room at {facts.clinic_name}",
        "mode": "instance",
        "type": [
            {
                "coding": [
                    {"system": ROOM_KIND_SYSTEM, "code": facts.kind, "display": facts.kind_display}
                ]
            }
        ],
        "physicalType": {
            "coding": [{"system": LOCATION_PHYSICAL_TYPE, "code": "ro", "display": "Room"}]
        },
    }
    if facts.address:
        resource["address"] = {"text": " ".join(facts.address.split())}
    return resource


@dataclass(frozen=True)
class HealthcareServiceFacts:
    id: int
    name: str
    active: bool
    in_room_minutes: int
    recovery_minutes: int
    builtin: bool


def healthcare_service(facts: HealthcareServiceFacts) -> Resource:
    comment = f"{facts.in_room_minutes} minutes in the room"
    if facts.recovery_minutes:
        comment += f", then {facts.recovery_minutes} minutes of monitored recovery"
    if facts.builtin:
        comment += "; built in, offered by every clinic"
    return {
        "resourceType": "HealthcareService",
        "id": str(facts.id),
        "active": facts.active,
        "name": facts.name,
        "type": [service_concept(ServiceRef(facts.id, facts.name))],
        "comment": comment + ".",
        "appointmentRequired": True,
    }


# --- Schedule and Slot ------------------------------------------------------------------


ROOM_SCHEDULE = "room"
STAFF_SCHEDULE = "staff"
_ACTOR_TYPE = {ROOM_SCHEDULE: "Location", STAFF_SCHEDULE: "Practitioner"}
_SCHEDULE_ID = re.compile(r"^(room|staff)-(\d{1,18})$")


def schedule_id(kind: str, actor_id: int) -> str:
    return f"{kind}-{actor_id}"


def schedule_key(ident: str) -> tuple[str, int] | None:
    """(kind, actor id) of a Schedule id, or None for an id no Schedule has."""
    match = _SCHEDULE_ID.match(ident)
    return (match.group(1), int(match.group(2))) if match else None


@dataclass(frozen=True)
class ScheduleFacts:
    kind: str  # ROOM_SCHEDULE or STAFF_SCHEDULE
    actor_id: int
    actor_name: str
    active: bool
    services: tuple[ServiceRef, ...] = ()

    @property
    def id(self) -> str:
        return schedule_id(self.kind, self.actor_id)


def schedule(facts: ScheduleFacts) -> Resource:
    resource: Resource = {
        "resourceType": "Schedule",
        "id": facts.id,
        "active": facts.active,
        "actor": [reference(_ACTOR_TYPE[facts.kind], facts.actor_id, facts.actor_name)],
        "comment": f"Bookable starts of {facts.actor_name}",
    }
    if facts.services:
        resource["serviceType"] = [service_concept(s) for s in facts.services]
    return resource


@dataclass(frozen=True)
class SlotFacts:
    schedule_id: str
    service: ServiceRef
    start: datetime
    end: datetime

    @property
    def id(self) -> str:
        stamp = self.start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        return f"{self.schedule_id}.{self.service.id}.{stamp}"


_SLOT_ID = re.compile(r"^((?:room|staff)-\d{1,18})\.(\d{1,18})\.(\d{8}T\d{6}Z)$")


def slot_key(ident: str) -> tuple[str, int, datetime] | None:
    """(schedule id, HealthcareService id, start) of a Slot id, or None if it is none."""
    match = _SLOT_ID.match(ident)
    if match is None:
        return None
    try:
        start = datetime.strptime(match.group(3), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    return match.group(1), int(match.group(2)), start


def slot(facts: SlotFacts) -> Resource:
    return {
        "resourceType": "Slot",
        "id": facts.id,
        "schedule": reference("Schedule", facts.schedule_id),
        "serviceType": [service_concept(facts.service)],
        "status": "free",
        "start": instant(facts.start),
        "end": instant(facts.end),
    }


# --- Appointment ------------------------------------------------------------------------


@dataclass(frozen=True)
class AppointmentFacts:
    id: int
    clinic_id: int
    status: str
    start: datetime
    end: datetime  # the end of monitored recovery: when the patient may leave
    service: ServiceRef
    patient_id: int
    room_id: int | None
    room_name: str
    seat_label: str
    staff_id: int | None
    staff_name: str
    plan_id: int | None
    created: datetime
    updated_at: datetime | None = None


def appointment(facts: AppointmentFacts) -> Resource:
    participants = [
        {
            "actor": reference("Patient", facts.patient_id),
            "required": "required",
            "status": "accepted",
        }
    ]
    if facts.staff_id is not None:
        participants.append(
            {
                "actor": reference("Practitioner", facts.staff_id, facts.staff_name),
                "required": "required",
                "status": "accepted",
            }
        )
    if facts.room_id is not None:  # a video visit has no location
        participants.append(
            {
                "actor": reference("Location", facts.room_id, facts.seat_label or facts.room_name),
                "required": "required",
                "status": "accepted",
            }
        )
    resource: Resource = {
        "resourceType": "Appointment",
        "id": str(facts.id),
        **_meta(facts.updated_at),
        "status": APPOINTMENT_STATUS[facts.status],
        "serviceType": [service_concept(facts.service)],
        "start": instant(facts.start),
        "end": instant(facts.end),
        "minutesDuration": int((facts.end - facts.start).total_seconds() // 60),
        "created": instant(facts.created),
        "participant": participants,
    }
    if facts.plan_id is not None:
        resource["supportingInformation"] = [reference("CarePlan", facts.plan_id)]
    return resource


# --- CarePlan and PlanDefinition --------------------------------------------------------


@dataclass(frozen=True)
class PlannedSessionFacts:
    ordinal: int
    phase_name: str
    service: ServiceRef
    appointment_id: int | None


@dataclass(frozen=True)
class CarePlanFacts:
    id: int
    clinic_id: int
    status: str
    patient_id: int
    template_id: int
    template_name: str
    start_date: date
    created: datetime
    updated_at: datetime | None
    sessions: tuple[PlannedSessionFacts, ...] = ()


def care_plan(facts: CarePlanFacts, base: str) -> Resource:
    """``base`` is the server's absolute FHIR base URL, ending in a slash."""
    activities = []
    for session in facts.sessions:
        label = f"{session.phase_name}, session {session.ordinal}"
        if session.appointment_id is not None:
            activities.append(
                {"reference": reference("Appointment", session.appointment_id, label)}
            )
        else:
            activities.append(
                {
                    "detail": {
                        "kind": "Appointment",
                        "code": service_concept(session.service),
                        "status": "not-started",
                        "description": label,
                    }
                }
            )
    resource: Resource = {
        "resourceType": "CarePlan",
        "id": str(facts.id),
        **_meta(facts.updated_at),
        "instantiatesCanonical": [f"{base}PlanDefinition/{facts.template_id}"],
        "status": CARE_PLAN_STATUS[facts.status],
        "intent": "plan",
        "title": facts.template_name,
        "subject": reference("Patient", facts.patient_id),
        "period": {"start": facts.start_date.isoformat()},
        "created": instant(facts.created),
    }
    if activities:
        resource["activity"] = activities
    return resource


@dataclass(frozen=True)
class PhaseFacts:
    key: str
    name: str
    kind: str
    kind_display: str
    service: ServiceRef
    count: int | None
    horizon_weeks: int | None
    sessions_per_week: int | None
    min_gap_days: int
    max_gap_days: int | None
    offset_min_days: int
    offset_max_days: int | None
    follows: str
    follows_min_days: int
    follows_max_days: int


@dataclass(frozen=True)
class PlanDefinitionFacts:
    id: int
    slug: str
    name: str
    description: str
    active: bool
    builtin: bool
    updated_at: datetime | None
    phases: tuple[PhaseFacts, ...] = ()


def _days(value: int) -> dict[str, Any]:
    return {"value": value, "unit": "days", "system": UCUM, "code": "d"}


def _day_range(low: int, high: int | None) -> dict[str, Any]:
    days = {"low": _days(low)}
    if high is not None:
        days["high"] = _days(high)
    return days


def phase_description(phase: PhaseFacts) -> str:
    """The phase's cadence in words, as the front desk reads it."""
    if phase.follows:
        return (
            f"One {phase.service.name} session {phase.follows_min_days}-"
            f"{phase.follows_max_days} days after each session of phase '{phase.follows}'."
        )
    how_many = (
        f"{phase.count} {phase.service.name} sessions"
        if phase.count
        else f"{phase.service.name} sessions for {phase.horizon_weeks} weeks (open-ended)"
    )
    parts = [how_many]
    if phase.sessions_per_week:
        parts.append(f"{phase.sessions_per_week} per week")
    if phase.min_gap_days or phase.max_gap_days is not None:
        gap = f"at least {phase.min_gap_days} days apart"
        if phase.max_gap_days is not None:
            gap = f"{phase.min_gap_days}-{phase.max_gap_days} days apart"
        parts.append(gap)
    return ", ".join(parts) + "."


def _phase_timing(phase: PhaseFacts) -> dict[str, Any]:
    repeat: dict[str, Any] = {}
    if phase.count:
        repeat["count"] = phase.count
    elif phase.horizon_weeks and not phase.follows:
        repeat["boundsDuration"] = {
            "value": phase.horizon_weeks,
            "unit": "weeks",
            "system": UCUM,
            "code": "wk",
        }
    if phase.sessions_per_week:
        repeat.update(frequency=phase.sessions_per_week, period=1, periodUnit="wk")
    elif phase.min_gap_days:
        repeat.update(frequency=1, period=phase.min_gap_days, periodUnit="d")
        if phase.max_gap_days is not None:
            repeat["periodMax"] = phase.max_gap_days
    return {"repeat": repeat} if repeat else {}


def _plan_action(phase: PhaseFacts, previous: PhaseFacts | None) -> Resource:
    action: Resource = {
        "id": phase.key,
        "title": phase.name,
        "description": phase_description(phase),
        "code": [
            {
                "coding": [
                    {
                        "system": PHASE_KIND_SYSTEM,
                        "code": phase.kind,
                        "display": phase.kind_display,
                    }
                ]
            },
            service_concept(phase.service),
        ],
    }
    timing = _phase_timing(phase)
    if timing:
        action["timingTiming"] = timing
    if phase.follows:
        action["relatedAction"] = [
            {
                "actionId": phase.follows,
                "relationship": "after-end",
                "offsetRange": _day_range(phase.follows_min_days, phase.follows_max_days),
            }
        ]
    elif previous is not None:
        action["relatedAction"] = [
            {
                "actionId": previous.key,
                "relationship": "after-end",
                "offsetRange": _day_range(phase.offset_min_days, phase.offset_max_days),
            }
        ]
    return action


def computable_name(slug: str) -> str:
    """``spravato-trd`` -> ``SpravatoTrd``: the machine-friendly name FHIR asks for."""
    name = "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", slug))
    return name if name[:1].isalpha() else f"Plan{name}"


def plan_definition(facts: PlanDefinitionFacts, base: str) -> Resource:
    resource: Resource = {
        "resourceType": "PlanDefinition",
        "id": str(facts.id),
        **_meta(facts.updated_at),
        "url": f"{base}PlanDefinition/{facts.id}",
        "name": computable_name(facts.slug),
        "title": facts.name,
        "type": {"coding": [{"system": PLAN_DEFINITION_TYPE, "code": "clinical-protocol"}]},
        "status": "active" if facts.active else "retired",
    }
    if facts.description:
        resource["description"] = facts.description
    if facts.builtin:
        resource["usage"] = "Built in: shared by every clinic."
    previous = None
    actions = []
    for phase in facts.phases:
        actions.append(_plan_action(phase, previous))
        previous = phase
    if actions:
        resource["action"] = actions
    return resource


# --- Bundle, OperationOutcome, CapabilityStatement --------------------------------------


def bundle_entry(base: str, resource: Resource, *, search: bool = True) -> Resource:
    entry: Resource = {
        "fullUrl": f"{base}{resource['resourceType']}/{resource['id']}",
        "resource": resource,
    }
    if search:
        entry["search"] = {"mode": "match"}
    return entry


def searchset(
    base: str, resources: Iterable[Resource], *, total: int, links: Mapping[str, str]
) -> Resource:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": [{"relation": relation, "url": url} for relation, url in links.items()],
        "entry": [bundle_entry(base, r) for r in resources],
    }


def collection(base: str, resources: Iterable[Resource]) -> Resource:
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [bundle_entry(base, r, search=False) for r in resources],
    }


def operation_outcome(
    code: str, diagnostics: str, *, expression: Sequence[str] = (), severity: str = "error"
) -> Resource:
    issue: Resource = {"severity": severity, "code": code, "diagnostics": diagnostics}
    if expression:
        issue["expression"] = list(expression)
    return {"resourceType": "OperationOutcome", "issue": [issue]}


@dataclass(frozen=True)
class SearchParamDoc:
    name: str
    type: str
    documentation: str


@dataclass(frozen=True)
class ResourceDoc:
    type: str
    read: bool
    search: bool
    params: tuple[SearchParamDoc, ...] = ()
    documentation: str = ""


def capability_statement(
    *, base: str, date_text: str, software_version: str, resources: Sequence[ResourceDoc]
) -> Resource:
    rest_resources = []
    for doc in resources:
        interactions = [{"code": "read"}] if doc.read else []
        if doc.search:
            interactions.append({"code": "search-type"})
        entry: Resource = {"type": doc.type, "interaction": interactions}
        if doc.documentation:
            entry["documentation"] = doc.documentation
        if doc.params:
            entry["searchParam"] = [
                {"name": p.name, "type": p.type, "documentation": p.documentation}
                for p in doc.params
            ]
        rest_resources.append(entry)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": date_text,
        "kind": "instance",
        "software": {"name": "KAP clinic scheduler", "version": software_version},
        "implementation": {"description": "Read-only FHIR view of the scheduler", "url": base},
        "fhirVersion": FHIR_VERSION,
        "format": [MEDIA_TYPE, "json"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Read-only. The REST API under /api/v1/ is the primary interface; these "
                    "resources are a view of the same data."
                ),
                "security": {
                    "description": (
                        "Authorization: Token <key>, or a browser session. Every read is "
                        "limited to the clinics the user holds a role in."
                    )
                },
                "resource": rest_resources,
            }
        ],
    }

"""Cohorts: create a group template's whole series of group sessions, enrol all or nothing,
move one of its sessions within the cadence.

Plans drives both sides: it lays the series out with the pure ``engine.cohort`` and asks
scheduling's group services to create and fill each group session, inside one transaction.
"""

from collections import Counter
from datetime import date, datetime, time, timedelta

from django.db import transaction

from backend.common.errors import Conflict, DomainError, InvalidInput
from backend.plans.engine.cohort import CohortPhase, cohort_move_check, cohort_series
from backend.plans.models import Cohort, CohortSession, PlanTemplate
from backend.scheduling.booking.models import ACTIVE_STATUSES, Appointment
from backend.scheduling.groups.models import GroupSession, GroupSessionStatus
from backend.scheduling.groups.services import (
    GroupSessionView,
    group_session_create,
    group_session_enroll,
    group_session_reschedule,
)
from backend.scheduling.resources.calendar import wall_to_utc
from backend.scheduling.resources.models import Clinic, Patient, Room, Staff

DEFAULT_START = time(9, 0)


def cohort_phases(template: PlanTemplate) -> list[CohortPhase]:
    """The template as cohort phases; every phase must be a group session type."""
    phases = []
    for phase in template.phases.select_related("session_type").order_by("position"):
        if phase.session_type.group_capacity < 2:
            raise InvalidInput(
                "template",
                f"{template.name} is not a group template: {phase.name} uses "
                f"{phase.session_type.name}, which is not a group session.",
            )
        if phase.count is None and not phase.follows:
            raise InvalidInput("template", f"{phase.name} is open-ended; a cohort needs counts.")
        phases.append(
            CohortPhase(
                key=phase.key,
                count=phase.count or 0,
                min_gap_days=phase.min_gap_days,
                max_gap_days=phase.max_gap_days,
                offset_min_days=phase.offset_min_days or 0,
                follows=phase.follows or None,
                follows_min_days=phase.follows_min_days,
                follows_max_days=phase.follows_max_days,
            )
        )
    if not phases:
        raise InvalidInput("template", f"{template.name} has no phases.")
    return phases


def _room_for(kind: str, room: Room, clinic: Clinic) -> Room:
    """The cohort's room for sessions of its kind; otherwise the clinic's largest room of
    the kind the session needs (a preparation group meets in a therapy room)."""
    if room.kind == kind:
        return room
    rooms = list(
        Room.objects.filter(clinic=clinic, kind=kind, active=True).prefetch_related("seats")
    )
    if not rooms:
        raise InvalidInput("room", f"The clinic has no active {kind} room for this cohort.")
    return max(rooms, key=lambda r: (sum(1 for s in r.seats.all() if s.active), -r.id))


def cohort_create(
    *,
    actor,
    template: PlanTemplate,
    clinic: Clinic,
    start_date: date,
    room: Room,
    staff: list[Staff],
    now: datetime,
    start_time: time = DEFAULT_START,
) -> Cohort:
    """Create the cohort and its whole series of group sessions, or nothing (409)."""
    if template.clinic_id not in (None, clinic.id):
        raise InvalidInput("template", "This template belongs to another clinic.")
    if room.clinic_id != clinic.id:
        raise InvalidInput("room", "This room belongs to another clinic.")
    phases = cohort_phases(template)
    types = {p.key: p.session_type for p in template.phases.select_related("session_type")}
    zone = clinic.zone
    with transaction.atomic():
        cohort = Cohort.objects.create(
            clinic=clinic,
            template=template,
            start_date=start_date,
            room=room,
            created_by=actor if actor is not None and actor.is_authenticated else None,
        )
        cohort.staff.set(staff)
        placed: dict[int, date] = {}
        created: dict[int, tuple[str, int]] = {}
        slipped: Counter = Counter()
        while True:
            pending = [
                s for s in cohort_series(phases, start_date, placed) if s.ordinal not in created
            ]
            if not pending:
                break
            slot = pending[0]
            session_type = types[slot.phase_key]
            try:
                view = group_session_create(
                    actor=actor,
                    session_type=session_type,
                    room=_room_for(session_type.room_kind, room, clinic),
                    start=wall_to_utc(slot.day, start_time, zone),
                    staff=staff,
                    now=now,
                )
            except (Conflict, InvalidInput) as exc:
                # A wrong time (past, closed, outside hours) or a clash may pass on a later
                # day; any other bad input will not.
                if isinstance(exc, InvalidInput) and "start" not in exc.errors:
                    raise
                slipped[slot.ordinal] += 1
                if slipped[slot.ordinal] > slot.slack_days:
                    raise Conflict(
                        f"Session {slot.ordinal} ({slot.phase_key}) cannot be scheduled within "
                        f"its cadence from {slot.day - timedelta(days=slot.slack_days)}: "
                        f"{exc.detail}",
                        conflicts=exc.conflicts or [],
                    ) from exc
                placed[slot.ordinal] = slot.day + timedelta(days=1)
                continue
            placed[slot.ordinal] = slot.day
            created[slot.ordinal] = (slot.phase_key, view.group.id)
        CohortSession.objects.bulk_create(
            CohortSession(cohort=cohort, ordinal=o, phase_key=key, group_session_id=gid)
            for o, (key, gid) in sorted(created.items())
        )
        return cohort


def cohort_enroll(*, actor, cohort: Cohort, patient: Patient, now: datetime) -> list[Appointment]:
    """Book the patient into every session of the series in one transaction, or none."""
    if patient.clinic_id != cohort.clinic_id:
        raise InvalidInput("patient", "This patient belongs to another clinic.")
    sessions = list(
        cohort.sessions.select_related("group_session").order_by("group_session__start", "ordinal")
    )
    appointments = []
    with transaction.atomic():
        for session in sessions:
            try:
                appointments.append(
                    group_session_enroll(
                        actor=actor, group=session.group_session, patient=patient, now=now
                    )
                )
            except DomainError as exc:
                if isinstance(exc, InvalidInput):
                    raise
                raise Conflict(
                    f"{patient.full_name} cannot join session {session.ordinal} "
                    f"({session.phase_key}) of this cohort: {exc.detail} Nothing was booked.",
                    conflicts=exc.conflicts or [],
                ) from exc
    return appointments


def cohort_roster(cohort: Cohort) -> list[dict]:
    """Each enrolled patient with the state of each of their sessions (attendance)."""
    rows = (
        Appointment.objects.filter(group_session__cohort_session__cohort=cohort)
        .select_related("patient")
        .order_by("patient__last_name", "patient__first_name", "start")
    )
    roster: dict[int, dict] = {}
    for a in rows:
        entry = roster.setdefault(
            a.patient_id,
            {"patient": a.patient_id, "patient_name": a.patient.full_name, "attendance": {}},
        )
        entry["attendance"][str(a.group_session_id)] = a.status

    # Those still booked into some session first, then those whose sessions all ended
    # cancelled or missed.
    def still_in(entry: dict) -> bool:
        return any(state in ACTIVE_STATUSES for state in entry["attendance"].values())

    return sorted(roster.values(), key=lambda e: not still_in(e))


def cohort_session_reschedule(
    *,
    actor,
    group: GroupSession,
    start: datetime,
    now: datetime,
    room: Room | None = None,
    staff: list[Staff] | None = None,
) -> GroupSessionView:
    """Move a group session with everyone in it; one of a cohort only within its cadence.

    A cohort's participants were enrolled in a series whose gaps the template sets (a
    dosing session 3-4 weeks after the last, integration 1-3 days after each dosing): a
    move that breaks a gap to the session before or after is a 409 of kind ``cadence``,
    and nothing moves. Other sessions of the series stay where they are (no cascade).
    Moves of one cohort's sessions queue on the cohort's row lock, so two moves cannot
    each keep the cadence and together break it.
    """
    with transaction.atomic():
        link = (
            CohortSession.objects.filter(group_session_id=group.id)
            .select_related("cohort__template", "cohort__clinic")
            .first()
        )
        if link is not None:
            cohort = Cohort.objects.select_for_update(of=("self",), no_key=True).get(
                pk=link.cohort_id
            )
            zone = link.cohort.clinic.zone
            days = {
                ordinal: when.astimezone(zone).date()
                for ordinal, when in CohortSession.objects.filter(
                    cohort=cohort, group_session__status=GroupSessionStatus.SCHEDULED
                ).values_list("ordinal", "group_session__start")
            }
            problem = cohort_move_check(
                cohort_phases(link.cohort.template),
                days,
                link.ordinal,
                start.astimezone(zone).date(),
            )
            if problem is not None:
                raise Conflict(
                    problem,
                    conflicts=[{"resource": "cadence", "message": problem, "busy": []}],
                    extra={"cohort": cohort.id},
                )
        return group_session_reschedule(
            actor=actor, group=group, start=start, now=now, room=room, staff=staff
        )

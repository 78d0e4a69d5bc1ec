"""Treatment-plan operations: create, preview, book (all or nothing), extend, cancel.

Preview and book run the same pure engine on the same freshly fetched calendar, so what
the front desk saw is what gets booked unless the calendar changed in between; then the
booking answers 409 naming the sessions that no longer fit, and writes nothing.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction

from backend.common.errors import Conflict, InvalidInput
from backend.common.faults import fault_point
from backend.plans.engine.expand import plan_expand
from backend.plans.engine.rules import PlannedSlot
from backend.plans.models import PlannedSession, PlanStatus, PlanTemplate, TreatmentPlan
from backend.plans.services.fetch import (
    PlanWorld,
    plan_resources_lock,
    plan_world_fetch,
    preferences_of,
    template_fetch,
)
from backend.scheduling.authorizations.coverage import Cover, Need
from backend.scheduling.authorizations.services import authorization_conflict, coverage_for
from backend.scheduling.booking.models import ACTIVE_STATUSES, Appointment, AppointmentStatus
from backend.scheduling.booking.services import (
    Escort,
    NewAppointment,
    appointment_cancel,
    appointments_insert,
    concurrency_conflicts,
    patient_eligibility_problems,
)
from backend.scheduling.outbox.models import EventType
from backend.scheduling.outbox.services import plan_emit
from backend.scheduling.resources.models import Patient, SessionType, Staff


@dataclass
class PlanPreview:
    plan: TreatmentPlan
    world: PlanWorld
    slots: list[PlannedSlot]
    fixed: dict[int, Appointment] = field(default_factory=dict)
    eligibility: list[str] = field(default_factory=list)
    # Per ordinal: the authorization that would pay for the session, and whether it is
    # covered at all (a session whose type needs none is covered).
    coverage: dict[int, Cover] = field(default_factory=dict)

    @property
    def unplaced(self) -> list[PlannedSlot]:
        return [s for s in self.slots if not s.fixed and s.placement is None]

    @property
    def to_book(self) -> list[PlannedSlot]:
        return [s for s in self.slots if not s.fixed]


def _local_today(clinic, now: datetime) -> date:
    return now.astimezone(clinic.zone).date()


def _window_fits(
    template: PlanTemplate, clinic, weekdays: list[int], earliest: time | None, latest: time | None
) -> str | None:
    """Why the preferred time window can never hold a session of the template, if it can't."""
    if earliest and latest and latest < earliest:
        return "The latest start is before the earliest start."
    hours = list(clinic.opening_hours.all())
    for phase in template.phases.all():
        st = phase.session_type
        total = timedelta(minutes=st.in_room_minutes + st.recovery_minutes)
        fits = False
        for window in hours:
            if weekdays and window.weekday not in weekdays:
                continue
            first = max(window.opens, earliest) if earliest else window.opens
            last_start = min(window.closes, latest) if latest else window.closes
            day = date(2000, 1, 3)
            end = datetime.combine(day, first) + total
            if first <= last_start and end <= datetime.combine(day, window.closes):
                fits = True
                break
        if not fits:
            return (
                f"No allowed day and time window leaves room for {st.name} "
                f"({st.in_room_minutes} min plus {st.recovery_minutes} min recovery) "
                "before closing."
            )
    return None


def plan_create(
    *,
    actor,
    patient: Patient,
    template: PlanTemplate,
    start_date: date,
    now: datetime,
    weekdays: list[int] | None = None,
    earliest: time | None = None,
    latest: time | None = None,
    staff: Staff | None = None,
    notes: str = "",
) -> TreatmentPlan:
    clinic = patient.clinic
    if template.clinic_id not in (None, patient.clinic_id):
        raise InvalidInput("template", "This template belongs to another clinic.")
    if not template.active:
        raise InvalidInput("template", "This template is no longer in use.")
    if start_date < _local_today(clinic, now):
        raise InvalidInput("start_date", "The start date is in the past.")
    if staff is not None and staff.clinic_id != patient.clinic_id:
        raise InvalidInput("preferences", "The preferred staff member works at another clinic.")
    template = template_fetch(template.id)
    if not template.phases.all():
        raise InvalidInput("template", "This template has no phases.")
    problem = _window_fits(template, clinic, weekdays or [], earliest, latest)
    if problem:
        raise InvalidInput("preferences", problem)
    return TreatmentPlan.objects.create(
        clinic_id=patient.clinic_id,
        patient=patient,
        template=template,
        start_date=start_date,
        pref_weekdays=sorted(set(weekdays or [])),
        pref_earliest=earliest,
        pref_latest=latest,
        pref_staff=staff,
        notes=notes,
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )


def plan_active_appointments(plan: TreatmentPlan) -> dict[int, Appointment]:
    """The appointment currently filling each ordinal (cancelled and missed ones are not)."""
    rows = (
        Appointment.objects.filter(plan_id=plan.id, status__in=ACTIVE_STATUSES)
        .select_related("room", "staff", "session_type")
        .order_by("ordinal", "-id")
    )
    result: dict[int, Appointment] = {}
    for appointment in rows:
        result.setdefault(appointment.ordinal, appointment)
    return result


def plan_eligibility(plan: TreatmentPlan, session_types: list[SessionType]) -> list[str]:
    problems: list[str] = []
    for st in session_types:
        for problem in patient_eligibility_problems(plan.patient, st):
            if problem not in problems:
                problems.append(problem)
    return problems


def _plan_compute(
    plan: TreatmentPlan,
    *,
    now: datetime,
    pins: dict[int, datetime] | None = None,
    prefetched=None,
    lock_authorizations: bool = False,
) -> PlanPreview:
    world = plan_world_fetch(plan, now=now, prefetched=prefetched)
    fixed = plan_active_appointments(plan)
    result = plan_expand(
        phases=world.rules,
        start_date=plan.start_date,
        prefs=preferences_of(plan),
        boards=world.boards,
        now=now,
        fixed={ordinal: a.start for ordinal, a in fixed.items()},
        pinned=pins or {},
    )
    types = {st.id: st for st in (p.session_type for p in world.template.phases.all())}
    to_book_types = {types[s.session_type_id] for s in result.slots if not s.fixed}
    return PlanPreview(
        plan=plan,
        world=world,
        slots=list(result.slots),
        fixed=fixed,
        eligibility=plan_eligibility(plan, sorted(to_book_types, key=lambda st: st.id)),
        coverage=_plan_coverage(
            plan, result.slots, fixed, types, world.clinic.zone, lock=lock_authorizations
        ),
    )


def _plan_coverage(plan, slots, fixed, types, zone, *, lock: bool) -> dict[int, Cover]:
    """Which authorization pays for each session: booked ones keep theirs, new ones are
    allocated from the units left (in time order, the soonest-ending authorization first)."""
    coverage = {
        ordinal: Cover(
            a.authorization_id,
            a.authorization_id is not None or not a.session_type.requires_authorization,
        )
        for ordinal, a in fixed.items()
    }
    needs = [
        Need(
            s.ordinal,
            s.session_type_id,
            s.placement.start.astimezone(zone).date(),
            types[s.session_type_id].requires_authorization,
        )
        for s in slots
        if not s.fixed and s.placement is not None
    ]
    coverage.update(coverage_for(patient_id=plan.patient_id, needs=needs, lock=lock))
    return coverage


def plan_preview(
    *, plan: TreatmentPlan, now: datetime, pins: dict[int, datetime] | None = None
) -> PlanPreview:
    if plan.status == PlanStatus.CANCELLED:
        raise Conflict("This plan is cancelled.", extra={"status": plan.status})
    return _plan_compute(plan, now=now, pins=pins)


def _check_pins(preview: PlanPreview, pins: dict[int, datetime]) -> None:
    known = {s.ordinal: s for s in preview.slots}
    for ordinal in pins:
        if ordinal not in known:
            raise InvalidInput("sessions", f"This plan has no session {ordinal}.")
        if known[ordinal].fixed:
            raise InvalidInput("sessions", f"Session {ordinal} is already booked.")


def unplaced_conflicts(slots: list[PlannedSlot]) -> list[dict[str, Any]]:
    return [
        {"ordinal": s.ordinal, "phase": s.phase_key, "reason": s.reason}
        for s in slots
        if s.placement is None
    ]


@dataclass
class PlanBooking:
    plan: TreatmentPlan
    appointments: list[Appointment]


COVERED_ONLY = "covered_only"


def _plan_book_locked(
    plan: TreatmentPlan,
    *,
    actor,
    now: datetime,
    pins: dict[int, datetime],
    authorization: str = "all",
) -> PlanBooking:
    """Book every session of the plan that is not booked yet; caller holds the transaction.

    Sessions whose type needs an authorization that none covers make the whole booking a
    409, unless ``authorization`` is ``covered_only``: then the covered ones are booked and
    the rest stay planned, marked as awaiting authorization.
    """
    prefetched = plan_resources_lock(plan)
    preview = _plan_compute(
        plan, now=now, pins=pins, prefetched=prefetched, lock_authorizations=True
    )
    _check_pins(preview, pins)
    to_book = preview.to_book
    uncovered = [
        s for s in to_book if s.placement is not None and not preview.coverage[s.ordinal].covered
    ]
    if uncovered and authorization != COVERED_ONLY:
        types = {st.id: st for st in (p.session_type for p in preview.world.template.phases.all())}
        zone = preview.world.clinic.zone
        raise Conflict(
            f"{len(uncovered)} of {len(to_book)} sessions need a payer authorization that "
            "does not cover them; nothing was booked. Record the authorization, or book "
            'with "authorization": "covered_only" to book the covered sessions only.',
            conflicts=[
                authorization_conflict(
                    types[s.session_type_id],
                    s.placement.start.astimezone(zone).date(),
                    ordinal=s.ordinal,
                )
                for s in uncovered
            ],
        )
    if uncovered:
        waiting = {s.ordinal for s in uncovered}
        to_book = [s for s in to_book if s.ordinal not in waiting]
        planned_sessions_await(plan, uncovered, preview)
    if not to_book:
        raise Conflict(
            "Every session of this plan is already booked.", extra={"status": plan.status}
        )
    if preview.eligibility:
        raise InvalidInput("patient", " ".join(preview.eligibility))
    unplaced = [s for s in to_book if s.placement is None]
    if unplaced:
        raise Conflict(
            f"{len(unplaced)} of {len(to_book)} sessions cannot be placed any more; "
            "nothing was booked. Preview again to see the calendar as it is now.",
            conflicts=unplaced_conflicts(unplaced),
        )
    patient = plan.patient
    escort = Escort(patient.escort_name, patient.escort_phone)
    phases = {p.key: p for p in preview.world.template.phases.all()}
    created = appointments_insert(
        [
            NewAppointment(
                placement=slot.placement,
                patient=patient,
                session_type=phases[slot.phase_key].session_type,
                escort=escort,
                plan_id=plan.id,
                ordinal=slot.ordinal,
                authorization_id=preview.coverage[slot.ordinal].authorization_id,
            )
            for slot in to_book
        ],
        actor=actor,
        now=now,
    )
    planned_sessions_point(plan, to_book, created, phases)
    # Tests crash a worker here: the course written, not yet committed.
    fault_point("plan_book.written")
    plan.status = PlanStatus.BOOKED
    plan.booked_at = plan.booked_at or now
    plan.save(update_fields=["status", "booked_at", "extra_horizon_weeks", "updated_at"])
    plan_emit(plan, type=EventType.PLAN_BOOKED, now=now, appointments=created)
    return PlanBooking(plan, created)


def planned_sessions_await(
    plan: TreatmentPlan, slots: list[PlannedSlot], preview: PlanPreview
) -> None:
    """Mark the sessions a covered-only booking left unbooked as awaiting authorization."""
    phases = {p.key: p for p in preview.world.template.phases.all()}
    existing = {s.ordinal: s for s in PlannedSession.objects.filter(plan=plan)}
    new, changed = [], []
    for slot in slots:
        session = existing.get(slot.ordinal)
        if session is None:
            new.append(
                PlannedSession(
                    plan=plan,
                    ordinal=slot.ordinal,
                    phase_key=slot.phase_key,
                    phase_name=phases[slot.phase_key].name,
                    session_type_id=slot.session_type_id,
                    awaiting_authorization=True,
                )
            )
        else:
            session.awaiting_authorization = True
            changed.append(session)
    PlannedSession.objects.bulk_create(new)
    PlannedSession.objects.bulk_update(changed, ["awaiting_authorization"])


def planned_sessions_point(
    plan: TreatmentPlan, slots: list[PlannedSlot], appointments: list[Appointment], phases
) -> None:
    """Point each planned session at its new appointment (make-ups replace the old one)."""
    existing = {s.ordinal: s for s in PlannedSession.objects.filter(plan=plan)}
    new, changed = [], []
    for slot, appointment in zip(slots, appointments, strict=True):
        session = existing.get(slot.ordinal)
        if session is None:
            new.append(
                PlannedSession(
                    plan=plan,
                    ordinal=slot.ordinal,
                    phase_key=slot.phase_key,
                    phase_name=phases[slot.phase_key].name,
                    session_type_id=slot.session_type_id,
                    appointment=appointment,
                )
            )
        else:
            session.appointment = appointment
            session.awaiting_authorization = False
            changed.append(session)
    PlannedSession.objects.bulk_create(new)
    PlannedSession.objects.bulk_update(changed, ["appointment", "awaiting_authorization"])


def plan_lock(plan_id: int) -> TreatmentPlan:
    """Re-read a plan under a row lock: writers to one course queue here, before any other
    lock (then its appointments, then patients, seats and staff)."""
    return (
        TreatmentPlan.objects.select_for_update(of=("self",), no_key=True)
        .select_related("patient", "clinic")
        .get(pk=plan_id)
    )


def plan_book(
    *,
    actor,
    plan: TreatmentPlan,
    now: datetime,
    pins: dict[int, datetime] | None = None,
    authorization: str = "all",
) -> PlanBooking:
    """Book the whole course (or its make-up sessions) in one transaction, or nothing."""
    with concurrency_conflicts(), transaction.atomic():
        plan = plan_lock(plan.id)
        if plan.status == PlanStatus.CANCELLED:
            raise Conflict("This plan is cancelled.", extra={"status": plan.status})
        return _plan_book_locked(
            plan, actor=actor, now=now, pins=pins or {}, authorization=authorization
        )


def plan_extend(
    *, actor, plan: TreatmentPlan, weeks: int, now: datetime, authorization: str = "all"
) -> PlanBooking:
    """Book further open-ended sessions (maintenance) for ``weeks`` more weeks."""
    with concurrency_conflicts(), transaction.atomic():
        plan = plan_lock(plan.id)
        if plan.status != PlanStatus.BOOKED:
            raise Conflict(
                f"Only a booked plan can be extended; this one is {plan.status}.",
                extra={"status": plan.status},
            )
        template = template_fetch(plan.template_id)
        if not any(p.count is None and not p.follows for p in template.phases.all()):
            raise InvalidInput("weeks", "This plan has no open-ended phase to extend.")
        plan.extra_horizon_weeks += weeks
        return _plan_book_locked(plan, actor=actor, now=now, pins={}, authorization=authorization)


def plan_cancel(*, actor, plan: TreatmentPlan, reason: str, now: datetime) -> TreatmentPlan:
    """Cancel the plan and every appointment of it that has not started yet."""
    with transaction.atomic():
        plan = plan_lock(plan.id)
        if plan.status == PlanStatus.CANCELLED:
            raise Conflict("This plan is already cancelled.", extra={"status": plan.status})
        upcoming = Appointment.objects.filter(
            plan_id=plan.id, status=AppointmentStatus.BOOKED, start__gt=now
        ).order_by("start")
        cancelled = [
            appointment_cancel(actor=actor, appointment=appointment, reason=reason, now=now)
            for appointment in upcoming
        ]
        plan.status = PlanStatus.CANCELLED
        plan.cancelled_at = now
        plan.cancel_reason = reason
        plan.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
        plan_emit(plan, type=EventType.PLAN_CANCELLED, now=now, appointments=cancelled)
        return plan

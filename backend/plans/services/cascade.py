"""Reschedule with cascade: move the later sessions of a plan as little as the cadence needs.

Registered with scheduling's reschedule (see PlansConfig.ready) and called inside its
transaction, after the moved appointment has its new holds.
"""

from datetime import datetime

from backend.common.errors import Conflict
from backend.plans.engine.cascade import plan_cascade
from backend.plans.models import TreatmentPlan
from backend.plans.services.fetch import plan_resources_lock, plan_world_fetch, preferences_of
from backend.plans.services.plans import unplaced_conflicts
from backend.scheduling.booking.models import ACTIVE_STATUSES, Appointment, AppointmentStatus, Hold
from backend.scheduling.booking.services import appointment_move


def plan_reschedule_cascade(
    *, appointment: Appointment, old_start: datetime, actor, now: datetime
) -> list[Appointment]:
    plan = TreatmentPlan.objects.select_related("patient").filter(pk=appointment.plan_id).first()
    if plan is None or appointment.ordinal is None:
        return []
    active = {
        a.ordinal: a
        for a in Appointment.objects.filter(plan_id=plan.id, status__in=ACTIVE_STATUSES)
        .select_related("session_type")
        .order_by("ordinal", "-id")
    }
    later = {
        ordinal: a
        for ordinal, a in active.items()
        if ordinal > appointment.ordinal and a.status == AppointmentStatus.BOOKED
    }
    if not later:
        return []
    prefetched = plan_resources_lock(plan)
    # The later sessions are free to move, so their own holds must not block them.
    world = plan_world_fetch(
        plan,
        now=now,
        exclude_appointment_ids=[a.id for a in later.values()],
        prefetched=prefetched,
    )
    slots = plan_cascade(
        phases=world.rules,
        start_date=plan.start_date,
        prefs=preferences_of(plan),
        boards=world.boards,
        now=now,
        # Later sessions that are no longer merely booked keep their holds on the boards,
        # so only the booked ones are offered to the engine to move.
        current={
            ordinal: a.start
            for ordinal, a in active.items()
            if ordinal <= appointment.ordinal or ordinal in later
        },
        moved_ordinal=appointment.ordinal,
    )
    stuck = [s for s in slots if s.placement is None]
    if stuck:
        raise Conflict(
            "Moving this session would push later sessions of the plan out of their "
            "cadence, and no free time keeps it; nothing was changed.",
            conflicts=unplaced_conflicts(stuck),
        )
    moving = {
        slot.ordinal
        for slot in slots
        if slot.ordinal in later and slot.placement.start != later[slot.ordinal].start
    }
    # Free the old spans of every session that moves before writing any new one: on
    # PostgreSQL a new span may overlap a later session's old one until it moves too.
    Hold.objects.filter(appointment_id__in=[later[o].id for o in moving]).delete()
    moved = []
    for slot in slots:
        current = later.get(slot.ordinal)
        if current is None:
            continue
        placement = slot.placement
        # A kept session may come back first-fit on another seat; its own seat is still
        # free for it (a patient's sessions never overlap), so leave the booking alone.
        if placement.start == current.start:
            continue
        moved.append(
            appointment_move(
                current,
                placement,
                actor=actor,
                now=now,
                note=f"Moved to keep the plan's cadence after session {appointment.ordinal} moved.",
            )
        )
    return moved

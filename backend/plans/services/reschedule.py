"""Reschedule an appointment; with ``cascade`` the later sessions of its plan follow it.

Plans depends on scheduling, so plans coordinates the two: scheduling's booking services
check and write each appointment, this module decides which later sessions of the course
move and where (the pure ``plan_cascade``), and it all happens in one transaction.

Locks follow the one order every writer uses: the plan, then its appointments, then the
patient, seats and staff (ids ascending). Every row the course could use is locked before
anything is placed, so the cascade never comes back for a seat or staff member below one
it already holds, which is how two writers end up waiting on each other.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from backend.common.errors import Conflict
from backend.plans.engine.cascade import plan_cascade
from backend.plans.models import PlannedSession, TreatmentPlan
from backend.plans.services.fetch import (
    PlanResources,
    plan_resources_lock,
    plan_world_fetch,
    preferences_of,
)
from backend.plans.services.plans import plan_lock, unplaced_conflicts
from backend.scheduling.booking.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    Hold,
)
from backend.scheduling.booking.services import (
    appointment_move,
    appointment_reschedule_lock,
    appointment_reschedule_place,
    concurrency_conflicts,
)
from backend.scheduling.resources.models import Room, Staff


@dataclass
class _Course:
    """The plan a moved appointment belongs to, with what the cascade works on, locked."""

    plan: TreatmentPlan
    ordinal: int
    # The appointment filling each session that still holds its time.
    filled: dict[int, Appointment]
    # The later sessions that are merely booked: the ones the cascade may move.
    later: dict[int, Appointment]
    # What the course's sessions could use; fetched and locked only if some may move.
    resources: PlanResources | None


def _plan_link_lock(appointment: Appointment) -> tuple[TreatmentPlan, int] | None:
    """The plan (locked) and the session number that the appointment fills, if any."""
    link = (
        PlannedSession.objects.filter(appointment_id=appointment.id)
        .values_list("plan_id", "ordinal")
        .first()
    )
    if link is None:
        return None
    plan_id, ordinal = link
    return plan_lock(plan_id), ordinal


def _course_lock(plan: TreatmentPlan, ordinal: int) -> _Course:
    """Lock the appointments filling the plan's sessions, then, if a later one may move,
    every patient, seat and staff row the course could use: all before anything is placed.
    """
    links = dict(
        PlannedSession.objects.filter(plan=plan, appointment__isnull=False).values_list(
            "appointment_id", "ordinal"
        )
    )
    rows = (
        Appointment.objects.select_for_update(of=("self",), no_key=True)
        .filter(id__in=list(links))
        .select_related("clinic", "patient", "session_type")
        .order_by("id")
    )
    filled = {links[a.id]: a for a in rows if a.status in ACTIVE_STATUSES}
    later = {
        o: a for o, a in filled.items() if o > ordinal and a.status == AppointmentStatus.BOOKED
    }
    resources = plan_resources_lock(plan) if later else None
    return _Course(plan=plan, ordinal=ordinal, filled=filled, later=later, resources=resources)


def _followers_move(
    course: _Course, *, moved: Appointment, actor, now: datetime
) -> list[Appointment]:
    """Move the later sessions as little as the cadence needs; 409 if one cannot keep it."""
    plan, later = course.plan, course.later
    # The later sessions are free to move, so their own holds must not block them; the
    # moved session's new holds are on the boards.
    world = plan_world_fetch(
        plan,
        now=now,
        exclude_appointment_ids=[a.id for a in later.values()],
        prefetched=course.resources,
    )
    # Later sessions that are no longer merely booked keep their holds on the boards, so
    # only the booked ones are offered to the engine to move.
    current = {o: a.start for o, a in course.filled.items() if o < course.ordinal or o in later}
    current[course.ordinal] = moved.start
    slots = plan_cascade(
        phases=world.rules,
        start_date=plan.start_date,
        prefs=preferences_of(plan),
        boards=world.boards,
        now=now,
        current=current,
        moved_ordinal=course.ordinal,
    )
    stuck = [s for s in slots if s.placement is None]
    if stuck:
        raise Conflict(
            "Moving this session would push later sessions of the plan out of their "
            "cadence, and no free time keeps it; nothing was changed.",
            conflicts=unplaced_conflicts(stuck),
        )
    # A kept session may come back first-fit on another seat; its own seat is still free
    # for it (a patient's sessions never overlap), so its booking is left alone.
    moving = [
        (later[s.ordinal], s.placement)
        for s in slots
        if s.ordinal in later and s.placement.start != later[s.ordinal].start
    ]
    # Free the old spans of every session that moves before writing any new one: on
    # PostgreSQL a new span may overlap a later session's old one until it moves too.
    Hold.objects.filter(appointment_id__in=[a.id for a, _ in moving]).delete()
    note = f"Moved to keep the plan's cadence after session {course.ordinal} moved."
    return [
        appointment_move(appointment, placement, actor=actor, now=now, note=note)
        for appointment, placement in moving
    ]


def plan_session_reschedule(
    *,
    actor,
    appointment: Appointment,
    start: datetime,
    now: datetime,
    staff: Staff | None = None,
    room: Room | None = None,
    cascade: bool = False,
    dry_run: bool = False,
) -> tuple[Appointment, list[Appointment]]:
    """Move one appointment and, with ``cascade``, the later sessions of its plan.

    Returns the moved appointment and the later sessions that moved with it. Without
    ``cascade``, or for an appointment outside any plan, only the appointment moves. Later
    sessions move only as far as the cadence needs; if one cannot keep it, the answer is a
    409 naming it, and nothing moves. With ``dry_run`` everything is computed and checked
    exactly as for real, then rolled back: the returned objects show what would move, and
    nothing is written.
    """
    with concurrency_conflicts(), transaction.atomic():
        link = _plan_link_lock(appointment) if cascade else None
        current = appointment_reschedule_lock(appointment=appointment, staff=staff, room=room)
        course = _course_lock(*link) if link is not None else None
        moved = appointment_reschedule_place(
            actor=actor, appointment=current, start=start, now=now, staff=staff, room=room
        )
        cascaded = []
        if course is not None and course.later:
            cascaded = _followers_move(course, moved=moved, actor=actor, now=now)
        if dry_run:
            transaction.set_rollback(True)
        return moved, cascaded

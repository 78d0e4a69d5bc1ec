"""Group sessions: create one, enrol patients one by one, move it with everyone, cancel it.

Capacity is the smaller of the type's group capacity and the room's active seats. Each
enrolment is checked by the same placement rule as any booking (seat, recovery seat,
patient, dosing day, monitoring ratio, prescriber on site) with the room fixed and no
staff pick: the facilitators' time is already held by the group session itself.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.db import transaction

from backend.common.errors import Conflict, InvalidInput
from backend.scheduling.booking.availability import (
    Clash,
    Placement,
    board_reserve,
    placement_check,
)
from backend.scheduling.booking.capacity import prescriber_gap
from backend.scheduling.booking.fetch import (
    board_fetch,
    local_date_of,
    patient_clinic_fetch,
    patients_busy_fetch,
    resources_fetch,
    spec_of,
)
from backend.scheduling.booking.locks import appointment_lock, resources_lock
from backend.scheduling.booking.models import (
    ACTIVE_STATUSES,
    Appointment,
    AppointmentStatus,
    Hold,
    HoldKind,
)
from backend.scheduling.booking.services import (
    CANCELLABLE,
    INPUT_CLASHES,
    Escort,
    appointment_cancel,
    appointment_insert,
    appointment_move,
    clashes_as_conflicts,
    concurrency_conflicts,
    patient_eligibility_problems,
)
from backend.scheduling.groups.models import GroupSession, GroupSessionStatus
from backend.scheduling.resources.intervals import Span
from backend.scheduling.resources.models import Clinic, Patient, Room, SessionType, Staff


def group_capacity_of(session_type: SessionType, room: Room) -> int:
    """Places in a group: the type's group capacity, bounded by the room's active seats."""
    seats = sum(1 for seat in room.seats.all() if seat.active)
    return min(session_type.group_capacity, seats)


@dataclass
class GroupSessionView:
    """A group session with its places counted, as the API shows it."""

    group: GroupSession
    capacity: int
    enrolled: int

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.enrolled, 0)


def group_sessions_view(groups: list[GroupSession]) -> list[GroupSessionView]:
    """Count places for many group sessions in one query (rooms' seats prefetched)."""
    counts = dict.fromkeys((g.id for g in groups), 0)
    rows = Appointment.objects.filter(
        group_session_id__in=list(counts), status__in=ACTIVE_STATUSES
    ).values_list("group_session_id", flat=True)
    for group_id in rows:
        counts[group_id] += 1
    return [
        GroupSessionView(g, group_capacity_of(g.session_type, g.room), counts[g.id]) for g in groups
    ]


def _validate(
    session_type: SessionType,
    room: Room,
    staff: list[Staff],
    clinic: Clinic,
    *,
    require_active: bool = True,
) -> None:
    if session_type.clinic_id not in (None, clinic.id):
        raise InvalidInput("session_type", "This session type belongs to another clinic.")
    if require_active and not session_type.active:
        raise InvalidInput("session_type", "This session type is no longer offered.")
    if session_type.group_capacity < 2:
        raise InvalidInput(
            "session_type", f"{session_type.name} is not a group session (group capacity 1)."
        )
    if session_type.is_telehealth:
        raise InvalidInput("session_type", "Group sessions meet in a room.")
    if room.kind != session_type.room_kind or not room.active:
        raise InvalidInput(
            "room",
            f"{room.name} cannot host {session_type.name}: it needs an active "
            f"{session_type.room_kind} room.",
        )
    if len({s.id for s in staff}) != len(staff):
        raise InvalidInput("staff", "A facilitator is listed twice.")
    if len(staff) < session_type.facilitators_required:
        raise InvalidInput(
            "staff",
            f"{session_type.name} needs {session_type.facilitators_required} facilitators; "
            f"{len(staff)} given.",
        )
    for member in staff:
        if member.clinic_id != clinic.id or not member.active:
            raise InvalidInput("staff", f"{member.name} does not work at this clinic.")
        if session_type.staff_role and member.role != session_type.staff_role:
            raise InvalidInput(
                "staff",
                f"{member.name} is a {member.get_role_display().lower()}; "
                f"{session_type.name} needs a {session_type.get_staff_role_display().lower()}.",
            )


def group_session_create(
    *,
    actor,
    session_type: SessionType,
    room: Room,
    start: datetime,
    staff: list[Staff],
    now: datetime,
) -> GroupSessionView:
    """Schedule a group session and hold its facilitators' time (400 or 409, else 201)."""
    clinic = room.clinic
    _validate(session_type, room, staff, clinic)
    spec = spec_of(session_type)
    with concurrency_conflicts(), transaction.atomic():
        resources = resources_fetch(clinic, [session_type], room_id=room.id)[session_type.id]
        resources_lock(clinic_ids=[clinic.id], staff_ids=[s.id for s in staff])
        return _group_create_locked(
            actor=actor,
            clinic=clinic,
            session_type=session_type,
            room=room,
            start=start,
            staff=staff,
            now=now,
            spec=spec,
            resources=resources,
        )


def _group_time_check(board, spec, *, start, staff, clinic, now, verb: str) -> None:
    """The group's own time: calendar (400 naming start), facilitators and prescriber (409)."""
    # The calendar (past, hours, closures) through the one rule; seats are the enrolments'.
    result = placement_check(board, replace(spec, needs_staff=False), start, now=now)
    if not isinstance(result, Placement):
        bad_time = [c for c in result if c.resource in INPUT_CLASHES]
        if bad_time:
            raise InvalidInput("start", " ".join(c.message for c in bad_time))
    end, recovery_end = start + spec.in_room, start + spec.total
    clashes = _facilitator_clashes(board, staff, start, end, clinic)
    if spec.needs_prescriber and board.capacity is not None:
        gap = prescriber_gap(board.capacity, start, recovery_end)
        if gap is not None:
            clashes.append(
                Clash(
                    "prescriber",
                    f"No prescriber is on site at {gap.astimezone(clinic.zone):%H:%M}.",
                )
            )
    if clashes:
        raise Conflict(
            f"The group session cannot be {verb}: " + " ".join(c.message for c in clashes),
            conflicts=clashes_as_conflicts(clashes, clinic),
        )


def _group_create_locked(*, actor, clinic, session_type, room, start, staff, now, spec, resources):
    board = board_fetch(
        clinic=clinic,
        session_type=session_type,
        date_from=local_date_of(clinic, start),
        date_to=local_date_of(clinic, start + spec.total),
        resources=resources,
    )
    _group_time_check(
        board, spec, start=start, staff=staff, clinic=clinic, now=now, verb="scheduled"
    )
    end, recovery_end = start + spec.in_room, start + spec.total
    creator = actor if actor is not None and actor.is_authenticated else None
    group = GroupSession.objects.create(
        clinic=clinic,
        session_type=session_type,
        room=room,
        start=start,
        end=end,
        recovery_end=recovery_end,
        created_by=creator,
    )
    group.staff.set(staff)
    Hold.objects.bulk_create(
        Hold(group_session=group, kind=HoldKind.STAFF, staff=s, start=start, end=end) for s in staff
    )
    return GroupSessionView(group, group_capacity_of(session_type, room), 0)


def _facilitator_clashes(board, staff, start, end, clinic) -> list[Clash]:
    day = board.calendar.local_date(start)
    refs = {ref.staff_id: ref for ref in board.staff}
    clashes = []
    for member in staff:
        ref = refs.get(member.id)
        windows = ref.hours.windows_on(day, board.calendar.tz) if ref else []
        if not any(w.start <= start and end <= w.end for w in windows):
            clashes.append(Clash("staff", f"{member.name} is not working then."))
            continue
        busy = board.staff_busy.get(member.id)
        if busy is not None and not busy.is_free_between(start, end):
            taken = tuple(busy.conflicts(Span(start, end)))
            clashes.append(Clash("staff", f"{member.name} is busy then.", taken))
    return clashes


def _group_locked(group_id: int) -> GroupSession:
    """Re-read the group under its row lock: enrolments of one group queue here."""
    return (
        GroupSession.objects.select_for_update(of=("self",), no_key=True)
        .select_related("clinic", "session_type", "room")
        .prefetch_related("room__seats", "staff")
        .get(pk=group_id)
    )


def group_session_enroll(
    *, actor, group: GroupSession, patient: Patient, now: datetime
) -> Appointment:
    """Enrol one patient: an appointment with its own seat and recovery holds, or 409."""
    session_type = group.session_type
    if patient.clinic_id != group.clinic_id:
        raise InvalidInput("patient", "This patient belongs to another clinic.")
    problems = patient_eligibility_problems(patient, session_type)
    if problems:
        raise InvalidInput("patient", " ".join(problems))
    clinic = patient_clinic_fetch(patient)
    spec = replace(spec_of(session_type), needs_staff=False)
    with concurrency_conflicts(), transaction.atomic():
        current = _group_locked(group.id)
        if current.status != GroupSessionStatus.SCHEDULED:
            raise Conflict("This group session is cancelled.", extra={"status": current.status})
        resources = resources_fetch(clinic, [session_type], room_id=current.room_id)[
            session_type.id
        ]
        resources_lock(
            clinic_ids=[clinic.id], patient_ids=[patient.id], seat_ids=resources.seat_ids
        )
        enrolled = list(
            Appointment.objects.filter(
                group_session=current, status__in=ACTIVE_STATUSES
            ).values_list("patient_id", flat=True)
        )
        capacity = group_capacity_of(session_type, current.room)
        if patient.id in enrolled:
            raise Conflict(f"{patient.full_name} is already enrolled in this group session.")
        if len(enrolled) >= capacity:
            raise Conflict(
                f"This group session is full ({capacity} places).",
                conflicts=[{"resource": "group", "message": "No place left.", "busy": []}],
                extra={"capacity": capacity, "enrolled": len(enrolled)},
            )
        board = board_fetch(
            clinic=clinic,
            session_type=session_type,
            date_from=local_date_of(clinic, current.start),
            date_to=local_date_of(clinic, current.recovery_end),
            patient=patient,
            resources=resources,
        )
        result = placement_check(board, spec, current.start, now=now)
        if not isinstance(result, Placement):
            raise Conflict(
                f"{patient.full_name} cannot join this group session: "
                + " ".join(c.message for c in result),
                conflicts=clashes_as_conflicts(result, clinic),
            )
        appointment = appointment_insert(
            placement=result,
            patient=patient,
            session_type=session_type,
            actor=actor,
            now=now,
            escort=Escort(patient.escort_name, patient.escort_phone),
        )
        facilitators = sorted(current.staff.all(), key=lambda s: s.name)
        appointment.group_session = current
        appointment.staff = facilitators[0] if facilitators else None
        appointment.save(update_fields=["group_session", "staff"])
        return appointment


def group_session_reschedule(
    *,
    actor,
    group: GroupSession,
    start: datetime,
    now: datetime,
    room: Room | None = None,
    staff: list[Staff] | None = None,
    note: str = "",
) -> GroupSessionView:
    """Move a group session, and every booked place in it, to ``start`` (all or nothing).

    The same checks as creating the session and enrolling each patient: the calendar (400
    naming ``start``), the facilitators working and free, a prescriber on site, a seat and
    recovery for every participant, each participant free that day, and the monitoring
    ratio with all of them recovering together; otherwise a 409 naming what clashes, and
    nothing is written. ``room`` and ``staff`` default to the current ones. Each moved
    appointment gets its audit entry and ``appointment.rescheduled`` event, as a single
    move does. Runs in the caller's transaction when there is one (plans checks a
    cohort's cadence first).
    """
    with concurrency_conflicts(), transaction.atomic():
        current = _group_locked(group.id)
        if current.status != GroupSessionStatus.SCHEDULED:
            raise Conflict("This group session is cancelled.", extra={"status": current.status})
        clinic, session_type = current.clinic, current.session_type
        room = room if room is not None else current.room
        staff = list(staff) if staff is not None else list(current.staff.all())
        if room.clinic_id != clinic.id:
            raise InvalidInput("room", f"{room.name} belongs to another clinic.")
        # A type retired after scheduling still has its scheduled groups to look after.
        _validate(session_type, room, staff, clinic, require_active=False)
        enrolments = [
            appointment_lock(a.id)
            for a in Appointment.objects.filter(group_session=current, status__in=ACTIVE_STATUSES)
            .only("id")
            .order_by("id")
        ]
        _group_movable(enrolments)
        capacity = group_capacity_of(session_type, room)
        if len(enrolments) > capacity:
            raise Conflict(
                f"{room.name} has {capacity} places; {len(enrolments)} patients are enrolled.",
                conflicts=[{"resource": "group", "message": "Too few places.", "busy": []}],
                extra={"capacity": capacity, "enrolled": len(enrolments)},
            )
        spec = spec_of(session_type)
        resources = resources_fetch(clinic, [session_type], room_id=room.id)[session_type.id]
        resources_lock(
            clinic_ids=[clinic.id],
            patient_ids=[a.patient_id for a in enrolments],
            seat_ids=resources.seat_ids,
            staff_ids=[s.id for s in staff],
        )
        # The group's own facilitator holds must not stand in the way of its new time.
        current.staff_holds.filter(active=True).delete()
        moved = [a.id for a in enrolments]
        board = board_fetch(
            clinic=clinic,
            session_type=session_type,
            date_from=local_date_of(clinic, start),
            date_to=local_date_of(clinic, start + spec.total),
            exclude_appointment_ids=moved,
            resources=resources,
        )
        _group_time_check(
            board, spec, start=start, staff=staff, clinic=clinic, now=now, verb="moved"
        )
        placements = _enrolments_place(board, spec, enrolments, start=start, now=now)
        current.start, current.room = start, room
        current.end, current.recovery_end = start + spec.in_room, start + spec.total
        current.sequence += 1
        current.save()
        current.staff.set(staff)
        Hold.objects.bulk_create(
            Hold(group_session=current, kind=HoldKind.STAFF, staff=s, start=start, end=current.end)
            for s in staff
        )
        lead = min(staff, key=lambda s: (s.name, s.id)).id if staff else None
        for appointment, placement in placements:
            appointment_move(
                appointment,
                placement,
                actor=actor,
                now=now,
                note=note or f"Group session {current.id} moved.",
                lead_staff_id=lead,
            )
        return GroupSessionView(current, capacity, len(enrolments))


def _group_movable(enrolments: list[Appointment]) -> None:
    """409 naming the participants whose session has begun: their places cannot move."""
    begun = [a for a in enrolments if a.status != AppointmentStatus.BOOKED]
    if begun:
        names = ", ".join(
            f"{a.patient.full_name} ({a.get_status_display().lower()})" for a in begun
        )
        raise Conflict(
            f"The group session has begun and cannot be moved: {names}.",
            conflicts=[
                {
                    "resource": "appointment",
                    "message": f"Appointment {a.id} is {a.status}.",
                    "busy": [],
                }
                for a in begun
            ],
        )


def _enrolments_place(board, spec, enrolments, *, start, now):
    """Place every participant at ``start`` on one board, each reserving what they take, so
    the next sees their seat and their recovery in the monitoring ratio; 409 naming every
    participant who cannot come."""
    if not enrolments:
        return []
    window = Span(start, start + spec.total)
    busy = patients_busy_fetch(
        [a.patient_id for a in enrolments],
        board.calendar,
        Span(window.start - timedelta(days=1), window.end + timedelta(days=1)),
        exclude_appointment_ids=[a.id for a in enrolments],
    )
    spec = replace(spec, needs_staff=False)
    placed, refused = [], []
    for appointment in enrolments:
        patient_busy, dosing_days = busy[appointment.patient_id]
        mine = replace(board, patient_busy=patient_busy, patient_dosing_days=dosing_days)
        result = placement_check(mine, spec, start, now=now)
        if isinstance(result, Placement):
            board_reserve(mine, result)
            placed.append((appointment, result))
        else:
            refused.append((appointment, result))
    if refused:
        clinic = enrolments[0].clinic
        raise Conflict(
            "The group session cannot be moved: "
            + " ".join(
                f"{a.patient.full_name}: " + " ".join(c.message for c in clashes)
                for a, clashes in refused
            ),
            conflicts=[
                {**conflict, "appointment": a.id}
                for a, clashes in refused
                for conflict in clashes_as_conflicts(clashes, clinic)
            ],
        )
    return placed


def group_session_cancel(
    *, actor, group: GroupSession, reason: str, now: datetime
) -> GroupSessionView:
    """Cancel the group and every enrolment still to come, with the reason on each."""
    with transaction.atomic():
        current = _group_locked(group.id)
        if current.status == GroupSessionStatus.CANCELLED:
            raise Conflict(
                "This group session is already cancelled.", extra={"status": current.status}
            )
        for appointment in Appointment.objects.filter(
            group_session=current, status__in=CANCELLABLE
        ).order_by("id"):
            appointment_cancel(
                actor=actor,
                appointment=appointment,
                reason=f"Group session cancelled: {reason}",
                now=now,
            )
        current.status = GroupSessionStatus.CANCELLED
        current.sequence += 1
        current.cancel_reason = reason
        current.cancelled_at = now
        current.cancelled_by = actor if actor is not None and actor.is_authenticated else None
        current.save()
        current.staff_holds.update(active=False)
        return group_sessions_view([current])[0]

"""Booking operations: book, reschedule and cancel one appointment.

Each write follows fetch -> compute -> persist: validate the request against the rows it
names, take row locks, load the calendar window into plain data, let the pure placement
check decide, then write the appointment, its holds and an audit entry in the same
transaction. The pure check is the same one availability search uses, so a slot offered
on a quiet calendar is a slot that books.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import DatabaseError, IntegrityError, OperationalError, transaction

from backend.common.db import (
    constraint_violated,
    deadlock_detected,
    rows_insert,
    rows_insert_together,
)
from backend.common.errors import Conflict, InvalidInput
from backend.common.fields import local_iso
from backend.scheduling.authorizations.services import (
    authorization_claim,
    authorization_recheck,
)
from backend.scheduling.booking.audit import appointment_event_record, field_changes
from backend.scheduling.booking.availability import (
    Board,
    Clash,
    Placement,
    next_free_start,
    placement_check,
)
from backend.scheduling.booking.fetch import (
    Resources,
    board_fetch,
    clinic_fetch,
    local_date_of,
    patient_clinic_fetch,
    resources_fetch,
    spec_of,
)
from backend.scheduling.booking.locks import appointment_lock, resources_lock
from backend.scheduling.booking.models import (
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    Hold,
    HoldKind,
)
from backend.scheduling.outbox.models import EventType
from backend.scheduling.outbox.services import appointments_emit, appointments_event_rows
from backend.scheduling.resources.choices import ScreeningStatus
from backend.scheduling.resources.models import Patient, Room, Seat, SessionType, Staff

# Clashes that mean the requested time itself is wrong (400), not that someone else holds
# the resources (409).
INPUT_CLASHES = {"past", "hours", "closure"}


@dataclass(frozen=True)
class Escort:
    name: str = ""
    phone: str = ""


def patient_eligibility_problems(patient: Patient, session_type: SessionType) -> list[str]:
    """What stops this patient from having this session type, in words for the front desk."""
    problems = []
    if not patient.active:
        problems.append(f"{patient.full_name} is not an active patient.")
    if session_type.is_dosing and patient.screening_status != ScreeningStatus.CLEARED:
        problems.append(
            f"Screening for {patient.full_name} is "
            f"{patient.get_screening_status_display().lower()}; dosing sessions need it cleared."
        )
    if session_type.requires_rems and patient.rems_enrolled_on is None:
        problems.append(
            f"{patient.full_name} has no REMS enrollment date on file; "
            f"{session_type.name} needs it before the first dose."
        )
    return problems


def _iso(value: datetime, clinic) -> str:
    return local_iso(value, clinic.zone)


def clashes_as_conflicts(clashes: list[Clash], clinic) -> list[dict[str, Any]]:
    return [
        {
            "resource": clash.resource,
            "message": clash.message,
            "busy": [
                {"start": _iso(s.start, clinic), "end": _iso(s.end, clinic)} for s in clash.spans
            ],
        }
        for clash in clashes
    ]


# How far ahead a 409 looks for the next free start, in local days from the one asked for.
NEXT_FREE_DAYS = 28


def clashes_raise(
    clashes: list[Clash],
    *,
    clinic,
    board,
    spec,
    start,
    now,
    staff_id,
    board_over: Callable[[date, date], Board],
) -> None:
    """Turn a failed placement check into the right error: 400 for a bad time, else 409.

    The 409 names the next free start. It is looked for first on ``board`` (the days of
    the start asked for, already read); only when those days have none is a board over
    the next ``NEXT_FREE_DAYS`` days read (``board_over(first day, last day)``): a board
    knows nothing of the days outside it, and would offer a start there that is taken.
    """
    bad_time = [c for c in clashes if c.resource in INPUT_CLASHES]
    if bad_time:
        raise InvalidInput("start", " ".join(c.message for c in bad_time))
    first_day = local_date_of(clinic, max(start, now))
    read_days = (local_date_of(clinic, start + spec.total) - first_day).days + 1
    nxt = next_free_start(
        board, spec, start, now=now, preferred_staff_id=staff_id, horizon_days=max(1, read_days)
    )
    if nxt is None and read_days < NEXT_FREE_DAYS:
        nxt = next_free_start(
            board_over(first_day, first_day + timedelta(days=NEXT_FREE_DAYS - 1)),
            spec,
            start,
            now=now,
            preferred_staff_id=staff_id,
            horizon_days=NEXT_FREE_DAYS,
        )
    detail = "This time is not free: " + " ".join(c.message for c in clashes)
    if nxt is not None:
        detail += f" The next free start is {_iso(nxt.start, clinic)}."
    raise Conflict(
        detail,
        conflicts=clashes_as_conflicts(clashes, clinic),
        extra={"next_free_start": _iso(nxt.start, clinic) if nxt is not None else None},
    )


def integrity_conflict(exc: DatabaseError) -> Conflict | None:
    """The 409 for a write the database refused because of a concurrent one, if it was."""
    constraint = constraint_violated(exc)
    if constraint == "hold_no_seat_overlap":
        return Conflict("A seat was taken by another booking at the same moment; try again.")
    if constraint == "hold_no_staff_overlap":
        return Conflict("The staff member was booked by someone else at the same moment.")
    if deadlock_detected(exc):
        # Writers lock in one order (plan, appointments, then patients, seats and staff by
        # id), so this should not happen; if a path ever locks out of order, PostgreSQL
        # breaks the tie by aborting one writer, and that writer answers 409, not 500.
        return Conflict(
            "Another change to the same calendar happened at the same moment; try again."
        )
    return None


@contextmanager
def concurrency_conflicts() -> Iterator[None]:
    """Turn the database's own refusals of a concurrent write into a 409 instead of a 500."""
    try:
        yield
    except (IntegrityError, OperationalError) as exc:
        conflict = integrity_conflict(exc)
        if conflict is None:
            raise
        raise conflict from exc


def _holds_for(appointment: Appointment, placement: Placement) -> list[Hold]:
    holds = []
    for kind, resource_id, span in placement.holds():
        is_staff = kind == HoldKind.STAFF
        holds.append(
            Hold(
                appointment=appointment,
                kind=kind,
                seat_id=None if is_staff else resource_id,
                staff_id=resource_id if is_staff else None,
                start=span.start,
                end=span.end,
            )
        )
    return holds


def holds_create(appointment: Appointment, placement: Placement) -> list[Hold]:
    return rows_insert(_holds_for(appointment, placement))


@dataclass(frozen=True)
class NewAppointment:
    """One already-checked placement to write, with what the appointment row needs."""

    placement: Placement
    patient: Patient
    session_type: SessionType
    escort: Escort
    notes: str = ""
    plan_id: int | None = None
    ordinal: int | None = None
    authorization_id: int | None = None
    authorization_override: str = ""


def _video_links(items: list["NewAppointment"]) -> dict[int, str]:
    """The staff members' video links for the telehealth items (1 query, only if any)."""
    ids = {
        i.placement.staff.staff_id
        for i in items
        if i.session_type.is_telehealth and i.placement.staff is not None
    }
    if not ids:
        return {}
    return dict(Staff.objects.filter(id__in=ids).values_list("id", "video_link"))


def appointments_insert(items: list[NewAppointment], *, actor, now: datetime) -> list[Appointment]:
    """Write already-checked placements in two statements, whatever their number.

    Callers hold the locks and the transaction. A whole course books with the same
    statements as a single session: the appointments (their ids read back), then their
    holds, audit entries and outbox events together (``rows_insert_together``). Each
    appointment returned carries the holds written for it as ``written_holds``.
    """
    creator = actor if actor is not None and actor.is_authenticated else None
    links = _video_links(items)
    appointments = rows_insert(
        [
            Appointment(
                clinic_id=item.patient.clinic_id,
                patient=item.patient,
                session_type=item.session_type,
                room_id=item.placement.seat.room_id if item.placement.seat else None,
                seat_id=item.placement.seat.seat_id if item.placement.seat else None,
                staff_id=item.placement.staff.staff_id if item.placement.staff else None,
                start=item.placement.start,
                end=item.placement.end,
                recovery_end=item.placement.recovery_end,
                escort_name=item.escort.name,
                escort_phone=item.escort.phone,
                video_link=links.get(item.placement.staff.staff_id, "")
                if item.placement.staff and item.session_type.is_telehealth
                else "",
                notes=item.notes,
                plan_id=item.plan_id,
                ordinal=item.ordinal,
                authorization_id=item.authorization_id,
                created_by=creator,
            )
            for item in items
        ]
    )
    holds_by_appointment = [
        _holds_for(a, item.placement) for a, item in zip(appointments, items, strict=True)
    ]
    for appointment, holds in zip(appointments, holds_by_appointment, strict=True):
        # What was just written is what a reader would fetch: no need to read it back.
        appointment.written_holds = holds
    audit = [
        AppointmentEvent(
            appointment=appointment,
            action="booked",
            actor=creator,
            at=now,
            changes={
                "start": [None, item.placement.start],
                "seat": [None, item.placement.seat.label if item.placement.seat else "video"],
                **(
                    {"authorization": [None, item.authorization_id]}
                    if item.authorization_id
                    else {}
                ),
            },
            note=f"Authorization override: {item.authorization_override}"
            if item.authorization_override
            else "",
        )
        for appointment, item in zip(appointments, items, strict=True)
    ]
    # The rows that follow the appointments, none read back: one statement.
    rows_insert_together(
        [
            [hold for holds in holds_by_appointment for hold in holds],
            audit,
            appointments_event_rows(appointments, type=EventType.APPOINTMENT_BOOKED, now=now),
        ]
    )
    return appointments


def appointment_insert(
    *,
    placement: Placement,
    patient: Patient,
    session_type: SessionType,
    actor,
    now: datetime,
    escort: Escort,
    notes: str = "",
    plan_id: int | None = None,
    ordinal: int | None = None,
    authorization_id: int | None = None,
    authorization_override: str = "",
) -> Appointment:
    """Write one already-checked placement. Callers hold the locks and the transaction."""
    item = NewAppointment(
        placement,
        patient,
        session_type,
        escort,
        notes,
        plan_id,
        ordinal,
        authorization_id,
        authorization_override,
    )
    return appointments_insert([item], actor=actor, now=now)[0]


def _validate_choice(
    session_type, patient, *, room=None, seat=None, staff=None, require_active=True
) -> None:
    clinic_id = patient.clinic_id
    if session_type.clinic_id not in (None, clinic_id):
        raise InvalidInput("session_type", "This session type belongs to another clinic.")
    if require_active and not session_type.active:
        raise InvalidInput("session_type", "This session type is no longer offered.")
    if room is not None:
        if room.clinic_id != clinic_id:
            raise InvalidInput("room", "This room belongs to another clinic.")
        if room.kind != session_type.room_kind:
            raise InvalidInput(
                "room",
                f"{room.name} is a {room.get_kind_display().lower()} room; "
                f"{session_type.name} needs a {session_type.get_room_kind_display().lower()} room.",
            )
        if not room.active:
            raise InvalidInput("room", f"{room.name} is not in use.")
        allowed = list(session_type.rooms.filter(clinic_id=clinic_id).values_list("id", flat=True))
        if allowed and room.id not in allowed:
            raise InvalidInput("room", f"{session_type.name} is not given in {room.name}.")
    if seat is not None:
        if room is not None and seat.room_id != room.id:
            raise InvalidInput("seat", "This seat is not in the chosen room.")
        if seat.room.clinic_id != clinic_id or seat.room.kind != session_type.room_kind:
            raise InvalidInput("seat", "This seat cannot host this session type.")
    if staff is not None:
        if staff.clinic_id != clinic_id:
            raise InvalidInput("staff", "This staff member works at another clinic.")
        if not session_type.staff_role:
            raise InvalidInput("staff", f"{session_type.name} needs no staff member.")
        if staff.role != session_type.staff_role:
            raise InvalidInput(
                "staff",
                f"{staff.name} is a {staff.get_role_display().lower()}; "
                f"{session_type.name} needs a {session_type.get_staff_role_display().lower()}.",
            )


def _check_eligible(patient: Patient, session_type: SessionType) -> None:
    problems = patient_eligibility_problems(patient, session_type)
    if problems:
        raise InvalidInput("patient", " ".join(problems))


def placement_locked(
    *,
    clinic,
    session_type: SessionType,
    patient: Patient,
    start: datetime,
    now: datetime,
    room_id: int | None = None,
    staff: Staff | None = None,
    preferred_staff_id: int | None = None,
    seat_id: int | None = None,
    exclude_appointment_ids: list[int] | tuple[int, ...] = (),
) -> tuple[Placement, Resources]:
    """Lock what the session could use, re-read the calendar, and check the exact start.

    Runs inside the caller's transaction. Busy spans are read only once the locks are
    held, so no concurrent commit can slip between this check and the caller's write.
    Raises the 400 or 409 that the clashes call for; a named staff member must be the
    one placed.
    """
    spec = spec_of(session_type)
    # The staff's absences are read with the calendar, once the locks are held.
    resources = resources_fetch(clinic, [session_type], room_id=room_id, absences=False)[
        session_type.id
    ]
    resources_lock(
        clinic_ids=[clinic.id] if spec.recovery else [],
        patient_ids=[patient.id],
        seat_ids=resources.seat_ids,
        staff_ids=resources.staff_ids,
    )
    board = board_fetch(
        clinic=clinic,
        session_type=session_type,
        date_from=local_date_of(clinic, start),
        date_to=local_date_of(clinic, start + spec.total),
        patient=patient,
        exclude_appointment_ids=exclude_appointment_ids,
        resources=resources,
    )
    wanted = staff.id if staff else preferred_staff_id
    result = placement_check(
        board, spec, start, now=now, preferred_staff_id=wanted, seat_id=seat_id
    )
    if (
        staff is not None
        and isinstance(result, Placement)
        and (result.staff is None or result.staff.staff_id != staff.id)
    ):
        result = _staff_clash(result, staff, clinic.zone)
    if not isinstance(result, Placement):
        clashes_raise(
            result,
            clinic=clinic,
            board=board,
            spec=spec,
            start=start,
            now=now,
            staff_id=wanted,
            board_over=lambda date_from, date_to: board_fetch(
                clinic=clinic,
                session_type=session_type,
                date_from=date_from,
                date_to=date_to,
                patient=patient,
                exclude_appointment_ids=exclude_appointment_ids,
                resources=resources,
            ),
        )
    return result, resources


def appointment_book(
    *,
    actor,
    patient: Patient,
    session_type: SessionType,
    start: datetime,
    now: datetime,
    staff: Staff | None = None,
    room: Room | None = None,
    seat: Seat | None = None,
    escort: Escort | None = None,
    notes: str = "",
    authorization_override: str = "",
    video_link: str = "",
) -> Appointment:
    """Book one session outside a plan, with every rule checked under locks."""
    _validate_choice(session_type, patient, room=room, seat=seat, staff=staff)
    if session_type.is_telehealth and (room is not None or seat is not None):
        raise InvalidInput("room", f"{session_type.name} is a video visit: it takes no room.")
    if video_link and not session_type.is_telehealth:
        raise InvalidInput("video_link", f"{session_type.name} is not a video visit.")
    _check_eligible(patient, session_type)
    if escort is None or not escort.name:
        escort = Escort(patient.escort_name, patient.escort_phone)
    clinic = patient_clinic_fetch(patient)
    room_id = seat.room_id if seat is not None else (room.id if room is not None else None)
    with concurrency_conflicts(), transaction.atomic():
        result, resources = placement_locked(
            clinic=clinic,
            session_type=session_type,
            patient=patient,
            start=start,
            now=now,
            room_id=room_id,
            staff=staff,
            seat_id=seat.id if seat else None,
        )
        authorization_id = authorization_claim(
            patient=patient,
            session_type=session_type,
            start=start,
            clinic=clinic,
            override=authorization_override,
        )
        appointment = appointment_insert(
            placement=result,
            patient=patient,
            session_type=session_type,
            actor=actor,
            now=now,
            escort=escort,
            notes=notes,
            authorization_id=authorization_id,
            authorization_override=authorization_override
            if session_type.requires_authorization and authorization_id is None
            else "",
        )
        if video_link:
            appointment.video_link = video_link
            appointment.save(update_fields=["video_link"])
        return appointment_attach(appointment, clinic=clinic, resources=resources)


def appointment_attach(appointment: Appointment, *, clinic, resources: Resources) -> Appointment:
    """Attach the rows a reader of the new appointment needs, already loaded for the check.

    The caller can then render it without reading it back (a join across six tables).
    """
    appointment.clinic = clinic
    appointment.seat = resources.seat_rows.get(appointment.seat_id)
    appointment.room = appointment.seat.room if appointment.seat else None
    appointment.staff = resources.staff_rows.get(appointment.staff_id)
    for hold in appointment.written_holds:
        if hold.seat_id is not None:
            hold.seat = resources.seat_rows[hold.seat_id]
    return appointment


def _staff_clash(placement: Placement, staff: Staff, zone) -> list[Clash]:
    start, end = placement.start.astimezone(zone), placement.end.astimezone(zone)
    return [
        Clash(
            resource="staff",
            message=f"{staff.name} is not working or not free {start:%H:%M}-{end:%H:%M} "
            f"on {start:%Y-%m-%d}.",
            spans=(),
        )
    ]


def _snapshot(appointment: Appointment) -> dict[str, Any]:
    return {
        "start": appointment.start,
        "end": appointment.end,
        "recovery_end": appointment.recovery_end,
        "room": appointment.room_id,
        "seat": appointment.seat_id,
        "staff": appointment.staff_id,
        "authorization": appointment.authorization_id,
    }


def appointment_move(
    appointment: Appointment,
    placement: Placement,
    *,
    actor,
    now: datetime,
    action: str = "rescheduled",
    note: str = "",
    lead_staff_id: int | None = None,
) -> Appointment:
    """Write a checked new placement for an existing appointment (caller holds the locks).

    ``lead_staff_id`` names the staff member of a placement that holds none: a group
    enrolment names its group's lead facilitator, whose time the group itself holds.
    """
    before = _snapshot(appointment)
    appointment.authorization_id = authorization_recheck(
        authorization_id=appointment.authorization_id,
        patient_id=appointment.patient_id,
        session_type=appointment.session_type,
        clinic=appointment.clinic,
        start=placement.start,
    )
    appointment.holds.all().delete()
    appointment.start = placement.start
    appointment.end = placement.end
    appointment.recovery_end = placement.recovery_end
    appointment.room_id = placement.seat.room_id if placement.seat else None
    appointment.seat_id = placement.seat.seat_id if placement.seat else None
    appointment.staff_id = placement.staff.staff_id if placement.staff else lead_staff_id
    appointment.sequence += 1
    appointment.save()
    holds_create(appointment, placement)
    if before["start"] != appointment.start:
        # The reminder already sent names the old time: let the next run send a fresh one.
        appointment.reminders_sent.all().delete()
    appointment_event_record(
        appointment,
        action=action,
        actor=actor,
        at=now,
        changes=field_changes(before, _snapshot(appointment)),
        note=note,
    )
    appointments_emit([appointment], type=EventType.APPOINTMENT_RESCHEDULED, now=now)
    return appointment


def appointment_reschedule_lock(
    *, appointment: Appointment, staff: Staff | None = None, room: Room | None = None
) -> Appointment:
    """First step of a move, inside the caller's transaction: check the choice, lock the row.

    Answers 400 for a room or staff member the session cannot have, then 409 unless the
    appointment is still booked; returns the row re-read under its lock. A caller that
    locks more for the same move (plans locks a course's resources) does so between this
    step and ``appointment_reschedule_place``, keeping the one lock order of every writer:
    appointments first, then patients, seats and staff.
    """
    # A type retired after booking still has its booked sessions to look after.
    _validate_choice(
        appointment.session_type,
        appointment.patient,
        room=room,
        staff=staff,
        require_active=False,
    )
    current = appointment_lock(appointment.id)
    if current.status != AppointmentStatus.BOOKED:
        raise Conflict(
            f"Only booked appointments can be moved; this one is "
            f"{current.get_status_display().lower()}.",
            extra={"status": current.status},
        )
    if current.group_session_id is not None:
        # Alone it would leave its group (room, facilitators, the others' time).
        raise Conflict(
            "This is a place in a group session: move the group session instead "
            f"(group-sessions/{current.group_session_id}/reschedule/).",
            extra={"group_session": current.group_session_id},
        )
    return current


def appointment_reschedule_place(
    *,
    actor,
    appointment: Appointment,
    start: datetime,
    now: datetime,
    staff: Staff | None = None,
    room: Room | None = None,
) -> Appointment:
    """Second step: check the new start under resource locks (400 or 409), then write it.

    ``appointment`` is the row ``appointment_reschedule_lock`` returned in the same
    transaction; its old holds do not block it.
    """
    result, _ = placement_locked(
        clinic=clinic_fetch(appointment.clinic_id),
        session_type=appointment.session_type,
        patient=appointment.patient,
        start=start,
        now=now,
        room_id=room.id if room else None,
        staff=staff,
        preferred_staff_id=appointment.staff_id,
        exclude_appointment_ids=[appointment.id],
    )
    return appointment_move(appointment, result, actor=actor, now=now)


def appointment_reschedule(
    *,
    actor,
    appointment: Appointment,
    start: datetime,
    now: datetime,
    staff: Staff | None = None,
    room: Room | None = None,
) -> Appointment:
    """Move one appointment on its own, with every rule checked under locks.

    Moving a session of a treatment plan together with the later ones (``cascade``) is the
    plans app's service, which runs the two steps above around its own locks.
    """
    with concurrency_conflicts(), transaction.atomic():
        current = appointment_reschedule_lock(appointment=appointment, staff=staff, room=room)
        return appointment_reschedule_place(
            actor=actor, appointment=current, start=start, now=now, staff=staff, room=room
        )


CANCELLABLE = (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN)


def appointment_cancel(
    *, actor, appointment: Appointment, reason: str, now: datetime
) -> Appointment:
    """Cancel, keeping the row (who, when, why) and freeing its seats and staff."""
    with transaction.atomic():
        current = appointment_lock(appointment.id)
        if current.status not in CANCELLABLE:
            raise Conflict(
                f"This appointment is {current.get_status_display().lower()} and cannot be "
                "cancelled.",
                extra={"status": current.status},
            )
        before_status = current.status
        current.status = AppointmentStatus.CANCELLED
        current.cancel_reason = reason
        current.cancelled_at = now
        current.cancelled_by = actor if actor is not None and actor.is_authenticated else None
        current.sequence += 1
        current.save()
        current.holds.update(active=False)
        appointment_event_record(
            current,
            action="cancelled",
            actor=actor,
            at=now,
            changes={"status": [before_status, AppointmentStatus.CANCELLED]},
            note=reason,
        )
        appointments_emit([current], type=EventType.APPOINTMENT_CANCELLED, now=now)
        return current

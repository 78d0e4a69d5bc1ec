"""A closure that falls on booked sessions: save it and move each session it hits.

Plans coordinates because a session of a course moves with its cascade (the later
sessions keep their cadence). Everything happens in one transaction: if any session
finds no new start, nothing is saved, not even the closure.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction

from backend.common.errors import Conflict
from backend.plans.services.reschedule import plan_session_reschedule
from backend.scheduling.absences.services import appointment_reassignment_propose
from backend.scheduling.booking.models import Appointment, AppointmentStatus
from backend.scheduling.resources.models import Clinic, Closure
from backend.scheduling.setup.services import closure_affected, closure_create


@dataclass(frozen=True)
class Move:
    appointment: Appointment
    old_start: datetime | None  # None: moved by a course's cascade
    new_start: datetime


def closure_create_and_move(
    *, actor, clinic: Clinic, start_date: date, end_date: date, reason: str, now: datetime
) -> tuple[Closure, list[Move]]:
    """Save the closure, then move every booked session it hits to its nearest free start
    (course sessions through the cascade); 409 naming the first that cannot move."""
    moves: list[Move] = []
    with transaction.atomic():
        hit = closure_affected(clinic=clinic, start_date=start_date, end_date=end_date, now=now)
        closure = closure_create(
            clinic=clinic, start_date=start_date, end_date=end_date, reason=reason
        )
        for appointment in hit:
            current = Appointment.objects.with_details().get(pk=appointment.pk)
            if current.status != AppointmentStatus.BOOKED:
                raise Conflict(
                    f"{current.patient.full_name}'s session on {current.start:%Y-%m-%d} is "
                    f"{current.get_status_display().lower()} and cannot be moved; nothing "
                    "was saved.",
                )
            local = current.start.astimezone(clinic.zone).date()
            if not (start_date <= local <= end_date):
                continue  # an earlier session's cascade already moved it out
            proposal = appointment_reassignment_propose(appointment=current, now=now)
            if proposal.placement is None:
                raise Conflict(
                    f"No free start within four weeks for {current.patient.full_name}'s "
                    f"session on {local}; nothing was saved.",
                    conflicts=[{"appointment": current.id, "message": "no free start"}],
                )
            old = current.start
            moved, cascaded = plan_session_reschedule(
                actor=actor,
                appointment=current,
                start=proposal.placement.start,
                now=now,
                cascade=True,
            )
            moves.append(Move(moved, old, moved.start))
            moves.extend(Move(c, None, c.start) for c in cascaded)
    return closure, moves

"""Waitlist entries that name a plan session: plans resolves the session when an entry is
added, and on acceptance moves the booked session into the offered time through the
cascade (so later sessions keep the plan's cadence), all in one transaction.

Entries without a plan session are scheduling's alone (``scheduling.waitlist.services``);
these functions fall through to it.
"""

from datetime import date, datetime, time

from django.db import transaction

from backend.common.errors import Conflict, InvalidInput
from backend.plans.models import PlannedSession
from backend.plans.services.reschedule import plan_session_reschedule
from backend.scheduling.booking.models import Appointment, AppointmentStatus
from backend.scheduling.booking.services import concurrency_conflicts
from backend.scheduling.resources.models import Patient, SessionType, Staff
from backend.scheduling.waitlist.models import WaitlistEntry
from backend.scheduling.waitlist.services import (
    offer_book,
    offer_lock,
    offer_release,
    offer_taken,
    waitlist_entry_create,
)


def waitlist_entry_add(
    *,
    actor,
    patient: Patient,
    session_type: SessionType,
    date_from: date,
    date_to: date,
    now: datetime,
    planned_session: PlannedSession | None = None,
    weekdays: list[int] | None = None,
    earliest: time | None = None,
    latest: time | None = None,
    staff: Staff | None = None,
    urgent: bool = False,
    notes: str = "",
) -> WaitlistEntry:
    """Put a patient on the waitlist, optionally to bring one of their plan sessions forward."""
    link = {}
    if planned_session is not None:
        if planned_session.plan.patient_id != patient.id:
            raise InvalidInput("planned_session", "This session belongs to another patient.")
        if planned_session.session_type_id != session_type.id:
            raise InvalidInput(
                "session_type", "The session type differs from the planned session's."
            )
        current = planned_session.appointment
        if current is not None and current.status != AppointmentStatus.BOOKED:
            raise InvalidInput(
                "planned_session", f"This session is {current.get_status_display().lower()}."
            )
        link = {
            "planned_session": planned_session.id,
            "plan_id": planned_session.plan_id,
            "ordinal": planned_session.ordinal,
            "replaces": current,
        }
    return waitlist_entry_create(
        actor=actor,
        patient=patient,
        session_type=session_type,
        date_from=date_from,
        date_to=date_to,
        now=now,
        weekdays=weekdays,
        earliest=earliest,
        latest=latest,
        staff=staff,
        urgent=urgent,
        notes=notes,
        **link,
    )


def waitlist_offer_accept(*, actor, entry: WaitlistEntry, now: datetime) -> Appointment:
    """Accept an offer: 409 if it is gone (answered, withdrawn or expired).

    An entry that replaces a booked appointment (a plan session, or a patient's own request
    to reschedule) moves it to the offered start, a plan session with the cascade; if a
    later session cannot keep the cadence, the answer is 409 and the offer stays held. An
    entry for a plan session not booked yet books the offer as that session.
    """
    with concurrency_conflicts(), transaction.atomic():
        current = offer_lock(entry, now=now)
        booked = current.replaces
        if current.planned_session is not None:
            session = PlannedSession.objects.select_related("appointment").get(
                pk=current.planned_session
            )
            booked = session.appointment
            if booked is None or booked.status != AppointmentStatus.BOOKED:
                appointment = offer_book(current, actor=actor, now=now)
                session.appointment = appointment
                session.awaiting_authorization = False
                session.save(update_fields=["appointment", "awaiting_authorization"])
                return appointment
        if booked is None:
            return offer_book(current, actor=actor, now=now)
        if booked.status != AppointmentStatus.BOOKED:
            raise Conflict(
                f"The appointment this offer would replace is "
                f"{booked.get_status_display().lower()}.",
                extra={"status": booked.status},
            )
        offer = current.offer
        # The offer's holds make way for the session that moves into them.
        offer_release(
            current, actor=actor, now=now, reason="Waitlist offer taken: the session moved here."
        )
        moved, _ = plan_session_reschedule(
            actor=actor,
            appointment=booked,
            start=offer.start,
            now=now,
            staff=offer.staff,
            cascade=booked.plan_id is not None,
        )
        offer_taken(current, moved, actor=actor, now=now)
        return moved

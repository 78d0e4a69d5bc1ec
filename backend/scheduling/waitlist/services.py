"""Waitlist operations: add an entry, make offers, accept, decline, expire, withdraw.

Offers are made by background work (the task worker's ``waitlist`` task, or
``manage.py waitlist_offers``; both call ``waitlist_run``), never by the request that freed
the seat. An offer is written like a booking: the entry row is locked first, then the
patient, seats and staff (``placement_locked``), the exact start is re-checked, and a
provisional appointment in status ``offered`` takes ordinary holds on the seat, recovery
seat and staff member. Accepting flips it to booked; declining, expiry and withdrawal
cancel it, which frees the holds for the next entry.

Accepting an entry that names a plan session moves that session instead (plans'
cascade), so plans serves accept for those (``plans.services.waitlist``).
"""

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.dispatch import Signal

from backend.common.errors import Conflict, DomainError, InvalidInput
from backend.scheduling.authorizations.services import authorization_claim
from backend.scheduling.booking.audit import appointment_event_record
from backend.scheduling.booking.availability import Placement, slots_find
from backend.scheduling.booking.fetch import board_fetch, clinic_fetch, local_date_of, spec_of
from backend.scheduling.booking.locks import appointment_lock
from backend.scheduling.booking.models import Appointment, AppointmentStatus
from backend.scheduling.booking.services import (
    concurrency_conflicts,
    holds_create,
    patient_eligibility_problems,
    placement_locked,
)
from backend.scheduling.outbox.models import EventType, OutboxEvent
from backend.scheduling.outbox.services import appointments_emit, outbox_emit, utc_iso
from backend.scheduling.resources.models import Clinic, Patient, SessionType, Staff
from backend.scheduling.waitlist.matching import Wish, offer_expiry, start_fits, wishes_ranked
from backend.scheduling.waitlist.models import (
    OPEN_STATUSES,
    WaitlistEntry,
    WaitlistEvent,
    WaitlistStatus,
)

# How far ahead one run looks for a start (bounds the work of a wide window).
SEARCH_DAYS = 62

# Sent after a transaction that gave an offered seat back (declined, expired, withdrawn)
# has committed, so the worker can offer it to the next entry at once.
offers_released = Signal()


def _actor(actor):
    return actor if actor is not None and actor.is_authenticated else None


def waitlist_event_record(
    entry: WaitlistEntry, *, action: str, actor, at: datetime, changes=None, note: str = ""
) -> WaitlistEvent:
    return WaitlistEvent.objects.create(
        entry=entry, action=action, actor=_actor(actor), at=at, changes=changes or {}, note=note
    )


def _wake() -> None:
    offers_released.send_robust(sender=WaitlistEntry)


def waitlist_entry_create(
    *,
    actor,
    patient: Patient,
    session_type: SessionType,
    date_from: date,
    date_to: date,
    now: datetime,
    weekdays: list[int] | None = None,
    earliest: time | None = None,
    latest: time | None = None,
    staff: Staff | None = None,
    urgent: bool = False,
    notes: str = "",
    planned_session: int | None = None,
    plan_id: int | None = None,
    ordinal: int | None = None,
    replaces: Appointment | None = None,
) -> WaitlistEntry:
    if session_type.clinic_id not in (None, patient.clinic_id):
        raise InvalidInput("session_type", "This session type belongs to another clinic.")
    if not session_type.active:
        raise InvalidInput("session_type", "This session type is no longer offered.")
    if date_to < date_from:
        raise InvalidInput("date_to", "The last day is before the first.")
    if date_to < local_date_of(patient.clinic, now):
        raise InvalidInput("date_to", "The window has already passed.")
    if earliest and latest and latest < earliest:
        raise InvalidInput("preferences", "The latest start is before the earliest start.")
    if staff is not None and (
        staff.clinic_id != patient.clinic_id or staff.role != session_type.staff_role
    ):
        raise InvalidInput("preferences", "The preferred staff member cannot run this session.")
    problems = patient_eligibility_problems(patient, session_type)
    if problems:
        raise InvalidInput("patient", " ".join(problems))
    with transaction.atomic():
        entry = WaitlistEntry.objects.create(
            clinic_id=patient.clinic_id,
            patient=patient,
            session_type=session_type,
            date_from=date_from,
            date_to=date_to,
            pref_weekdays=sorted(set(weekdays or [])),
            pref_earliest=earliest,
            pref_latest=latest,
            pref_staff=staff,
            urgent=urgent,
            notes=notes,
            planned_session=planned_session,
            plan_id=plan_id,
            ordinal=ordinal,
            replaces=replaces,
            created_by=_actor(actor),
            created_at=now,
        )
        waitlist_event_record(
            entry,
            action="created",
            actor=actor,
            at=now,
            changes={"date_from": date_from, "date_to": date_to, "urgent": urgent},
        )
        # A start may be free already: let the worker look.
        transaction.on_commit(_wake, robust=True)
    return entry


# --- Offers ------------------------------------------------------------------------------


def wish_of(entry: WaitlistEntry) -> Wish:
    """The entry as the matching sees it. An entry for a plan session wants it earlier; a
    patient's request to reschedule wants any other time (never the one they have)."""
    declined = {datetime.fromisoformat(s) for s in entry.declined_starts}
    replaces = entry.replaces
    moving = replaces is not None and replaces.status == AppointmentStatus.BOOKED
    if moving:
        declined.add(replaces.start)
    return Wish(
        entry_id=entry.id,
        urgent=entry.urgent,
        created_at=entry.created_at,
        date_from=entry.date_from,
        date_to=entry.date_to,
        weekdays=frozenset(entry.pref_weekdays) if entry.pref_weekdays else None,
        declined=frozenset(declined),
        before=replaces.start if moving and entry.planned_session is not None else None,
    )


def offer_search(entry: WaitlistEntry, clinic: Clinic, *, now: datetime) -> Placement | None:
    """The first start the entry could be offered now, or None (reads, writes nothing)."""
    today = local_date_of(clinic, now)
    date_from = max(entry.date_from, today)
    date_to = min(entry.date_to, today + timedelta(days=SEARCH_DAYS))
    if date_to < date_from:
        return None
    board = board_fetch(
        clinic=clinic,
        session_type=entry.session_type,
        date_from=date_from,
        date_to=date_to,
        patient=entry.patient,
    )
    wish = wish_of(entry)
    for placement in slots_find(
        board,
        spec_of(entry.session_type),
        date_from,
        date_to,
        now=now,
        preferred_staff_id=entry.pref_staff_id,
        earliest=entry.pref_earliest,
        latest=entry.pref_latest,
    ):
        day = local_date_of(clinic, placement.start)
        if start_fits(wish, placement.start, day, now=now):
            return placement
    return None


def entry_lock(entry_id: int) -> WaitlistEntry:
    """Re-read an entry under a row lock; every waitlist writer takes it first."""
    return (
        WaitlistEntry.objects.select_for_update(of=("self",), no_key=True)
        .select_related("patient__clinic", "session_type", "replaces", "offer")
        .get(pk=entry_id)
    )


def waitlist_emit(entry: WaitlistEntry, appointment: Appointment, *, type: str, now) -> None:
    """The outbox event of an offer or an acceptance: ids, times, status, no names."""
    subject = f"waitlist_entry:{entry.id}"
    outbox_emit(
        clinic_id=entry.clinic_id,
        type=type,
        subject=subject,
        now=now,
        data={
            "clinic": entry.clinic_id,
            "waitlist_entry": entry.id,
            "appointment": appointment.id,
            "patient": entry.patient_id,
            "start": utc_iso(appointment.start),
            "end": utc_iso(appointment.end),
            "expires_at": utc_iso(entry.offer_expires_at),
            "status": entry.status,
            "sequence": OutboxEvent.objects.filter(subject=subject).count(),
        },
    )


def offer_make(
    *, entry_id: int, start: datetime, now: datetime, staff_id: int | None = None
) -> WaitlistEntry:
    """Offer ``start`` to the entry and hold it: 409 (or 400) if it is no longer free."""
    with concurrency_conflicts(), transaction.atomic():
        entry = entry_lock(entry_id)
        if entry.status != WaitlistStatus.WAITING:
            raise Conflict(f"This entry is {entry.status}.", extra={"status": entry.status})
        patient, session_type = entry.patient, entry.session_type
        clinic = clinic_fetch(entry.clinic_id)
        placement, _ = placement_locked(
            clinic=clinic,
            session_type=session_type,
            patient=patient,
            start=start,
            now=now,
            preferred_staff_id=staff_id,
        )
        authorization_id = authorization_claim(
            patient=patient, session_type=session_type, start=start, clinic=clinic
        )
        # A session that is not booked yet (awaiting authorization) is offered as itself;
        # one that is booked is moved on acceptance, so the offer is not that session.
        as_session = entry.replaces_id is None
        appointment = Appointment.objects.create(
            clinic_id=entry.clinic_id,
            patient=patient,
            session_type=session_type,
            room_id=placement.seat.room_id,
            seat_id=placement.seat.seat_id,
            staff_id=placement.staff.staff_id if placement.staff else None,
            start=placement.start,
            end=placement.end,
            recovery_end=placement.recovery_end,
            status=AppointmentStatus.OFFERED,
            escort_name=patient.escort_name,
            escort_phone=patient.escort_phone,
            plan_id=entry.plan_id if as_session else None,
            ordinal=entry.ordinal if as_session else None,
            authorization_id=authorization_id,
        )
        holds_create(appointment, placement)
        appointment_event_record(
            appointment,
            action="offered",
            actor=None,
            at=now,
            changes={"start": [None, placement.start], "seat": [None, placement.seat.label]},
            note=f"Held for waitlist entry {entry.id}.",
        )
        expires = offer_expiry(
            now, placement.start, timedelta(minutes=clinic.waitlist_offer_minutes)
        )
        entry.status = WaitlistStatus.OFFERED
        entry.offer = appointment
        entry.offer_expires_at = expires
        entry.save(update_fields=["status", "offer", "offer_expires_at", "updated_at"])
        waitlist_event_record(
            entry,
            action="offered",
            actor=None,
            at=now,
            changes={
                "start": placement.start,
                "appointment": appointment.id,
                "expires_at": expires,
            },
        )
        waitlist_emit(entry, appointment, type=EventType.WAITLIST_OFFERED, now=now)
        return entry


def offer_release(entry: WaitlistEntry, *, actor, now: datetime, reason: str) -> None:
    """Cancel the provisional appointment, freeing its holds (caller holds the entry lock)."""
    appointment = appointment_lock(entry.offer_id)
    if appointment.status != AppointmentStatus.OFFERED:
        return
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancel_reason = reason
    appointment.cancelled_at = now
    appointment.cancelled_by = _actor(actor)
    appointment.sequence += 1
    appointment.save()
    appointment.holds.update(active=False)
    appointment_event_record(
        appointment,
        action="offer_released",
        actor=actor,
        at=now,
        changes={"status": [AppointmentStatus.OFFERED, AppointmentStatus.CANCELLED]},
        note=reason,
    )
    transaction.on_commit(_wake, robust=True)


def offer_lock(entry: WaitlistEntry, *, now: datetime) -> WaitlistEntry:
    """The entry, locked, with an offer that can still be accepted; 409 if it is gone."""
    current = entry_lock(entry.id)
    if current.status != WaitlistStatus.OFFERED:
        raise Conflict(
            f"There is no open offer: this entry is {current.status}.",
            extra={"status": current.status},
        )
    if current.offer_expires_at <= now:
        raise Conflict("The offer has expired.", extra={"status": "expired"})
    return current


def offer_taken(entry: WaitlistEntry, appointment: Appointment, *, actor, now: datetime) -> None:
    """Record the acceptance (caller holds the entry lock and the transaction)."""
    entry.status = WaitlistStatus.BOOKED
    entry.booked = appointment
    entry.save(update_fields=["status", "booked", "updated_at"])
    waitlist_event_record(
        entry, action="accepted", actor=actor, at=now, changes={"appointment": appointment.id}
    )
    waitlist_emit(entry, appointment, type=EventType.WAITLIST_ACCEPTED, now=now)


def offer_accept(*, actor, entry: WaitlistEntry, now: datetime) -> Appointment:
    """Accept the offer as a new booking: the held appointment becomes booked."""
    with transaction.atomic():
        return offer_book(offer_lock(entry, now=now), actor=actor, now=now)


def offer_book(current: WaitlistEntry, *, actor, now: datetime) -> Appointment:
    """Flip the held appointment to booked (caller holds the entry lock and transaction)."""
    appointment = appointment_lock(current.offer_id)
    appointment.status = AppointmentStatus.BOOKED
    appointment.sequence += 1
    appointment.created_by = _actor(actor)
    appointment.save()
    appointment_event_record(
        appointment,
        action="booked",
        actor=actor,
        at=now,
        changes={"status": [AppointmentStatus.OFFERED, AppointmentStatus.BOOKED]},
        note=f"Waitlist offer accepted (entry {current.id}).",
    )
    appointments_emit([appointment], type=EventType.APPOINTMENT_BOOKED, now=now)
    offer_taken(current, appointment, actor=actor, now=now)
    return appointment


def offer_decline(*, actor, entry: WaitlistEntry, now: datetime, reason: str = "") -> WaitlistEntry:
    """The patient does not want this start: the seat passes on, the entry keeps waiting."""
    with transaction.atomic():
        current = entry_lock(entry.id)
        if current.status != WaitlistStatus.OFFERED:
            raise Conflict(
                f"There is no open offer: this entry is {current.status}.",
                extra={"status": current.status},
            )
        start = current.offer.start
        offer_release(current, actor=actor, now=now, reason=reason or "Waitlist offer declined")
        current.status = WaitlistStatus.WAITING
        current.declined_starts = [*current.declined_starts, start.isoformat()]
        current.offer_expires_at = None
        current.save(update_fields=["status", "declined_starts", "offer_expires_at", "updated_at"])
        waitlist_event_record(
            current, action="declined", actor=actor, at=now, changes={"start": start}, note=reason
        )
        return current


def waitlist_entry_withdraw(
    *, actor, entry: WaitlistEntry, now: datetime, reason: str = ""
) -> WaitlistEntry:
    with transaction.atomic():
        current = entry_lock(entry.id)
        if current.status not in OPEN_STATUSES:
            raise Conflict(
                f"This entry is already {current.status}.", extra={"status": current.status}
            )
        if current.status == WaitlistStatus.OFFERED:
            offer_release(current, actor=actor, now=now, reason="Waitlist entry withdrawn")
        current.status = WaitlistStatus.WITHDRAWN
        current.save(update_fields=["status", "updated_at"])
        waitlist_event_record(current, action="withdrawn", actor=actor, at=now, note=reason)
        return current


def offers_expire(*, now: datetime, clinic_id: int | None = None) -> int:
    """Lapse offers past their time (the seat passes on) and entries past their window."""
    due = WaitlistEntry.objects.filter(
        status=WaitlistStatus.OFFERED, offer_expires_at__lte=now
    ).values_list("id", flat=True)
    if clinic_id is not None:
        due = due.filter(clinic_id=clinic_id)
    count = 0
    for entry_id in list(due):
        with transaction.atomic():
            entry = entry_lock(entry_id)
            if entry.status != WaitlistStatus.OFFERED or entry.offer_expires_at > now:
                continue
            offer_release(entry, actor=None, now=now, reason="Waitlist offer expired")
            entry.status = WaitlistStatus.EXPIRED
            entry.save(update_fields=["status", "updated_at"])
            waitlist_event_record(entry, action="expired", actor=None, at=now)
            count += 1
    stale = WaitlistEntry.objects.filter(status=WaitlistStatus.WAITING).select_related("clinic")
    if clinic_id is not None:
        stale = stale.filter(clinic_id=clinic_id)
    for entry in stale:
        if entry.date_to < local_date_of(entry.clinic, now):
            with transaction.atomic():
                current = entry_lock(entry.id)
                if current.status == WaitlistStatus.WAITING:
                    current.status = WaitlistStatus.EXPIRED
                    current.save(update_fields=["status", "updated_at"])
                    waitlist_event_record(
                        current, action="expired", actor=None, at=now, note="Window passed."
                    )
                    count += 1
    return count


def offers_make(*, now: datetime, clinic_id: int | None = None) -> int:
    """Offer each free matching start to the best waiting entry; returns offers made.

    Entries are served in rank order, each searching a calendar that already holds the
    offers made before it in this run, so two entries are never offered one seat.
    """
    waiting = WaitlistEntry.objects.filter(status=WaitlistStatus.WAITING).select_related(
        "patient", "session_type", "replaces"
    )
    if clinic_id is not None:
        waiting = waiting.filter(clinic_id=clinic_id)
    by_clinic: dict[int, list[WaitlistEntry]] = defaultdict(list)
    for entry in waiting:
        by_clinic[entry.clinic_id].append(entry)
    made = 0
    for clinic_pk, entries in by_clinic.items():
        clinic = clinic_fetch(clinic_pk)
        rows = {e.id: e for e in entries}
        for wish in wishes_ranked(wish_of(e) for e in entries):
            entry = rows[wish.entry_id]
            placement = offer_search(entry, clinic, now=now)
            if placement is None:
                continue
            try:
                offer_make(
                    entry_id=entry.id,
                    start=placement.start,
                    now=now,
                    staff_id=placement.staff.staff_id if placement.staff else None,
                )
            except DomainError:
                # Taken meanwhile, or no authorization unit left: the next run retries.
                continue
            made += 1
    return made


def waitlist_run(*, now: datetime, clinic_id: int | None = None) -> dict[str, Any]:
    """One pass of the background work: lapse what is due, then offer what is free."""
    expired = offers_expire(now=now, clinic_id=clinic_id)
    offered = offers_make(now=now, clinic_id=clinic_id)
    return {"expired": expired, "offered": offered}


def waitlist_matches(appointment: Appointment) -> list[WaitlistEntry]:
    """Waiting entries a freed appointment's start could serve (for the front desk)."""
    day = local_date_of(appointment.clinic, appointment.start)
    return list(
        WaitlistEntry.objects.filter(
            clinic_id=appointment.clinic_id,
            session_type_id=appointment.session_type_id,
            status__in=OPEN_STATUSES,
            date_from__lte=day,
            date_to__gte=day,
        )
        .exclude(patient_id=appointment.patient_id)
        .select_related("patient")
        .order_by("-urgent", "created_at", "id")
    )

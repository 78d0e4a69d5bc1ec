"""One-time patient links: issue, look up, act, and the messages that carry them.

A link is good for one answer and until it expires (an appointment's link at its start,
an offer's when the offer lapses). The page behind it shows only the patient's own time
and place. Reminders carry an appointment link; ``offer_notices_send`` (run by the
waitlist task after each pass) sends each new offer with its link.
"""

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from backend.common.errors import Conflict, InvalidInput
from backend.scheduling.booking.audit import appointment_event_record
from backend.scheduling.booking.fetch import local_date_of
from backend.scheduling.booking.models import Appointment, AppointmentStatus
from backend.scheduling.booking.services import appointment_cancel
from backend.scheduling.messages.content import sms_text
from backend.scheduling.messages.services import Channel, Outgoing, message_send
from backend.scheduling.selfservice.models import LinkPurpose, PatientLink
from backend.scheduling.waitlist.models import WaitlistEntry, WaitlistStatus
from backend.scheduling.waitlist.services import (
    offer_decline,
    waitlist_entry_create,
    waitlist_event_record,
)

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
# How far past the appointment a patient's reschedule request may look for a new time.
RESCHEDULE_WINDOW = timedelta(days=28)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_url(token: str) -> str:
    base = (settings.PUBLIC_BASE_URL or DEFAULT_BASE_URL).rstrip("/")
    return base + reverse("patient-link", args=[token])


def link_issue(
    *,
    purpose: str,
    now: datetime,
    expires_at: datetime,
    appointment: Appointment | None = None,
    entry: WaitlistEntry | None = None,
) -> str:
    """A new link; the raw token is returned once and only its hash is kept."""
    token = secrets.token_urlsafe(32)
    clinic_id = appointment.clinic_id if appointment is not None else entry.clinic_id
    PatientLink.objects.create(
        clinic_id=clinic_id,
        purpose=purpose,
        token_hash=_digest(token),
        appointment=appointment,
        entry=entry,
        created_at=now,
        expires_at=expires_at,
    )
    return token


class LinkState(StrEnum):
    OPEN = "open"
    USED = "used"
    EXPIRED = "expired"


@dataclass(frozen=True)
class LinkView:
    link: PatientLink
    state: LinkState
    appointment: Appointment


def _state(link: PatientLink, now: datetime) -> LinkState:
    if link.used_at is not None:
        return LinkState.USED
    if link.expires_at <= now:
        return LinkState.EXPIRED
    if link.purpose == LinkPurpose.OFFER and link.entry.status != WaitlistStatus.OFFERED:
        return LinkState.EXPIRED
    return LinkState.OPEN


def link_lookup(*, token: str, now: datetime) -> LinkView | None:
    link = (
        PatientLink.objects.select_related(
            "clinic", "appointment__clinic", "entry__offer__clinic", "entry__patient"
        )
        .filter(token_hash=_digest(token))
        .first()
    )
    if link is None:
        return None
    appointment = link.appointment if link.appointment_id else link.entry.offer
    return LinkView(link=link, state=_state(link, now), appointment=appointment)


APPOINTMENT_ACTIONS = ("confirm", "cancel", "reschedule")
OFFER_ACTIONS = ("accept", "decline")


def link_use(*, token: str, action: str, now: datetime, reason: str = "", accept=None) -> LinkView:
    """Take ``action`` through the link, once. ``accept`` is the offer-accepting operation
    (plans', which can move a plan session), passed in by the page that calls this.

    Answers 404 (None from lookup) for an unknown token, 409 once used or expired, 400 for
    an action the link does not offer or a cancellation past the clinic's cutoff.
    """
    with transaction.atomic():
        link = (
            PatientLink.objects.select_for_update(of=("self",))
            .select_related("clinic", "appointment__patient", "entry")
            .filter(token_hash=_digest(token))
            .first()
        )
        if link is None:
            raise InvalidInput("token", "This link is not known.")
        state = _state(link, now)
        if state != LinkState.OPEN:
            raise Conflict(f"This link is {state.value}.", extra={"state": state.value})
        allowed = APPOINTMENT_ACTIONS if link.purpose == LinkPurpose.APPOINTMENT else OFFER_ACTIONS
        if action not in allowed:
            raise InvalidInput("action", "This link cannot do that.")
        if link.purpose == LinkPurpose.APPOINTMENT:
            _appointment_act(link, action, now=now, reason=reason)
        elif action == "accept":
            accept(actor=None, entry=link.entry, now=now)
        else:
            offer_decline(actor=None, entry=link.entry, now=now, reason="Declined by the patient.")
        link.used_at = now
        link.used_for = action
        link.save(update_fields=["used_at", "used_for"])
    return link_lookup(token=token, now=now)


def _appointment_act(link: PatientLink, action: str, *, now: datetime, reason: str) -> None:
    appointment = link.appointment
    if appointment.status != AppointmentStatus.BOOKED:
        raise Conflict(
            f"This appointment is {appointment.get_status_display().lower()}.",
            extra={"status": appointment.status},
        )
    if action == "confirm":
        appointment_event_record(
            appointment, action="confirmed_by_patient", actor=None, at=now, note="Patient link."
        )
    elif action == "cancel":
        cutoff = appointment.start - timedelta(hours=link.clinic.patient_cancel_cutoff_hours)
        if now > cutoff:
            raise InvalidInput(
                "action",
                f"It is too late to cancel online; please call the clinic"
                f"{' on ' + link.clinic.phone if link.clinic.phone else ''}.",
            )
        if not reason.strip():
            raise InvalidInput("reason", "Please tell us why you cannot come.")
        appointment_cancel(
            actor=None, appointment=appointment, reason=f"By the patient: {reason}", now=now
        )
    else:
        day = local_date_of(link.clinic, appointment.start)
        entry = waitlist_entry_create(
            actor=None,
            patient=appointment.patient,
            session_type=appointment.session_type,
            date_from=local_date_of(link.clinic, now),
            date_to=day + RESCHEDULE_WINDOW,
            now=now,
            replaces=appointment,
            notes="Asked to reschedule from their reminder.",
        )
        waitlist_event_record(entry, action="patient_request", actor=None, at=now)


# --- Messages that carry links --------------------------------------------------------


def _when(appointment: Appointment) -> str:
    local = appointment.start.astimezone(appointment.clinic.zone)
    return f"{local:%A %B} {local.day} at {local:%H:%M}"


def _where(clinic) -> str:
    return " ".join(clinic.address.split()) or clinic.name


def offer_message(entry: WaitlistEntry, url: str) -> Outgoing:
    appointment, clinic = entry.offer, entry.clinic
    held = entry.offer_expires_at.astimezone(clinic.zone)
    line = (
        f"{clinic.name} has an earlier time for you: {_when(appointment)}, {_where(clinic)}. "
        f"It is held for you until {held:%H:%M} on {held:%B} {held.day}."
    )
    return Outgoing(
        subject=f"A time is free for you at {clinic.name}",
        text=f"Hello {entry.patient.first_name},\n\n{line}\n\nAccept or decline: {url}\n",
        short=sms_text(line, f"Answer: {url}"),
        reply_to=clinic.email,
    )


def offer_notices_send(*, now: datetime) -> int:
    """Send each open offer that has no link yet, with its link; returns messages sent."""
    pending = (
        WaitlistEntry.objects.filter(status=WaitlistStatus.OFFERED, offer_expires_at__gt=now)
        .exclude(id__in=PatientLink.objects.filter(purpose=LinkPurpose.OFFER).values("entry_id"))
        .select_related("clinic", "patient", "offer")
    )
    sent = 0
    for entry in pending:
        with transaction.atomic():
            token = link_issue(
                purpose=LinkPurpose.OFFER, now=now, expires_at=entry.offer_expires_at, entry=entry
            )
        try:
            message = offer_message(entry, link_url(token))
            channel = message_send(patient=entry.patient, message=message, allow=entry.clinic.name)
        except Exception:
            logger.exception("Offer message for waitlist entry %s failed", entry.id)
            continue
        waitlist_event_record(entry, action="notified", actor=None, at=now, note=channel.value)
        sent += channel != Channel.NONE
    return sent


def appointment_link(appointment: Appointment, *, now: datetime) -> str:
    """A link for the patient to confirm, cancel or reschedule (for the reminder)."""
    token = link_issue(
        purpose=LinkPurpose.APPOINTMENT,
        now=now,
        expires_at=appointment.start,
        appointment=appointment,
    )
    return link_url(token)

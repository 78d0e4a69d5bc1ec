"""Reminder emails before appointments, and the one-time link that confirms a ride home.

``reminders_send`` runs every few minutes, as the task worker's scheduled
``reminders_task`` (or from cron with ``manage.py send_reminders``), and two runs may
overlap. Each reminder is *claimed* first: a ``ReminderSent`` row, unique per
(appointment, kind), is committed in its own small transaction, and only the run whose
insert succeeded sends the email. The claim commits before the email goes out, so a slow
mail server never holds a database write lock (SQLite serializes all writers) and an
overlapping run cannot send it again. The trade-off is deliberate: if the process dies
between the commit and the send, that reminder is lost rather than sent twice. A send that
fails with an error releases its claim, so the next run tries again.

Only a hash of each ride token is stored; the raw token exists in the email alone.
"""

import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from backend.scheduling.booking.audit import appointment_event_record
from backend.scheduling.booking.models import Appointment
from backend.scheduling.day import rules
from backend.scheduling.day.models import ReminderSent, RideConfirmation
from backend.scheduling.messages.content import sms_text
from backend.scheduling.messages.services import Channel, Outgoing, channel_for, message_send
from backend.scheduling.selfservice.services import appointment_link

logger = logging.getLogger(__name__)

REMINDER_KIND = "day_before"
DEFAULT_AHEAD = timedelta(hours=48)
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
TEMPLATES = "day/email/"


def public_base_url() -> str:
    """Where patients reach the service; read per call so settings changes are seen."""
    return (settings.PUBLIC_BASE_URL or DEFAULT_BASE_URL).rstrip("/")


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def ride_url(token: str) -> str:
    return public_base_url() + reverse("ride-confirm", args=[token])


def ride_token_issue(appointment: Appointment, *, now: datetime) -> str | None:
    """A fresh ride link token (replacing any earlier one); None once the ride is confirmed."""
    token = secrets.token_urlsafe(32)
    confirmation, created = RideConfirmation.objects.get_or_create(
        appointment=appointment,
        defaults={"token_hash": token_digest(token), "created_at": now},
    )
    if created:
        return token
    if confirmation.confirmed_at is not None:
        return None
    confirmation.token_hash = token_digest(token)
    confirmation.created_at = now
    confirmation.save(update_fields=["token_hash", "created_at"])
    return token


def reminders_due_fetch(*, now: datetime, ahead: timedelta = DEFAULT_AHEAD) -> list[Appointment]:
    """Booked appointments starting within ``ahead`` that have no reminder yet (1 query)."""
    low, high = rules.reminder_window(now, ahead)
    return list(
        Appointment.objects.filter(
            status=rules.BOOKED, start__gt=low, start__lte=high, patient__active=True
        )
        .exclude(reminders_sent__kind=REMINDER_KIND)
        .select_related("clinic", "patient", "session_type", "ride_confirmation")
        .order_by("start", "id")
    )


def reminder_context(
    appointment: Appointment, *, link: str | None, manage_url: str | None = None
) -> dict:
    session_type = appointment.session_type
    return {
        "patient_first_name": appointment.patient.first_name,
        "clinic": appointment.clinic,
        "start": appointment.start,
        "arrive_at": rules.arrive_at(appointment.start, session_type.arrive_minutes_before),
        "pickup_at": appointment.recovery_end,
        "instructions": session_type.patient_instructions.strip(),
        "ride_required": session_type.escort_required,
        "ride_url": link,
        "ride_already_confirmed": session_type.escort_required and link is None,
        "escort_name": appointment.escort_name,
        "manage_url": manage_url,
        # A video visit: no arrival margin, no ride; the link instead of the address.
        "video_visit": session_type.is_telehealth,
        "video_link": appointment.video_link,
    }


def reminder_outgoing(
    appointment: Appointment, *, link: str | None, manage_url: str | None = None
) -> Outgoing:
    """The reminder for the message service: the email's text and html, and a text message."""
    email = reminder_message(appointment, link=link, manage_url=manage_url)
    clinic = appointment.clinic
    local = appointment.start.astimezone(clinic.zone)
    short = sms_text(
        f"Reminder: {clinic.name}, {local:%a %b} {local.day} at {local:%H:%M}.",
        f"Ride home: confirm at {link}" if link else "",
        f"Confirm, cancel or move: {manage_url}" if manage_url else "",
    )
    return Outgoing(
        subject=email.subject,
        text=email.body,
        html=email.alternatives[0][0] if email.alternatives else "",
        short=short,
        reply_to=clinic.email,
    )


def reminder_message(
    appointment: Appointment, *, link: str | None, connection=None, manage_url: str | None = None
) -> EmailMultiAlternatives:
    """The reminder email. It names no session type: only the clinic's own instructions."""
    context = reminder_context(appointment, link=link, manage_url=manage_url)
    clinic = appointment.clinic
    # Template date filters render in the current zone: the clinic's.
    with timezone.override(clinic.zone):
        subject = " ".join(render_to_string(TEMPLATES + "reminder_subject.txt", context).split())
        text = render_to_string(TEMPLATES + "reminder.txt", context)
        html = render_to_string(TEMPLATES + "reminder.html", context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[appointment.patient.email],
        reply_to=[clinic.email] if clinic.email else None,
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    return message


class Outcome(StrEnum):
    SENT = "sent"
    NO_EMAIL = "no_email"
    ALREADY_CLAIMED = "already_claimed"
    FAILED = "failed"


@dataclass
class ReminderRun:
    """What one run did, by appointment id."""

    sent: list[int] = field(default_factory=list)
    no_email: list[int] = field(default_factory=list)
    already_claimed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)

    def add(self, appointment_id: int, outcome: Outcome) -> None:
        getattr(self, outcome.value).append(appointment_id)


def reminder_send(appointment: Appointment, *, now: datetime, connection=None) -> Outcome:
    """Claim, then send, one appointment's reminder (by email or text, as the patient
    prefers and allows: the message service decides)."""
    patient = appointment.patient
    channel = channel_for(patient)
    if channel == Channel.NONE:
        return Outcome.NO_EMAIL
    recipient = patient.phone if channel == Channel.SMS else patient.email
    try:
        with transaction.atomic():
            claim = ReminderSent.objects.create(
                appointment=appointment, kind=REMINDER_KIND, sent_at=now, recipient=recipient
            )
            token = (
                ride_token_issue(appointment, now=now)
                if appointment.session_type.escort_required
                and not appointment.session_type.is_telehealth
                else None
            )
            manage_url = appointment_link(appointment, now=now)
    except IntegrityError:
        return Outcome.ALREADY_CLAIMED
    link = ride_url(token) if token else None
    try:
        message_send(
            patient=patient,
            message=reminder_outgoing(appointment, link=link, manage_url=manage_url),
            connection=connection,
            allow=appointment.clinic.name,
        )
    except Exception:
        # The email certainly did not go: release the claim so the next run retries.
        logger.exception("Reminder for appointment %s could not be sent", appointment.id)
        claim.delete()
        return Outcome.FAILED
    return Outcome.SENT


def reminders_send(*, now: datetime, ahead: timedelta = DEFAULT_AHEAD) -> ReminderRun:
    """Email every patient whose appointment starts within ``ahead`` and has no reminder yet."""
    run = ReminderRun()
    candidates = [
        a
        for a in reminders_due_fetch(now=now, ahead=ahead)
        if rules.reminder_due(
            status=a.status,
            start=a.start,
            now=now,
            ahead=ahead,
            already_sent=False,  # the query left out those with a reminder
        )
    ]
    if not candidates:
        return run
    with get_connection() as connection:
        for appointment in candidates:
            run.add(appointment.id, reminder_send(appointment, now=now, connection=connection))
    return run


@task()
def reminders_task() -> dict:
    """The scheduled run (``TASK_SCHEDULE["reminders"]``, every 10 minutes by default).

    Runs overlap safely for the same reason cron runs do: each reminder is claimed once.
    """
    run = reminders_send(now=timezone.now())
    return {
        "sent": len(run.sent),
        "no_email": len(run.no_email),
        "already_claimed": len(run.already_claimed),
        "failed": len(run.failed),
    }


# --- The ride link ---------------------------------------------------------------------------


class RideState(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"  # by this request
    ALREADY_CONFIRMED = "already_confirmed"
    CLOSED = "closed"  # the appointment was cancelled or is over


@dataclass(frozen=True)
class RideLookup:
    confirmation: RideConfirmation
    state: RideState

    @property
    def appointment(self) -> Appointment:
        return self.confirmation.appointment


def _ride_find(token: str) -> RideConfirmation | None:
    return (
        RideConfirmation.objects.select_related("appointment__clinic", "appointment__session_type")
        .filter(token_hash=token_digest(token))
        .first()
    )


def _state_of(confirmation: RideConfirmation) -> RideState:
    if confirmation.confirmed_at is not None:
        return RideState.ALREADY_CONFIRMED
    if confirmation.appointment.status not in rules.NOT_YET_LEFT:
        return RideState.CLOSED
    return RideState.PENDING


def ride_lookup(*, token: str) -> RideLookup | None:
    """What the link's page should show; None for a token that matches nothing."""
    confirmation = _ride_find(token)
    if confirmation is None:
        return None
    return RideLookup(confirmation, _state_of(confirmation))


def ride_confirm(*, token: str, now: datetime) -> RideLookup | None:
    """Confirm the ride once; a second use reports that it was already confirmed."""
    with transaction.atomic():
        confirmation = _ride_find(token)
        if confirmation is None:
            return None
        state = _state_of(confirmation)
        if state is not RideState.PENDING:
            return RideLookup(confirmation, state)
        # A conditional update, so two simultaneous clicks confirm exactly once.
        updated = RideConfirmation.objects.filter(
            pk=confirmation.pk, confirmed_at__isnull=True
        ).update(confirmed_at=now)
        if not updated:
            confirmation.refresh_from_db(fields=["confirmed_at"])
            return RideLookup(confirmation, RideState.ALREADY_CONFIRMED)
        confirmation.confirmed_at = now
        appointment_event_record(
            confirmation.appointment,
            action="ride_confirmed",
            actor=None,
            at=now,
            changes={"ride_confirmed_at": [None, now]},
            note="Confirmed by the patient through the reminder link.",
        )
        return RideLookup(confirmation, RideState.CONFIRMED)

"""One message service for reminders, waitlist offers and ride confirmations.

``message_send`` picks the channel the patient prefers and consented to: a text message
when they chose text, agreed to it and have a phone number; otherwise email when they have
an address. Text goes through django-sms (backends shaped like Django's email backends,
chosen by ``SMS_BACKEND``: the console by default, a file, or a provider). Every message
is checked against the privacy words first (``content.privacy_words_in``): a message that
would name a drug or a diagnosis is refused, never sent.
"""

import logging
from dataclasses import dataclass
from enum import StrEnum

import sms
from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from backend.scheduling.messages.content import privacy_words_in
from backend.scheduling.resources.models import Patient

logger = logging.getLogger(__name__)


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    NONE = "none"


class PrivacyViolation(ValueError):
    """A message to a patient would name what the visit is for."""


@dataclass(frozen=True)
class Outgoing:
    """One message in both forms; the service sends the one the patient gets."""

    subject: str
    text: str
    short: str
    html: str = ""
    reply_to: str = ""


def channel_for(patient: Patient) -> Channel:
    wants_text = patient.preferred_channel == Channel.SMS
    if wants_text and patient.sms_consent and patient.phone:
        return Channel.SMS
    # Email needs the patient's consent as much as text does (the intake form records both).
    if patient.email and patient.email_consent:
        return Channel.EMAIL
    if patient.sms_consent and patient.phone:
        return Channel.SMS
    return Channel.NONE


def privacy_check(message: Outgoing, *, allow: str = "") -> None:
    """Refuse a message that names a drug or diagnosis. ``allow``: the clinic's own name,
    which the clinic chose and which every message must be able to say."""
    text = " ".join([message.subject, message.text, message.short])
    allowed = set(privacy_words_in(allow))
    found = [w for w in privacy_words_in(text) if w not in allowed]
    if found:
        raise PrivacyViolation(f"a patient message may not say: {', '.join(found)}")


def message_send(
    *, patient: Patient, message: Outgoing, connection=None, allow: str = ""
) -> Channel:
    """Send ``message`` to ``patient`` by the channel they allow; NONE if they have none."""
    privacy_check(message, allow=allow)
    channel = channel_for(patient)
    if channel == Channel.SMS:
        sms.Message(
            body=message.short, originator=settings.DEFAULT_FROM_SMS, recipients=[patient.phone]
        ).send()
    elif channel == Channel.EMAIL:
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[patient.email],
            reply_to=[message.reply_to] if message.reply_to else None,
            connection=connection,
        )
        if message.html:
            email.attach_alternative(message.html, "text/html")
        email.send()
    return channel

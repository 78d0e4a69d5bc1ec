"""The message service: the patient's channel and consent, and the privacy rule."""

import pytest
import sms
from django.core import mail
from django.utils import timezone

from backend.scheduling.day.reminders import reminder_outgoing
from backend.scheduling.messages.content import PRIVACY_WORDS, privacy_words_in, sms_text
from backend.scheduling.messages.services import (
    Channel,
    Outgoing,
    PrivacyViolation,
    channel_for,
    message_send,
)
from backend.scheduling.selfservice.services import offer_message
from backend.scheduling.waitlist.services import offer_make, waitlist_entry_create
from tests.factories import PatientFactory
from tests.scheduling.feeds.test_feeds_content import CLINICAL_WORDS

HELLO = Outgoing(subject="Hello", text="See you on Monday at 9.", short="See you Monday 9:00.")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param({"preferred_channel": "sms", "sms_consent": True}, Channel.SMS, id="text"),
        pytest.param(
            {"preferred_channel": "sms", "sms_consent": False}, Channel.EMAIL, id="no-consent"
        ),
        pytest.param(
            {"preferred_channel": "email", "sms_consent": True}, Channel.EMAIL, id="email"
        ),
        pytest.param({"email": "", "sms_consent": True}, Channel.SMS, id="only-phone"),
        pytest.param({"email": "", "sms_consent": False}, Channel.NONE, id="nothing"),
        pytest.param(
            {"preferred_channel": "sms", "sms_consent": True, "phone": ""},
            Channel.EMAIL,
            id="no-phone",
        ),
    ],
)
def test_channel_follows_preference_and_consent(db, fields, expected):
    patient = PatientFactory.build(**{"email": "p@example.org", "phone": "555-0100", **fields})

    assert channel_for(patient) == expected


def test_text_goes_through_the_sms_backend_and_email_through_mail(db):
    texter = PatientFactory(phone="555-0100", preferred_channel="sms", sms_consent=True)
    writer = PatientFactory(email="w@example.org", preferred_channel="email")
    sms.outbox = []

    message_send(patient=texter, message=HELLO)
    message_send(patient=writer, message=HELLO)

    assert [(m.recipients, m.body) for m in sms.outbox] == [(["555-0100"], HELLO.short)]
    assert [(m.to, m.subject) for m in mail.outbox] == [(["w@example.org"], "Hello")]


def test_a_message_naming_a_drug_is_refused_and_not_sent(db):
    patient = PatientFactory(email="p@example.org")
    leaky = Outgoing(subject="Your ketamine session", text="x", short="x")

    with pytest.raises(PrivacyViolation):
        message_send(patient=patient, message=leaky)

    assert mail.outbox == []


def test_the_clinics_own_name_may_be_said(db):
    patient = PatientFactory(email="p@example.org")
    named = Outgoing(subject="Ketamine Wellness: see you Monday", text="x", short="x")

    message_send(patient=patient, message=named, allow="Ketamine Wellness")

    assert len(mail.outbox) == 1


def test_the_privacy_list_holds_the_feeds_words():
    assert set(CLINICAL_WORDS) <= PRIVACY_WORDS
    assert privacy_words_in("Spravato at 9, 56 mg") == ["spravato", "mg"]
    assert len(sms_text("x" * 600)) <= 459


def test_a_links_random_token_is_not_read_as_words_but_the_rest_of_the_link_is():
    # A token that happens to spell "iv" between its digits once had the reminder refused
    # (about one link in ten).
    token = "Ab3-iv_9mgX" + "q" * 32
    link = f"https://clinic.example.org/r/{token}/"

    assert privacy_words_in(f"Answer here: {link}") == []
    assert privacy_words_in(f"Answer here: https://ketamine.example.org/r/{token}/") == ["ketamine"]
    assert privacy_words_in("ketamine-assisted-psychotherapy-programme-for-adults") == ["ketamine"]


def test_reminder_and_offer_texts_carry_no_clinical_word(world):
    appointment = world.appointment(world.at(9))
    entry = waitlist_entry_create(
        actor=None,
        patient=world.other_patient,
        session_type=world.spravato,
        date_from=world.day,
        date_to=world.day,
        now=timezone.now(),
    )
    entry = offer_make(entry_id=entry.id, start=world.at(13), now=timezone.now())
    reminder = reminder_outgoing(appointment, link="https://x/ride/t/", manage_url="https://x/v/t/")
    offer = offer_message(entry, "https://x/visit/t/")

    for message in (reminder, offer):
        text = " ".join([message.subject, message.text, message.short, message.html]).lower()
        assert privacy_words_in(text) == []
        assert not [w for w in CLINICAL_WORDS if f" {w} " in f" {text} "]

"""Reminder emails: due-ness, content, the ride link, and "exactly once" across runs."""

import hashlib
import re
import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from backend.scheduling.booking.models import AppointmentStatus
from backend.scheduling.day.models import ReminderSent, RideConfirmation
from backend.scheduling.day.reminders import REMINDER_KIND, Outcome, reminder_send, reminders_send

pytestmark = pytest.mark.django_db

LINK = re.compile(r"http://127\.0\.0\.1:8000/ride/([A-Za-z0-9_-]+)/")


def run_command(*args) -> str:
    out = StringIO()
    call_command("send_reminders", *args, stdout=out)
    return out.getvalue()


def sent_to() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def test_reminders_go_once_to_each_appointment_in_the_next_48_hours(day):
    now = day.at(9)
    tomorrow = day.appointment(start=day.at(9, day=day.day + timedelta(days=1)))
    edge = day.appointment(
        start=now + timedelta(hours=48), session_type=day.therapy, patient=day.patients[1]
    )
    day.appointment(start=now + timedelta(hours=49), patient=day.patients[2])
    day.appointment(start=now, patient=day.patients[3])  # starting now: too late
    day.appointment(
        start=day.at(10, day=day.day + timedelta(days=1)),
        status=AppointmentStatus.CANCELLED,
        patient=day.patients[3],
    )

    first = reminders_send(now=now)
    second = reminders_send(now=now)
    third = reminders_send(now=now + timedelta(minutes=10))

    assert sorted(first.sent) == sorted([tomorrow.id, edge.id])
    assert second.sent == third.sent == []
    assert sent_to() == ["robin0@example.org", "robin1@example.org"]
    assert sorted(ReminderSent.objects.values_list("appointment_id", "kind", "sent_at")) == sorted(
        [(tomorrow.id, REMINDER_KIND, now), (edge.id, REMINDER_KIND, now)]
    )


def test_send_reminders_command_run_twice_sends_once(day):
    day.appointment(start=day.at(9, day=day.day + timedelta(days=1)))
    now = day.at(9).isoformat()

    first = run_command("--now", now)
    second = run_command("--now", now)

    assert first.startswith("Sent 1 reminder(s); 0 without an email address;")
    assert second.startswith("Sent 0 reminder(s);")
    assert len(mail.outbox) == 1


def test_reminder_email_has_the_practical_instructions_and_a_ride_link(day):
    appointment = day.appointment(start=day.at(9, day=day.day + timedelta(days=1)))

    reminders_send(now=day.at(9))

    (message,) = mail.outbox
    assert message.subject == "Your appointment at Harbor Clinic on Thursday, May 7, 2026"
    assert message.to == ["robin0@example.org"]
    text = message.body
    assert "Hello Robin0," in text
    assert "on Thursday, May 7, 2026 at 9:00 AM." in text
    assert "Please arrive by 8:40 AM." in text
    assert "No food for 2 hours and no drinks for 30 minutes before your appointment." in text
    assert "A ride is required: you may not drive yourself home" in text
    assert "Expected pickup time: about 11:15 AM." in text
    assert "We have Sam Escort down as the person collecting you" in text
    token = LINK.search(text).group(1)
    confirmation = RideConfirmation.objects.get(appointment=appointment)
    assert confirmation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert confirmation.confirmed_at is None
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="http://127.0.0.1:8000/ride/{token}/"' in html
    assert "8:40 AM" in html


def test_reminder_names_no_drug_or_session_type(day):
    day.appointment(start=day.at(9, day=day.day + timedelta(days=1)))

    reminders_send(now=day.at(9))

    (message,) = mail.outbox
    everything = " ".join([message.subject, message.body, message.alternatives[0][0]]).lower()
    for word in ("spravato", "esketamine", "ketamine", "rems", "depression"):
        assert word not in everything


@override_settings(PUBLIC_BASE_URL="https://book.example.org/")
def test_reminder_link_uses_the_public_base_url(day):
    day.appointment(start=day.at(9, day=day.day + timedelta(days=1)))

    reminders_send(now=day.at(9))

    assert re.search(r"https://book\.example\.org/ride/[A-Za-z0-9_-]{43}/", mail.outbox[0].body)


def test_reminder_without_an_escort_requirement_has_no_ride_part(day):
    appointment = day.appointment(
        start=day.at(9, day=day.day + timedelta(days=1)), session_type=day.therapy
    )

    reminders_send(now=day.at(9))

    (message,) = mail.outbox
    assert "ride" not in message.body.lower()
    assert "Please arrive by 8:50 AM." in message.body
    assert not RideConfirmation.objects.filter(appointment=appointment).exists()


def test_reminder_when_the_ride_is_already_confirmed_has_no_link(day):
    appointment = day.appointment(start=day.at(9, day=day.day + timedelta(days=1)))
    RideConfirmation.objects.create(
        appointment=appointment, token_hash="0" * 64, created_at=day.at(8), confirmed_at=day.at(8)
    )

    reminders_send(now=day.at(9))

    assert LINK.search(mail.outbox[0].body) is None
    assert "your ride is already confirmed" in mail.outbox[0].body


def test_reminder_window_is_configurable(day):
    far = day.appointment(start=day.at(9) + timedelta(hours=60))

    narrow = run_command("--now", day.at(9).isoformat())
    wide = run_command("--now", day.at(9).isoformat(), "--hours", "72")

    assert narrow.startswith("Sent 0")
    assert wide.startswith("Sent 1")
    assert ReminderSent.objects.get().appointment_id == far.id


def test_reminder_for_a_patient_without_email_is_skipped_and_counted(day):
    patient = day.patients[0]
    patient.email = ""
    patient.save()
    appointment = day.appointment(start=day.at(9, day=day.day + timedelta(days=1)))

    run = reminders_send(now=day.at(9))

    assert run.no_email == [appointment.id]
    assert mail.outbox == []
    assert not ReminderSent.objects.exists()


def test_reminder_already_claimed_by_another_run_is_not_sent(day):
    appointment = day.appointment(start=day.at(9, day=day.day + timedelta(days=1)))
    # Another run claimed it between this run's fetch and its claim.
    ReminderSent.objects.create(
        appointment=appointment,
        kind=REMINDER_KIND,
        sent_at=day.at(9),
        recipient="robin0@example.org",
    )

    outcome = reminder_send(appointment, now=day.at(9))

    assert outcome is Outcome.ALREADY_CLAIMED
    assert mail.outbox == []
    assert ReminderSent.objects.count() == 1


def test_failed_send_releases_the_claim_for_the_next_run(day):
    appointment = day.appointment(start=day.at(9, day=day.day + timedelta(days=1)))

    with override_settings(EMAIL_BACKEND="tests.scheduling.day.mail_backends.DownBackend"):
        failed = reminders_send(now=day.at(9))
        with pytest.raises(CommandError, match="1 reminder\\(s\\) could not be sent"):
            run_command("--now", day.at(9, 5).isoformat())
    retried = reminders_send(now=day.at(9, 10))

    assert failed.failed == [appointment.id]
    assert retried.sent == [appointment.id]
    assert len(mail.outbox) == 1
    assert ReminderSent.objects.get().sent_at == day.at(9, 10)


def test_send_reminders_dry_run_sends_and_records_nothing(day):
    appointment = day.appointment(start=day.at(9, day=day.day + timedelta(days=1)))

    out = run_command("--now", day.at(9).isoformat(), "--dry-run")

    assert f"appointment {appointment.id}" in out
    assert "1 reminder(s) due." in out
    assert mail.outbox == []
    assert not ReminderSent.objects.exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [("2026-05-06T09:00:00", "include a UTC offset"), ("tomorrow", "not an ISO 8601 datetime")],
)
def test_send_reminders_refuses_an_ambiguous_now(day, value, message):
    with pytest.raises(CommandError, match=message):
        run_command("--now", value)


@pytest.mark.django_db(transaction=True)
def test_two_overlapping_runs_send_each_reminder_exactly_once(day):
    appointments = [
        day.appointment(
            start=day.at(9 + i, day=day.day + timedelta(days=1)), patient=day.patients[i]
        )
        for i in range(4)
    ]
    runners = 4
    barrier = threading.Barrier(runners)
    runs = []

    def run():
        try:
            barrier.wait()
            runs.append(reminders_send(now=day.at(9)))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(runners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(i for r in runs for i in r.sent) == sorted(a.id for a in appointments)
    assert sorted(sent_to()) == [f"robin{i}@example.org" for i in range(4)]
    assert ReminderSent.objects.count() == 4
    assert all(not r.failed for r in runs)

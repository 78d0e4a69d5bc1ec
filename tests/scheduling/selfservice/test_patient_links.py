"""Patient links: stored hashed, one answer each, expiring, showing only time and place."""

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from backend.scheduling.booking.models import AppointmentStatus
from backend.scheduling.selfservice.models import LinkPurpose, PatientLink
from backend.scheduling.selfservice.services import link_issue, offer_notices_send
from backend.scheduling.waitlist.models import WaitlistEntry, WaitlistStatus
from backend.scheduling.waitlist.services import offer_make, waitlist_entry_create

pytestmark = pytest.mark.django_db


def issue(appointment):
    return link_issue(
        purpose=LinkPurpose.APPOINTMENT,
        now=timezone.now(),
        expires_at=appointment.start,
        appointment=appointment,
    )


def visit(client, token, **post):
    url = f"/visit/{token}/"
    return client.post(url, post) if post else client.get(url)


def test_only_a_hash_of_the_token_is_stored(client, world):
    token = issue(world.appointment(world.at(9)))

    stored = PatientLink.objects.get()

    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in stored.token_hash


def test_the_page_shows_time_and_place_and_no_session_type(client, world):
    appointment = world.appointment(world.at(9))
    token = issue(appointment)

    page = visit(client, token).content.decode()

    assert world.clinic.name in page
    assert "9:00 AM" in page
    assert world.spravato.name not in page
    assert world.patient.last_name not in page


def test_confirm_once_then_the_link_is_used(client, world):
    appointment = world.appointment(world.at(9))
    token = issue(appointment)

    first = visit(client, token, action="confirm")
    again = visit(client, token, action="cancel", reason="changed my mind")

    assert first.status_code == 200
    assert appointment.events.filter(action="confirmed_by_patient").count() == 1
    assert again.status_code == 409
    assert "cannot be used again" in again.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


def test_an_expired_link_does_nothing(client, world, time_machine):
    appointment = world.appointment(world.at(9))
    token = issue(appointment)
    time_machine.move_to(world.at(9, 1))

    response = visit(client, token, action="confirm")

    assert response.status_code == 409
    assert "expired" in response.content.decode()
    assert not appointment.events.filter(action="confirmed_by_patient").exists()


def test_cancel_within_the_cutoff_needs_a_reason(client, world):
    appointment = world.appointment(world.at(9))
    token = issue(appointment)

    without = visit(client, token, action="cancel", reason=" ")
    response = visit(client, token, action="cancel", reason="Flu")

    assert without.status_code == 400
    assert response.status_code == 200
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert "Flu" in appointment.cancel_reason


def test_cancel_past_the_cutoff_is_refused(client, world, time_machine):
    appointment = world.appointment(world.at(9))
    token = issue(appointment)
    time_machine.move_to(world.at(9) - timedelta(hours=3))

    response = visit(client, token, action="cancel", reason="Flu")

    assert response.status_code == 400
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


def test_asking_to_reschedule_puts_the_patient_on_the_waitlist(client, world):
    appointment = world.appointment(world.at(9))
    token = issue(appointment)

    response = visit(client, token, action="reschedule")

    assert response.status_code == 200
    entry = WaitlistEntry.objects.get()
    assert entry.patient == world.patient
    assert entry.replaces == appointment
    assert entry.status == WaitlistStatus.WAITING


def test_an_unknown_token_is_404(client, db):
    assert visit(client, "nope").status_code == 404


def offered(world, patient):
    entry = waitlist_entry_create(
        actor=None,
        patient=patient,
        session_type=world.spravato,
        date_from=world.day,
        date_to=world.day,
        now=timezone.now(),
    )
    return offer_make(entry_id=entry.id, start=world.at(13), now=timezone.now())


def test_an_offer_goes_out_with_a_link_that_accepts_it_once(client, world, mailoutbox):
    entry = offered(world, world.other_patient)

    sent = offer_notices_send(now=timezone.now())
    token = mailoutbox[-1].body.split("/visit/")[1].split("/")[0]
    accepted = visit(client, token, action="accept")
    again = visit(client, token, action="decline")

    assert sent == 1
    assert offer_notices_send(now=timezone.now()) == 0
    assert accepted.status_code == 200
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.BOOKED
    assert again.status_code == 409


def test_a_declined_offer_link_passes_the_seat_on(client, world, mailoutbox):
    entry = offered(world, world.other_patient)
    offer_notices_send(now=timezone.now())
    token = mailoutbox[-1].body.split("/visit/")[1].split("/")[0]

    response = visit(client, token, action="decline")

    assert response.status_code == 200
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.WAITING
    assert entry.offer.status == AppointmentStatus.CANCELLED


def test_an_offer_link_expires_with_the_offer(client, world, mailoutbox, time_machine):
    entry = offered(world, world.other_patient)
    offer_notices_send(now=timezone.now())
    token = mailoutbox[-1].body.split("/visit/")[1].split("/")[0]
    time_machine.move_to(entry.offer_expires_at + timedelta(minutes=1))

    response = visit(client, token, action="accept")

    assert response.status_code == 409
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.OFFERED

"""The waitlist and authorizations in the console: matches shown on a cancel, the offer
on the waitlist page, the front desk answering for the patient, and the renewal list."""

from datetime import timedelta

import pytest
from django.utils import timezone

from backend.scheduling.authorizations.services import authorization_create
from backend.scheduling.booking.models import Appointment, AppointmentStatus
from backend.scheduling.waitlist.models import WaitlistEntry, WaitlistStatus
from backend.scheduling.waitlist.services import waitlist_entry_create, waitlist_run
from tests.console.console_html import text
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_tomorrow(world, now):
    """Both recliners taken tomorrow at 11:00; Eleanor waits for that time."""
    tomorrow = now.date() + timedelta(days=1)
    extra = PatientFactory(clinic=world.clinic, cleared=True, rems_enrolled_on=world.day)
    taken = [world.book(world.at(tomorrow, 11), patient=p) for p in (world.other, extra)]
    entry = waitlist_entry_create(
        actor=None,
        patient=world.patient,
        session_type=world.spravato,
        date_from=tomorrow,
        date_to=tomorrow,
        earliest=world.at(tomorrow, 11).time(),
        latest=world.at(tomorrow, 11).time(),
        now=now,
    )
    return taken, entry


def test_cancelling_shows_the_waitlist_matches_and_the_offer_goes_out(
    front_desk, world, full_tomorrow
):
    (freed, _), entry = full_tomorrow

    response = front_desk.post(f"/appointments/{freed.id}/cancel/", {"reason": "Car trouble"})
    page = text(front_desk.get(response["Location"]))
    waitlist_run(now=timezone.now())
    listing = text(front_desk.get("/waitlist/"))

    assert response.status_code == 302
    assert "Waitlist matches for this time" in page
    assert "Eleanor Whitaker" in page
    assert WaitlistEntry.objects.get(pk=entry.id).status == WaitlistStatus.OFFERED
    offered = listing[
        listing.index('id="waitlist-offered"') : listing.index('id="waitlist-waiting"')
    ]
    assert f'id="entry-{entry.id}"' in offered


def test_front_desk_accepts_an_offer_for_the_patient(front_desk, world, full_tomorrow):
    (freed, _), entry = full_tomorrow
    front_desk.post(f"/appointments/{freed.id}/cancel/", {"reason": "Car trouble"})
    waitlist_run(now=timezone.now())

    response = front_desk.post(f"/waitlist/{entry.id}/accept/")

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.BOOKED
    assert Appointment.objects.get(pk=entry.booked_id).status == AppointmentStatus.BOOKED


def test_front_desk_declines_and_withdraws(front_desk, world, full_tomorrow):
    (freed, _), entry = full_tomorrow
    front_desk.post(f"/appointments/{freed.id}/cancel/", {"reason": "Car trouble"})
    waitlist_run(now=timezone.now())

    declined = front_desk.post(f"/waitlist/{entry.id}/decline/")
    entry.refresh_from_db()
    status_after_decline = entry.status
    withdrawn = front_desk.post(f"/waitlist/{entry.id}/withdraw/")
    entry.refresh_from_db()

    assert declined.status_code == withdrawn.status_code == 302
    assert status_after_decline == WaitlistStatus.WAITING
    assert entry.status == WaitlistStatus.WITHDRAWN


def test_a_clinician_may_not_answer_an_offer(clinician, world, full_tomorrow):
    _, entry = full_tomorrow

    response = clinician.post(f"/waitlist/{entry.id}/withdraw/")

    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.WAITING


def test_authorizations_show_on_the_patient_page_and_the_renewal_list(front_desk, world, now):
    authorization_create(
        actor=None,
        patient=world.patient,
        payer="Acme Health",
        number="PA-77",
        session_types=[world.spravato],
        units=2,
        start_date=now.date(),
        end_date=now.date() + timedelta(days=200),
    )

    patient_page = text(front_desk.get(f"/patients/{world.patient.id}/"))
    renewals = text(front_desk.get("/authorizations/"))

    assert "Payer authorizations" in patient_page
    assert "PA-77" in patient_page
    assert "<strong>2</strong> of 2" in patient_page
    assert "PA-77" in renewals

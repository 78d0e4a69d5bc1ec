"""A front desk cancels a session and the freed chair goes out to the waitlist, in a real
browser: the appointment page lists the waiting patients who match, the worker's code path
(``manage.py waitlist_offers``) makes the offer, and the waitlist page shows it held.
Screenshots go to test-output/e2e/waitlist/ (a folder of its own: the console walk's numbered
screenshots in test-output/e2e/ stay, and CI checks they are there)."""

from datetime import time, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from backend.common.errors import DomainError
from backend.scheduling.booking.services import appointment_book
from backend.scheduling.resources.models import Patient, SessionType
from backend.scheduling.waitlist.models import WaitlistEntry, WaitlistStatus
from backend.scheduling.waitlist.services import waitlist_entry_create
from tests.e2e.browser_kit import DESKTOP, SCREENSHOTS, Shots, chromium
from tests.e2e.test_e2e_console import demo, log_in, next_open_weekday  # noqa: F401
from tests.factories import PatientFactory

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("builtins_restored"),
]


@pytest.fixture
def shots() -> Shots:
    return Shots(SCREENSHOTS / "waitlist")


def fill_every_chair(clinic, session_type, start):
    """Book patients at ``start`` until no chair is left; the appointments booked."""
    booked = []
    for _ in range(20):
        patient = PatientFactory(
            clinic=clinic, cleared=True, rems_enrolled_on=start.date(), escort_name="Escort"
        )
        try:
            booked.append(
                appointment_book(
                    actor=None,
                    patient=patient,
                    session_type=session_type,
                    start=start,
                    now=timezone.now(),
                )
            )
        except DomainError:
            return booked
    raise AssertionError("the chairs never filled")


def test_front_desk_cancels_and_sees_the_offer_go_out(live_server, shots, demo):  # noqa: F811
    base = live_server.url
    clinic = demo
    spravato = SessionType.objects.get(clinic=None, slug="spravato-session")
    day = next_open_weekday(clinic, timezone.now().astimezone(clinic.zone).date() + timedelta(7))
    start = timezone.make_aware(timezone.datetime.combine(day, time(11, 0)), clinic.zone)
    freed, *_ = fill_every_chair(clinic, spravato, start)
    waiting = Patient.objects.get(clinic=clinic, last_name="Whitaker")
    entry = waitlist_entry_create(
        actor=None,
        patient=waiting,
        session_type=spravato,
        date_from=day,
        date_to=day,
        earliest=time(11, 0),
        latest=time(11, 0),
        now=timezone.now(),
    )
    call_command("waitlist_offers")
    assert WaitlistEntry.objects.get(pk=entry.pk).status == WaitlistStatus.WAITING

    with chromium() as browser:
        page = browser.new_page(viewport=DESKTOP)
        page.on("dialog", lambda dialog: dialog.accept())
        log_in(page, base, "frontdesk")
        page.goto(f"{base}/appointments/{freed.id}/")
        page.fill("#id_reason", "Patient has the flu")
        page.get_by_role("button", name="Cancel appointment").click()
        matches = page.locator("#waitlist-matches")
        expect(matches).to_contain_text("Waitlist matches for this time")
        expect(matches).to_contain_text("Eleanor Whitaker")
        shots.take(page, "waitlist-matches-after-cancel")

    # What the task worker runs when the cancellation commits (same code path).
    call_command("waitlist_offers")
    offered = WaitlistEntry.objects.select_related("offer").get(pk=entry.pk)
    assert offered.status == WaitlistStatus.OFFERED
    assert offered.offer.seat_id == freed.seat_id

    with chromium() as browser:
        page = browser.new_page(viewport=DESKTOP)
        log_in(page, base, "frontdesk")
        page.goto(f"{base}/waitlist/")
        row = page.locator("#waitlist-offered tr", has_text="Eleanor Whitaker")
        expect(row).to_contain_text("11:00")
        shots.take(page, "waitlist-offer-held")
        shots.tablet(page, "waitlist-offer-held")

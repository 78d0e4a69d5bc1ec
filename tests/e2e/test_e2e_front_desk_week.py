"""The front desk's week, clicked through in Debian's chromium, with axe-core on every page.

- every console page passes axe-core with no serious or critical violation;
- registering a patient, and catching a duplicate before it is saved;
- booking a one-off visit from a free cell of the week view;
- recording a nurse's absence and reassigning the sessions it leaves without her;
- adding a holiday that previews the booked sessions it hits, then moves them.

Screenshots go to test-output/e2e/front-desk-week/.
"""

from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver
from playwright.sync_api import expect

from backend.plans.models import PlanTemplate
from backend.plans.services.plans import plan_create
from backend.scheduling.absences.services import staff_absence_record
from backend.scheduling.booking.services import appointment_book
from backend.scheduling.resources.models import Clinic, Patient, SessionType, Staff
from tests.e2e.browser_kit import (
    AXE_SCRIPT,
    DESKTOP,
    SCREENSHOTS,
    TIMEOUT_MS,
    Shots,
    assert_accessible,
    chromium,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("builtins_restored"),
]

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo.json"
PASSWORD = "kap-demo-2026"


@pytest.fixture
def shots() -> Shots:
    return Shots(SCREENSHOTS / "front-desk-week")


@pytest.fixture
def demo(db):
    call_command("loaddata", str(DEMO), verbosity=0)
    for user in get_user_model().objects.all():
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    return Clinic.objects.prefetch_related("closures").get(slug="harbor-light")


@pytest.fixture
def axe():
    if not AXE_SCRIPT.exists():
        pytest.skip("axe-core is not installed: run `make axe` (npm ci in tests/e2e/axe)")
    return AXE_SCRIPT


def open_weekday(clinic: Clinic, after: date, weekday: int | None = None) -> date:
    closed = {
        c.start_date + timedelta(days=n)
        for c in clinic.closures.all()
        for n in range((c.end_date - c.start_date).days + 1)
    }
    day = after + timedelta(days=1)
    while day.weekday() > 4 or day in closed or (weekday is not None and day.weekday() != weekday):
        day += timedelta(days=1)
    return day


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Day board")


def spravato(clinic: Clinic) -> SessionType:
    return SessionType.objects.get(clinic=None, slug="spravato-session")


def cleared_patients(clinic: Clinic) -> list[Patient]:
    return list(
        Patient.objects.filter(
            clinic=clinic, active=True, screening_status="cleared", rems_enrolled_on__isnull=False
        ).order_by("id")
    )


def book(clinic, patient, start, *, now):
    return appointment_book(
        actor=None, patient=patient, session_type=spravato(clinic), start=start, now=now
    )


# --- Every console page passes axe-core --------------------------------------------------

# Console routes that only take a POST (their result pages are walked instead).
POST_ONLY = {
    "patient-active",
    "patient-feed",
    "account-deactivate",
    "account-invite",
    "setup-hours",
    "setup-closure",
    "setup-room",
    "setup-seat",
    "closure-delete",
    "seat-active",
    "room-active",
    "absence-delete",
    "waitlist-accept",
    "waitlist-decline",
    "waitlist-withdraw",
    "course-book",
    "appointment-reschedule",
    "appointment-cancel",
    "appointment-escort",
    "appointment-step",
}


def console_route_names() -> set[str]:
    def walk(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern) and pattern.lookup_str.startswith(
                "backend.console."
            ):
                yield pattern.name

    return set(walk(get_resolver().url_patterns))


def test_every_console_page_passes_axe_core(live_server, demo, axe, shots, settings):
    base = live_server.url
    settings.SESSION_IDLE_MINUTES = 24 * 60
    zone = demo.zone
    today = datetime.now(zone).date()
    day = open_weekday(demo, today)
    now = datetime.combine(today, time(7), tzinfo=zone)
    patient, other = cleared_patients(demo)[:2]
    appointment = book(demo, patient, datetime.combine(day, time(10), tzinfo=zone), now=now)
    staff_absence_record(
        actor=None,
        staff=appointment.staff,
        start=datetime.combine(day, time(0), tzinfo=zone),
        end=datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone),
        now=now,
    )
    plan = plan_create(
        actor=None,
        patient=other,
        template=PlanTemplate.objects.get(clinic=None, slug="spravato-trd"),
        start_date=day,
        now=now,
    )
    manager = get_user_model().objects.get(username="manager")
    nurse = Staff.objects.filter(clinic=demo, role="nurse").order_by("id").first()
    pages = {
        "board": "/",
        "schedule": "/schedule/",
        "schedule-week": f"/schedule/?view=week&date={day}",
        "patients": "/patients/?q=a",
        "patient-new": "/patients/new/",
        "patient": f"/patients/{patient.id}/",
        "patient-edit": f"/patients/{patient.id}/edit/",
        "utilization": "/reports/utilization/",
        "two-factor": "/security/two-factor/",
        "accounts": "/staff-accounts/",
        "account-new": "/staff-accounts/new/",
        "account": f"/staff-accounts/{manager.id}/",
        "visit-new": f"/visits/new/?patient={patient.id}&session_type={spravato(demo).id}",
        "setup": "/setup/",
        "staff-new": "/staff/new/",
        "staff-edit": f"/staff/{nurse.id}/edit/",
        "staff": "/staff/",
        "staff-absences": f"/staff/{appointment.staff_id}/absences/",
        "attention": "/attention/",
        "waitlist": "/waitlist/",
        "authorizations": "/authorizations/",
        "reassign": f"/appointments/{appointment.id}/reassign/",
        "course-new": "/courses/new/",
        "course": f"/courses/{plan.id}/",
        "appointment": f"/appointments/{appointment.id}/",
        "appointment-discharge": f"/appointments/{appointment.id}/discharge/",
    }
    # The login page is checked before logging in; its second step needs a clinic that
    # requires two-step login, which the security browser tests walk.
    unwalked = console_route_names() - POST_ONLY - set(pages) - {"login", "login-verify"}
    assert unwalked == set(), "console pages the accessibility walk does not visit: add them"

    with chromium() as browser:
        page = browser.new_page(viewport=DESKTOP)
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(f"{base}/accounts/login/")
        assert_accessible(page, "login")
        log_in(page, base, "manager")
        for name, path in pages.items():
            response = page.goto(f"{base}{path}")
            assert response.status in (200, 403), (name, response.status)
            assert_accessible(page, name)
        # Forms with their errors shown are pages too.
        page.goto(f"{base}/patients/new/")
        page.get_by_role("button", name="Register").click()
        expect(page.locator(".has-error").first).to_be_visible()
        assert_accessible(page, "patient-new with errors")
        shots.take(page, "patient-form-errors")

"""The front desk's week, clicked through in Debian's chromium, with axe-core on every page.

- every console page passes axe-core with no serious or critical violation;
- registering a patient, and catching a duplicate before it is saved;
- booking a one-off visit from a free cell of the week view;
- recording a nurse's absence and reassigning the sessions it leaves without her;
- adding a holiday that previews the booked sessions it hits, then moves them.

Screenshots go to test-output/e2e/front-desk/<test>/.
"""

from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver
from playwright.sync_api import expect

from backend.plans.models import Cohort, PlanTemplate
from backend.plans.services.plans import plan_create
from backend.scheduling.absences.services import staff_absence_record
from backend.scheduling.booking.models import Appointment, AppointmentStatus
from backend.scheduling.booking.services import appointment_book
from backend.scheduling.resources.models import Clinic, Closure, Patient, SessionType, Staff
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
def shots(request) -> Shots:
    """Each test's screenshots in a folder of its own, kept when the next test runs."""
    return Shots(SCREENSHOTS / "front-desk" / request.node.originalname.removeprefix("test_"))


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
    "cohort-move",
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
    cohort = Cohort.objects.create(
        clinic=demo,
        template=PlanTemplate.objects.get(clinic=None, slug="kap-group"),
        start_date=day,
        room=demo.rooms.filter(kind="dosing").order_by("id").first(),
    )
    pages = {
        "cohorts": "/cohorts/",
        "cohort": f"/cohorts/{cohort.id}/",
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


# --- Registering a patient and catching a duplicate ---------------------------------------


def test_register_a_patient_and_catch_a_duplicate(live_server, demo, shots):
    base = live_server.url
    with chromium() as browser:
        page = browser.new_page(viewport=DESKTOP)
        page.set_default_timeout(TIMEOUT_MS)
        log_in(page, base, "frontdesk")
        page.get_by_role("link", name="Patients", exact=True).click()
        page.get_by_role("link", name="Register a patient").click()

        def fill(phone: str) -> None:
            page.fill("#id_first_name", "Ana")
            page.fill("#id_last_name", "López")
            page.fill("#id_date_of_birth", "1980-03-04")
            page.fill("#id_phone", phone)
            page.fill("#id_email", "ana@example.org")
            page.check("#id_sms_consent")
            page.fill("#id_escort_name", "Luis López")
            page.fill("#id_escort_phone", "(212) 555-0143")
            page.select_option("#id_screening_status", "cleared")
            page.fill("#id_screening_date", "2026-01-05")

        fill("555-01")
        shots.take(page, "register-form")
        page.get_by_role("button", name="Register").click()
        expect(page.locator("#id_phone_error")).to_be_visible()
        expect(page.locator("#id_phone")).to_have_attribute("aria-invalid", "true")
        shots.take(page, "register-bad-phone")
        page.fill("#id_phone", "(212) 555-0142")
        page.get_by_role("button", name="Register").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Ana López")
        expect(page.locator(".facts").first).to_contain_text("(212) 555-0142")
        shots.take(page, "registered")

        # The same person registered again by a colleague: shown before anything is saved.
        page.goto(f"{base}/patients/new/")
        fill("")
        page.get_by_role("button", name="Register").click()
        duplicates = page.locator("#duplicates")
        expect(duplicates).to_contain_text("Possible duplicate")
        expect(duplicates.get_by_role("link", name="Ana López")).to_be_visible()
        shots.take(page, "duplicate-caught")
        shots.tablet(page, "duplicate-caught")
        assert_accessible(page, "duplicate-caught")
        duplicates.get_by_role("link", name="Ana López").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Ana López")

        page.goto(f"{base}/patients/?q=212 555 0142")
        expect(page.locator("table.list tbody")).to_contain_text("López, Ana")
        shots.take(page, "search-by-phone")

    saved = Patient.objects.filter(first_name="Ana", last_name="López")
    assert [(p.phone, p.escort_phone, p.sms_consent) for p in saved] == [
        ("+12125550142", "+12125550143", True)
    ]


# --- A one-off visit from a free cell of the week view ------------------------------------


def test_book_a_one_off_visit_from_a_free_cell_of_the_week_view(live_server, demo, shots):
    base = live_server.url
    zone = demo.zone
    day = open_weekday(demo, datetime.now(zone).date() + timedelta(days=1))
    patient = cleared_patients(demo)[0]
    kind = spravato(demo)
    cell = f"start={day.isoformat()}T10%3A00"

    with chromium() as browser:
        page = browser.new_page(viewport=DESKTOP)
        page.set_default_timeout(TIMEOUT_MS)
        log_in(page, base, "frontdesk")
        page.get_by_role("link", name="Schedule", exact=True).click()
        expect(page.locator(".sched")).to_be_visible()
        shots.take(page, "schedule-day")
        shots.tablet(page, "schedule-day")
        page.goto(f"{base}/schedule/?view=week&date={day.isoformat()}")
        expect(page.get_by_role("heading", level=1)).to_contain_text("week of")
        shots.take(page, "schedule-week")
        shots.tablet(page, "schedule-week")

        page.locator(f"a.blk-free[href*='{cell}']").first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Book a one-off visit")
        expect(page.locator("#id_start")).to_have_value(f"{day.isoformat()}T10:00")
        page.select_option("#id_patient", str(patient.id))
        page.select_option("#id_session_type", str(kind.id))
        page.get_by_role("button", name="Show free starts").click()
        expect(page.locator(".slot-list")).to_contain_text(f"{day:%a %-d %b}, 10:00")
        page.select_option("#id_patient", str(patient.id))
        page.select_option("#id_session_type", str(kind.id))
        page.fill("#id_start", f"{day.isoformat()}T10:00")
        page.fill("#id_escort_name", "Kim Driver")
        page.fill("#id_escort_phone", "(212) 555-0188")
        shots.take(page, "visit-form")
        page.get_by_role("button", name="Book", exact=True).click()
        expect(page.locator(".messages")).to_contain_text(f"Booked {patient.full_name}")
        shots.take(page, "visit-booked")

        page.goto(f"{base}/schedule/?date={day.isoformat()}")
        expect(page.locator("a.blk-session", has_text=patient.full_name)).to_be_visible()
        expect(page.locator("a.blk-recovery").first).to_be_visible()
        shots.take(page, "schedule-with-visit")

    visit = Appointment.objects.get(patient=patient)
    assert visit.start == datetime.combine(day, time(10), tzinfo=zone)
    assert (visit.plan_id, visit.escort_name, visit.escort_phone) == (
        None,
        "Kim Driver",
        "+12125550188",
    )


# --- A nurse calls in sick: record it, reassign what it hits -------------------------------


def test_record_a_nurses_absence_and_reassign_the_flagged_sessions(live_server, demo, shots):
    base = live_server.url
    zone = demo.zone
    today = datetime.now(zone).date()
    # A Monday: the demo's third nurse works Wednesday to Saturday only.
    day = open_weekday(demo, today + timedelta(days=1), weekday=0)
    now = datetime.now(zone)
    first, second = cleared_patients(demo)[:2]
    booked = [
        book(demo, first, datetime.combine(day, time(9), tzinfo=zone), now=now),
        book(demo, second, datetime.combine(day, time(13), tzinfo=zone), now=now),
    ]
    nurse = booked[0].staff
    Appointment.objects.filter(pk=booked[1].pk).update(staff=nurse)
    booked[1].holds.filter(staff__isnull=False).update(staff=nurse)

    with chromium() as browser:
        page = browser.new_page(viewport=DESKTOP)
        page.set_default_timeout(TIMEOUT_MS)
        log_in(page, base, "frontdesk")
        page.get_by_role("link", name="Staff", exact=True).click()
        page.get_by_role("link", name=f"Absences and shifts of {nurse.name}").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(nurse.name)
        page.select_option("#id_kind", "absence")
        page.fill("#id_first_day", day.isoformat())
        page.fill("#id_last_day", day.isoformat())
        page.fill("#id_reason", "Sick")
        shots.take(page, "absence-form")
        page.get_by_role("button", name="Record").click()

        expect(page.get_by_role("heading", level=1)).to_contain_text("Needs attention")
        expect(page.locator(".messages")).to_contain_text("2 booked appointments")
        rows = page.locator("tbody tr[id^='attention-']")
        expect(rows).to_have_count(2)
        shots.take(page, "needs-attention")
        shots.tablet(page, "needs-attention")

        page.goto(f"{base}/schedule/?date={day.isoformat()}")
        expect(page.locator(".flag-needs_attention").first).to_be_visible()
        expect(page.locator(".blk-absence").first).to_be_visible()
        shots.take(page, "schedule-nurse-away")
        page.goto(f"{base}/?date={day.isoformat()}")
        expect(page.locator(".flag-needs_attention").first).to_be_visible()
        shots.take(page, "board-flagged")

        # At 09:00 only the absent nurse works (the others start later): the nearest start
        # with someone is offered. At 13:00 another nurse is free: same time, new nurse.
        for patient, proposal in (
            (first, "The nearest start is"),
            (second, "is working and free"),
        ):
            page.goto(f"{base}/attention/")
            page.get_by_role("link", name=f"Reassign {patient.full_name}").click()
            expect(page.locator("#proposal")).to_contain_text(proposal)
            shots.take(page, f"reassign-{patient.last_name.lower()}")
            page.get_by_role("button", name="Apply").click()
            expect(page.locator(".messages")).to_contain_text(f"{patient.full_name}: moved with")
        expect(page.locator("main")).to_contain_text("Nothing needs attention.")
        shots.take(page, "attention-cleared")

    for appointment in booked:
        appointment.refresh_from_db()
        assert appointment.staff_id != nurse.id
        assert appointment.status == AppointmentStatus.BOOKED
    assert booked[0].start > datetime.combine(day, time(9), tzinfo=zone)
    assert booked[1].start == datetime.combine(day, time(13), tzinfo=zone)


# --- A holiday that hits booked sessions: preview, then move -------------------------------


def test_add_a_holiday_that_previews_and_moves_booked_sessions(live_server, demo, shots):
    base = live_server.url
    zone = demo.zone
    now = datetime.now(zone)
    day = open_weekday(demo, now.date() + timedelta(days=1))
    patients = cleared_patients(demo)[:2]
    for hour, patient in zip((9, 11), patients, strict=True):
        book(demo, patient, datetime.combine(day, time(hour), tzinfo=zone), now=now)

    with chromium() as browser:
        page = browser.new_page(viewport=DESKTOP)
        page.set_default_timeout(TIMEOUT_MS)
        log_in(page, base, "manager")
        page.get_by_role("link", name="Clinic set-up").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Clinic set-up")
        shots.take(page, "setup")
        shots.tablet(page, "setup")
        page.fill("#id_closure-start_date", day.isoformat())
        page.fill("#id_closure-end_date", day.isoformat())
        page.fill("#id_closure-reason", "Staff training day")
        page.get_by_role("button", name="Check and add").click()

        preview = page.locator("#closure-preview")
        expect(preview).to_contain_text("falls on 2 booked sessions")
        for patient in patients:
            expect(preview).to_contain_text(patient.full_name)
        shots.take(page, "holiday-preview")
        assert_accessible(page, "holiday-preview")
        preview.get_by_role("button", name="Save and move them").click()
        expect(page.locator(".messages")).to_contain_text("Closure saved; 2 session(s) moved.")
        expect(page.locator("#closures")).to_contain_text("Staff training day")
        shots.take(page, "holiday-saved")

        page.goto(f"{base}/schedule/?view=week&date={day.isoformat()}")
        expect(
            page.locator(".blk-closed", has_text="Closed: Staff training day").first
        ).to_be_visible()
        shots.take(page, "schedule-holiday")

    assert Closure.objects.filter(clinic=demo, start_date=day, reason="Staff training day").exists()
    for appointment in Appointment.objects.filter(patient__in=patients):
        assert appointment.start.astimezone(zone).date() > day
        assert appointment.status == AppointmentStatus.BOOKED

"""A front-desk morning and a clinician's discharge, clicked through in a real browser.

The front desk books a Spravato course for a cleared, REMS-enrolled demo patient through
the wizard (moving the first session to a time of their choosing), checks the patient in
on the day board and logs out; a clinician starts the session and, once the service clock
has moved past the 120-minute monitoring time, discharges the patient with the checks.
Every page visited is saved under test-output/e2e/.
"""

import re
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from backend.plans.models import PlanStatus, TreatmentPlan
from backend.scheduling.booking.models import Appointment, AppointmentStatus
from backend.scheduling.resources.models import Clinic
from tests.e2e.browser_kit import DESKTOP, TIMEOUT_MS, chromium

pytestmark = [
    pytest.mark.e2e,
    # The live server needs committed rows: the demo fixture, and the built-in templates
    # and roles of the data migrations, which earlier transactional tests flushed.
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("builtins_restored"),
]

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "demo.json"
PASSWORD = "kap-demo-2026"
PATIENT_LABEL = "Whitaker, Eleanor (screening cleared, REMS enrolled)"
# Every Content-Security-Policy violation a page reports goes to the console with this
# prefix; chromium also logs each refusal there itself.
CSP_REPORT = "csp-violation"
CSP_LISTENER = (
    "document.addEventListener('securitypolicyviolation', (e) => console.error("
    f"'{CSP_REPORT} ' + e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile));"
)


def watch_csp(page) -> list[str]:
    """The CSP violations of every page ``page`` loads from now on."""
    violations: list[str] = []

    def on_console(message) -> None:
        if message.text.startswith(CSP_REPORT) or "Content Security Policy" in message.text:
            violations.append(f"{page.url}: {message.text}")

    page.add_init_script(CSP_LISTENER)
    page.on("console", on_console)
    return violations


def assert_strict_policy(response) -> None:
    """The page came with a policy that allows no inline script."""
    header = response.headers["content-security-policy"]
    directives = {name: values for name, *values in (part.split() for part in header.split(";"))}
    assert directives["script-src"] == ["'self'"]


def next_open_weekday(clinic: Clinic, after: date) -> date:
    closed = {
        d
        for c in clinic.closures.all()
        for d in (
            c.start_date + timedelta(days=n) for n in range((c.end_date - c.start_date).days + 1)
        )
    }
    day = after + timedelta(days=1)
    while day.weekday() > 4 or day in closed:
        day += timedelta(days=1)
    return day


@pytest.fixture
def demo(db):
    call_command("loaddata", str(DEMO), verbosity=0)
    # The fixture stores production (PBKDF2) hashes; tests hash with MD5 only.
    for user in get_user_model().objects.all():
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    return Clinic.objects.prefetch_related("closures").get(slug="harbor-light")


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/")
    expect(page).to_have_url(f"{base}/accounts/login/?next=/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Day board")


def card_in(page, lane: str, patient: str):
    return page.locator(f"section.lane-{lane} article.card", has_text=patient)


def test_book_check_in_and_discharge_a_spravato_course(live_server, shots, demo, settings):
    base = live_server.url
    # The clinician's tablet sits on the board for two hours without a click below: longer
    # than the idle-session timeout (tests/security covers it), so it is lengthened here.
    settings.SESSION_IDLE_MINUTES = 24 * 60
    zone = demo.zone
    real_today = timezone.now().astimezone(zone).date()
    day = next_open_weekday(demo, real_today)
    morning = datetime.combine(day, time(9, 40), tzinfo=zone)
    dose = datetime.combine(day, time(10, 30), tzinfo=zone)

    # The clock (the live server's too: time-machine moves it for the whole process) stands
    # at 09:40 on an open weekday, whatever the real time is, and keeps ticking.
    with chromium() as browser, time_machine.travel(morning):
        page = browser.new_page(viewport=DESKTOP)
        page.set_default_timeout(TIMEOUT_MS)
        csp_violations = watch_csp(page)

        # --- front desk ------------------------------------------------------------------
        assert_strict_policy(page.goto(f"{base}/accounts/login/"))
        shots.take(page, "login")
        log_in(page, base, "frontdesk")
        shots.take(page, "board-empty")

        page.get_by_role("link", name="Patients").click()
        page.fill("#id_q", "whit")
        page.get_by_role("button", name="Search").click()
        expect(page.locator("table.list tbody")).to_contain_text("Whitaker, Eleanor")
        shots.take(page, "patients-search")
        page.get_by_role("link", name="Whitaker, Eleanor").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Eleanor Whitaker")
        shots.take(page, "patient")

        # The patient page's own "New course" button opens the wizard for this patient.
        page.locator("main").get_by_role("link", name="New course").click()
        expect(page.locator("#id_patient option:checked")).to_have_text(PATIENT_LABEL)
        page.select_option(
            "#id_template", label="Esketamine nasal spray (treatment-resistant depression)"
        )
        expect(page.locator("#id_start_date")).to_have_value(day.isoformat())
        shots.take(page, "wizard-step-1")
        page.get_by_role("button", name="Preview the course").click()

        expect(page.locator("table.week-grid")).to_be_visible()
        expect(page.locator("#session-1")).to_contain_text(day.strftime("%-d %b"))
        shots.take(page, "wizard-preview")
        shots.tablet(page, "wizard-preview")

        # Move the first session to 10:30 today and look again.
        page.locator("#session-1 details.move summary").click()
        page.fill("#s1", dose.strftime("%Y-%m-%dT%H:%M"))
        page.get_by_role("button", name="Preview again").click()
        first = page.locator("#session-1")
        expect(first).to_contain_text("moved")
        expect(first.locator(".session-time")).to_contain_text("10:30")
        expect(page.locator(".unplaced")).to_have_count(0)
        shots.take(page, "wizard-moved")

        page.get_by_role("button", name="Book course").click()
        expect(page.locator(".messages")).to_contain_text("Booked")
        expect(page.locator(".messages")).to_contain_text("sessions for Eleanor Whitaker")
        shots.take(page, "course-booked")

        page.get_by_role("link", name="Day board").click()
        expect(card_in(page, "booked", "Eleanor Whitaker")).to_contain_text("10:30")
        shots.take(page, "board-booked")
        card_in(page, "booked", "Eleanor Whitaker").get_by_role("button", name="Check in").click()
        expect(page.locator(".messages")).to_contain_text("Eleanor Whitaker is checked in.")
        checked_in = card_in(page, "checked_in", "Eleanor Whitaker")
        expect(checked_in).to_be_visible()
        # The front desk may not start a session: no button for it.
        expect(checked_in.get_by_role("button", name="Start session")).to_have_count(0)
        shots.take(page, "board-checked-in")
        shots.tablet(page, "board-checked-in")

        checked_in.get_by_role("link", name="Eleanor Whitaker").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Eleanor Whitaker")
        expect(page.locator(".history")).to_contain_text("checked in by frontdesk")
        shots.take(page, "appointment")

        page.get_by_role("button", name="Log out").click()
        expect(page).to_have_url(f"{base}/accounts/login/")

        # --- clinician -------------------------------------------------------------------
        log_in(page, base, "clinician")
        card_in(page, "checked_in", "Eleanor Whitaker").get_by_role(
            "button", name="Start session"
        ).click()
        in_session = card_in(page, "in_session", "Eleanor Whitaker")
        expect(in_session).to_be_visible()
        expect(in_session.get_by_role("link", name="Discharge")).to_be_visible()
        shots.take(page, "board-in-session")

        # Two hours and ten minutes later the monitoring time has passed.
        with time_machine.travel(timezone.now() + timedelta(minutes=130)):
            page.reload()
            in_session = card_in(page, "in_session", "Eleanor Whitaker")
            expect(in_session.locator(".flag-discharge_due")).to_be_visible()
            in_session.get_by_role("link", name="Discharge").click()
            expect(page.get_by_role("heading", level=1)).to_contain_text("Discharge")
            expect(page.locator("#id_collected_by")).to_have_value("Harold Whitaker")

            # Forgetting the checks: each refusal shows next to its box.
            page.fill("#id_score", "10")
            page.get_by_role("button", name="Discharge").click()
            expect(page.locator("#id_vitals_stable_error")).to_contain_text(
                "Vital signs must be stable"
            )
            expect(page.locator("#id_alert_and_oriented_error")).to_contain_text(
                "alert and oriented"
            )
            expect(page.locator("#id_score")).to_have_value("10")
            shots.take(page, "discharge-errors")

            page.check("#id_vitals_stable")
            page.check("#id_alert_and_oriented")
            shots.take(page, "discharge")
            page.get_by_role("button", name="Discharge").click()

            expect(page.locator(".messages")).to_contain_text("Eleanor Whitaker is discharged.")
            discharged = card_in(page, "discharged", "Eleanor Whitaker")
            expect(discharged).to_be_visible()
            expect(discharged).to_contain_text(re.compile(r"Discharged 11:5\d"))
            shots.take(page, "board-discharged")
        page.close()
        # Every page of the flow ran under the policy without a single refusal.
        assert csp_violations == []

    plan = TreatmentPlan.objects.get(patient__last_name="Whitaker")
    assert plan.status == PlanStatus.BOOKED
    first = Appointment.objects.select_related("discharge").get(plan_id=plan.id, ordinal=1)
    assert first.start == dose
    assert first.status == AppointmentStatus.DISCHARGED
    assert first.discharge.score == 10
    assert first.discharge.collected_by == "Harold Whitaker"
    assert sorted(p.name for p in shots.folder.glob("*.png"))[0] == "01-login.png"
    assert shots.count == len(list(shots.folder.glob("*.png")))

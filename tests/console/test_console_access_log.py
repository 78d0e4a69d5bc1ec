"""The console records every page that shows a patient's record, course or appointment in
the patient access log, and shows managers the patient's access history."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from backend.common.roles import Role
from backend.plans.models import TreatmentPlan
from backend.scheduling.resources import access_log
from backend.scheduling.resources.models import AccessSource, PatientAccess
from tests.console.console_html import text
from tests.factories import ClinicFactory, UserFactory

pytestmark = pytest.mark.django_db

TABLE = PatientAccess._meta.db_table
PAGES = ["console:patient", "console:course", "console:appointment"]


@pytest.fixture
def pages(world, now) -> dict[str, str]:
    """The page of each kind about the world's first patient, by URL name."""
    appointment = world.book(world.at(now.date() + timedelta(days=1), 9))
    plan = TreatmentPlan.objects.create(
        clinic=world.clinic,
        patient=world.patient,
        template=world.template,
        start_date=now.date() + timedelta(days=5),
    )
    return {
        "console:patient": f"/patients/{world.patient.id}/",
        "console:course": f"/courses/{plan.id}/",
        "console:appointment": f"/appointments/{appointment.id}/",
    }


def sql_of(browser: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = browser.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.parametrize("name", PAGES)
def test_each_page_records_one_row_for_the_patient(
    front_desk, front_desk_user, world, now, pages, name
):
    response = front_desk.get(pages[name])

    assert response.status_code == 200
    rows = list(
        PatientAccess.objects.values_list(
            "user_id", "patient_id", "clinic_id", "at", "route", "path", "method", "source"
        )
    )
    assert rows == [
        (
            front_desk_user.id,
            world.patient.id,
            world.clinic.id,
            now,
            name,
            pages[name],
            "GET",
            AccessSource.CONSOLE,
        )
    ]


@pytest.mark.parametrize("name", PAGES)
def test_each_page_adds_exactly_one_query_the_insert(front_desk, pages, monkeypatch, name):
    front_desk.get(pages[name])
    monkeypatch.setattr(access_log, "patient_access_record", lambda **kwargs: [])
    without = sql_of(front_desk, pages[name])
    monkeypatch.undo()

    with_log = sql_of(front_desk, pages[name])

    assert len(with_log) == len(without) + 1
    touching = [sql for sql in with_log if TABLE in sql]
    assert len(touching) == 1
    assert touching[0].startswith(f'INSERT INTO "{TABLE}"')


def test_another_clinics_patient_is_a_404_and_records_nothing(world, now, pages):
    intruder = Client()
    intruder.force_login(UserFactory(memberships=[(ClinicFactory(), Role.MANAGER)]))

    responses = [intruder.get(url).status_code for url in pages.values()]

    assert responses == [404, 404, 404]
    assert PatientAccess.objects.count() == 0


def test_posting_on_a_page_records_nothing(front_desk, world, now, pages):
    front_desk.post(f"/patients/{world.patient.id}/feed/")

    assert not PatientAccess.objects.filter(route="console:patient").exists()


# --- The history on the patient page -------------------------------------------------------


def test_a_manager_sees_the_history_on_the_patient_page(
    manager, front_desk, front_desk_user, world, now, pages
):
    front_desk.get(pages["console:appointment"])
    front_desk.get(pages["console:course"])

    page = text(manager.get(pages["console:patient"]))

    assert "Access history" in page
    assert f"GET {pages['console:appointment']}" in page
    assert f"GET {pages['console:course']}" in page
    assert front_desk_user.username in page
    assert "The whole access history" not in page


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CLINICIAN])
def test_other_roles_do_not_see_the_history(browsers, world, now, pages, role):
    browsers[Role.MANAGER].get(pages["console:appointment"])

    page = text(browsers[role].get(pages["console:patient"]))

    assert "Access history" not in page
    assert f"GET {pages['console:appointment']}" not in page


def test_a_manager_elsewhere_does_not_see_this_clinics_history(world, now, pages):
    browser = Client()
    browser.force_login(
        UserFactory(memberships=[(ClinicFactory(), Role.MANAGER), (world.clinic, Role.FRONT_DESK)])
    )

    page = text(browser.get(pages["console:patient"]))

    assert "Access history" not in page


def test_the_page_shows_the_latest_twenty_and_links_to_the_rest(
    manager, front_desk, world, now, pages, time_machine
):
    for minute in range(22):
        time_machine.move_to(now + timedelta(minutes=minute), tick=False)
        front_desk.get(pages["console:appointment"])

    response = manager.get(pages["console:patient"])
    html = response.content.decode()

    section = html[html.index('id="access-history"') :]
    assert section.count(f"GET {pages['console:appointment']}") == 20
    # Newest first: the latest read (minute 21) is shown, the first two are not.
    assert (now + timedelta(minutes=21)).strftime("%H:%M") in section
    link = f'href="/api/v1/patients/{world.patient.id}/access-log/"'
    assert link in section
    history = manager.get(f"/api/v1/patients/{world.patient.id}/access-log/", {"format": "json"})
    assert history.status_code == 200
    # The 22 reads, and the manager's own two openings of the patient page.
    assert history.json()["count"] == 23

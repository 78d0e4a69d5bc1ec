"""Patients: search by name, the patient page, and the calendar subscription button."""

from datetime import timedelta

import pytest

from backend.plans.services.plans import plan_create
from backend.scheduling.feeds.models import FeedToken
from tests.console.console_html import forms_on, text
from tests.factories import ClinicFactory, PatientFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("query", "found"),
    [
        pytest.param("whit", ["Whitaker, Eleanor"], id="part-of-last"),
        pytest.param("Eleanor Whitaker", ["Whitaker, Eleanor"], id="first-last"),
        pytest.param("whitaker, eleanor", ["Whitaker, Eleanor"], id="last-comma-first"),
        pytest.param("", ["Bell, Marcus", "Brooks, Tyler", "Whitaker, Eleanor"], id="everyone"),
        pytest.param("nobody", [], id="no-match"),
    ],
)
def test_search_finds_patients_by_name_like_the_api(front_desk, world, now, query, found):
    page = text(front_desk.get("/patients/", {"q": query}))

    rows = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    names = [
        name for name in ("Whitaker, Eleanor", "Bell, Marcus", "Brooks, Tyler") if name in rows
    ]
    assert sorted(names) == sorted(found)


def test_search_lists_only_the_selected_clinic(front_desk, world, now):
    PatientFactory(clinic=ClinicFactory(), first_name="Eleanor", last_name="Elsewhere")

    page = text(front_desk.get("/patients/", {"q": "eleanor"}))

    assert "Whitaker, Eleanor" in page
    assert "Elsewhere" not in page


def test_patient_page_shows_plans_appointments_escort_and_eligibility(
    front_desk, front_desk_user, world, now
):
    plan_create(
        actor=front_desk_user,
        patient=world.patient,
        template=world.template,
        start_date=now.date() + timedelta(days=5),
        now=now,
    )
    upcoming = world.book(world.at(now.date() + timedelta(days=1), 9))
    past = world.book(world.at(now.date() - timedelta(days=1), 9))

    page = text(front_desk.get(f"/patients/{world.patient.id}/"))

    assert "Esketamine nasal spray (treatment-resistant depression)" in page
    assert "Draft" in page
    assert "Harold Whitaker · 555-0141" in page
    assert "Cleared</span> on 5 Jan 2026" in page
    assert "6 Jan 2026" in page  # REMS enrollment
    upcoming_part = page.split("Upcoming appointments", 1)[1].split("Past appointments", 1)[0]
    past_part = page.split("Past appointments", 1)[1]
    assert f'href="/appointments/{upcoming.id}/"' in upcoming_part
    assert f'href="/appointments/{past.id}/"' in past_part
    assert "Thu 7 May 2026, 09:00" in upcoming_part


def test_patient_without_rems_is_flagged(front_desk, world, now):
    page = text(front_desk.get(f"/patients/{world.pending.id}/"))

    assert "not enrolled" in page
    assert "Pending" in page


@pytest.mark.parametrize(
    ("role", "offered"), [("front_desk", True), ("manager", True), ("clinician", False)]
)
def test_calendar_subscription_button_by_role(browsers, world, now, role, offered):
    page = text(browsers[role].get(f"/patients/{world.patient.id}/"))

    feed_action = f"/patients/{world.patient.id}/feed/"
    assert (feed_action in {f["action"] for f in forms_on(page)}) is offered


def test_clinicians_may_not_issue_a_feed(clinician, world, now):
    response = clinician.post(f"/patients/{world.patient.id}/feed/")

    assert response.status_code == 403
    assert not FeedToken.objects.exists()


def test_issuing_a_feed_links_to_a_working_subscribe_page(front_desk, client, world, now):
    response = front_desk.post(f"/patients/{world.patient.id}/feed/")

    page = text(response)
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert "Calendar subscription ready" in page
    link = page.split('id="feed-issued"', 1)[1].split('href="', 1)[1].split('"', 1)[0]
    assert link.startswith("http://testserver/feeds/")
    assert client.get(link.removeprefix("http://testserver")).status_code == 200
    assert FeedToken.objects.filter(patient=world.patient, revoked_at=None).count() == 1


def test_issuing_again_revokes_the_previous_link(front_desk, world, now):
    front_desk.post(f"/patients/{world.patient.id}/feed/")
    front_desk.post(f"/patients/{world.patient.id}/feed/")

    assert FeedToken.objects.filter(patient=world.patient).count() == 2
    assert FeedToken.objects.filter(patient=world.patient, revoked_at=None).count() == 1
    page = text(front_desk.get(f"/patients/{world.patient.id}/"))
    assert "A link was issued on" in page
    assert "Issue a new calendar link" in page


def test_patient_page_query_count_does_not_grow_with_appointments(
    front_desk, world, now, django_assert_max_num_queries
):
    world.book(world.at(now.date() + timedelta(days=1), 9))
    front_desk.get(f"/patients/{world.patient.id}/")
    with django_assert_max_num_queries(20) as one:
        front_desk.get(f"/patients/{world.patient.id}/")
    for days in (5, 6, 7):
        world.book(world.at(now.date() + timedelta(days=days), 9))

    with django_assert_max_num_queries(len(one.captured_queries)):
        front_desk.get(f"/patients/{world.patient.id}/")

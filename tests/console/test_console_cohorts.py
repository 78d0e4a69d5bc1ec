"""The console's cohort pages: the list and a roster with each session's attendance."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from backend.plans.models import PlanTemplate
from backend.plans.services.cohorts import cohort_create, cohort_enroll
from backend.scheduling.booking.models import Appointment
from backend.scheduling.groups.models import GroupSession
from backend.scheduling.resources.choices import RoomKind
from tests.factories import RoomFactory, SeatFactory
from tests.worlds import build_clinic_world, weekday_ahead

pytestmark = pytest.mark.django_db


def test_the_cohort_page_shows_the_roster_and_attendance(clinic, front_desk_user):
    world = build_clinic_world(
        clinic, day=weekday_ahead(clinic, 0), recliners=6, therapists=2, patients=2
    )
    circle = RoomFactory(clinic=clinic, name="Circle", kind=RoomKind.THERAPY)
    for i in range(6):
        SeatFactory(room=circle, name=f"Chair {i}")
    now = timezone.now()
    cohort = cohort_create(
        actor=front_desk_user,
        template=PlanTemplate.objects.get(clinic=None, slug="kap-group"),
        clinic=clinic,
        start_date=world.day,
        room=world.dosing_room,
        staff=world.therapists,
        now=now,
    )
    cohort_enroll(actor=front_desk_user, cohort=cohort, patient=world.patient, now=now)
    browser = Client()
    browser.force_login(front_desk_user)

    listing = browser.get("/cohorts/")
    detail = browser.get(f"/cohorts/{cohort.id}/")

    assert listing.status_code == 200
    assert f"/cohorts/{cohort.id}/" in listing.content.decode()
    page = detail.content.decode()
    assert detail.status_code == 200
    assert world.patient.full_name in page
    assert page.count("Booked") == 8
    assert world.other_patient.full_name not in page


# --- Moving a session of the cohort ----------------------------------------------------------


@pytest.fixture
def cohort_with_patient(clinic, front_desk_user):
    world = build_clinic_world(
        clinic, day=weekday_ahead(clinic, 0), recliners=6, therapists=2, patients=2
    )
    circle = RoomFactory(clinic=clinic, name="Circle", kind=RoomKind.THERAPY)
    for i in range(6):
        SeatFactory(room=circle, name=f"Chair {i}")
    now = timezone.now()
    cohort = cohort_create(
        actor=front_desk_user,
        template=PlanTemplate.objects.get(clinic=None, slug="kap-group"),
        clinic=clinic,
        start_date=world.day,
        room=world.dosing_room,
        staff=world.therapists,
        now=now,
    )
    cohort_enroll(actor=front_desk_user, cohort=cohort, patient=world.patient, now=now)
    return world, cohort


def first_integration(cohort) -> GroupSession:
    """The integration group the day after the first dosing (Tuesday of week 3)."""
    return GroupSession.objects.filter(
        cohort_session__cohort=cohort, session_type__slug="kap-group-integration"
    ).order_by("start")[0]


def browser_for(user) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def test_the_cohort_page_offers_the_move_form_to_the_front_desk_only(
    cohort_with_patient, front_desk_user, clinician_user
):
    _, cohort = cohort_with_patient

    desk = browser_for(front_desk_user).get(f"/cohorts/{cohort.id}/").content.decode()
    clinician = browser_for(clinician_user).get(f"/cohorts/{cohort.id}/").content.decode()

    assert f'action="/cohorts/{cohort.id}/move/"' in desk
    assert '<label for="move-start">New start</label>' in desk
    assert "/move/" not in clinician


def test_moving_a_session_from_the_cohort_page_moves_everyone_in_it(
    cohort_with_patient, front_desk_user
):
    world, cohort = cohort_with_patient
    group = first_integration(cohort)
    new_day = group.start.astimezone(world.zone).date() + timedelta(days=1)
    browser = browser_for(front_desk_user)

    response = browser.post(
        f"/cohorts/{cohort.id}/move/",
        {"group": group.id, "start": f"{new_day.isoformat()}T10:00"},
        follow=True,
    )

    group.refresh_from_db()
    assert group.start == world.at(10, day=new_day)
    place = Appointment.objects.get(group_session=group, patient=world.patient)
    assert place.start == world.at(10, day=new_day)
    assert "moved to" in response.content.decode()


def test_a_move_breaking_the_cadence_is_shown_and_moves_nothing(
    cohort_with_patient, front_desk_user
):
    world, cohort = cohort_with_patient
    group = first_integration(cohort)
    before = group.start
    too_late = group.start.astimezone(world.zone).date() + timedelta(days=3)

    response = browser_for(front_desk_user).post(
        f"/cohorts/{cohort.id}/move/",
        {"group": group.id, "start": f"{too_late.isoformat()}T09:00"},
        follow=True,
    )

    page = response.content.decode()
    assert "Not moved:" in page
    assert "cadence needs 1-3 days" in page
    group.refresh_from_db()
    assert group.start == before


@pytest.mark.parametrize(
    ("body", "named"),
    [
        pytest.param({"group": "", "start": "2030-01-08T10:00"}, "Session:", id="no-session"),
        pytest.param({"start": "tomorrow"}, "New start:", id="bad-start"),
    ],
)
def test_bad_move_input_is_named_and_moves_nothing(
    cohort_with_patient, front_desk_user, body, named
):
    _, cohort = cohort_with_patient
    group = first_integration(cohort)
    before = group.start
    data = {"group": group.id, **body}

    response = browser_for(front_desk_user).post(f"/cohorts/{cohort.id}/move/", data, follow=True)

    assert named in response.content.decode()
    group.refresh_from_db()
    assert group.start == before


def test_a_clinician_may_not_move_a_cohort_session(cohort_with_patient, clinician_user):
    _, cohort = cohort_with_patient
    group = first_integration(cohort)

    response = browser_for(clinician_user).post(
        f"/cohorts/{cohort.id}/move/", {"group": group.id, "start": "2030-01-08T10:00"}
    )

    assert response.status_code == 403

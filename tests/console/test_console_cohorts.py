"""The console's cohort pages: the list and a roster with each session's attendance."""

import pytest
from django.test import Client
from django.utils import timezone

from backend.plans.models import PlanTemplate
from backend.plans.services.cohorts import cohort_create, cohort_enroll
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

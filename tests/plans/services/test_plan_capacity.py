"""Plan expansion applies the clinic-wide capacity rules through the same placement rule."""

import pytest
from django.utils import timezone

from backend.plans.models import PlanTemplate
from backend.plans.services.plans import plan_create, plan_preview
from tests.worlds import build_clinic_world, weekday_ahead

pytestmark = pytest.mark.django_db

MONDAY = 0


def test_kap_dosing_is_unplaced_when_no_monitor_works(clinic, front_desk_user):
    world = build_clinic_world(
        clinic, day=weekday_ahead(clinic, MONDAY), nurses=0, therapy_rooms=2, therapists=2
    )
    now = timezone.now()
    plan = plan_create(
        actor=front_desk_user,
        patient=world.patient,
        template=PlanTemplate.objects.get(slug="kap-individual", clinic=None),
        start_date=world.day,
        now=now,
    )

    preview = plan_preview(plan=plan, now=now)

    unplaced = [s for s in preview.slots if s.placement is None]
    assert {s.phase_key for s in unplaced} >= {"dosing"}
    assert all("too few monitors" in s.reason for s in unplaced if s.phase_key == "dosing")
    placed = {s.phase_key for s in preview.slots if s.placement is not None}
    assert "preparation" in placed


def test_kap_dosing_is_placed_when_a_monitor_works(clinic, front_desk_user):
    world = build_clinic_world(
        clinic, day=weekday_ahead(clinic, MONDAY), nurses=1, therapy_rooms=2, therapists=2
    )
    now = timezone.now()
    plan = plan_create(
        actor=front_desk_user,
        patient=world.patient,
        template=PlanTemplate.objects.get(slug="kap-individual", clinic=None),
        start_date=world.day,
        now=now,
    )

    preview = plan_preview(plan=plan, now=now)

    assert all(s.placement is not None for s in preview.slots)

"""Courses and payer authorizations: preview marks coverage, book refuses or books the
covered sessions only, and a renewed authorization books the rest through extend."""

from datetime import timedelta

import pytest

from backend.plans.models import PlannedSession
from backend.scheduling.authorizations.services import authorization_create
from backend.scheduling.booking.models import Appointment
from tests.plans.api.test_plans_api import PLANS, create_plan

pytestmark = pytest.mark.django_db


@pytest.fixture
def spravato(builtin_types):
    session_type = builtin_types["spravato-session"]
    session_type.requires_authorization = True
    session_type.save(update_fields=["requires_authorization"])
    return session_type


def authorize(world, session_type, *, units, days=120, number="PA-1"):
    return authorization_create(
        actor=None,
        patient=world.patients[0],
        payer="Acme Health",
        number=number,
        session_types=[session_type],
        units=units,
        start_date=world.monday - timedelta(days=1),
        end_date=world.monday + timedelta(days=days),
    )


def plan_id(front_desk_api, plan_world):
    response = create_plan(front_desk_api, plan_world)
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def test_preview_marks_the_sessions_an_authorization_covers(front_desk_api, plan_world, spravato):
    authorization = authorize(plan_world, spravato, units=5)
    plan = plan_id(front_desk_api, plan_world)

    sessions = front_desk_api.post(f"{PLANS}{plan}/preview/", {}, format="json").json()["sessions"]

    dosing = [s for s in sessions if s["session_type"] == spravato.id]
    assert [s["authorization"] for s in dosing[:5]] == [
        {"id": authorization.id, "covered": True}
    ] * 5
    assert all(s["authorization"] == {"id": None, "covered": False} for s in dosing[5:])
    others = [s for s in sessions if s["session_type"] != spravato.id]
    assert all(s["authorization"]["covered"] for s in others)


def test_book_refuses_uncovered_sessions_and_writes_nothing(front_desk_api, plan_world, spravato):
    authorize(plan_world, spravato, units=5)
    plan = plan_id(front_desk_api, plan_world)

    response = front_desk_api.post(f"{PLANS}{plan}/book/", {}, format="json")

    assert response.status_code == 409, response.json()
    conflicts = response.json()["conflicts"]
    assert conflicts and {c["kind"] for c in conflicts} == {"authorization"}
    assert all("ordinal" in c for c in conflicts)
    assert Appointment.objects.count() == 0


def test_book_covered_only_then_a_renewal_books_the_rest_through_extend(
    front_desk_api, plan_world, spravato
):
    first = authorize(plan_world, spravato, units=5)
    plan = plan_id(front_desk_api, plan_world)
    total = len(
        front_desk_api.post(f"{PLANS}{plan}/preview/", {}, format="json").json()["sessions"]
    )

    booked = front_desk_api.post(
        f"{PLANS}{plan}/book/", {"authorization": "covered_only"}, format="json"
    )

    assert booked.status_code == 201, booked.json()
    dosing = [a for a in booked.json()["appointments"] if a["session_type"] == spravato.id]
    assert len(dosing) == 5
    assert {a["authorization"] for a in dosing} == {first.id}
    waiting = PlannedSession.objects.filter(plan_id=plan, awaiting_authorization=True)
    assert waiting.count() == total - len(booked.json()["appointments"])
    assert all(s.appointment_id is None for s in waiting)

    renewal = authorize(plan_world, spravato, units=40, days=200, number="PA-2")
    extended = front_desk_api.post(f"{PLANS}{plan}/extend/", {"weeks": 1}, format="json")

    assert extended.status_code == 201, extended.json()
    assert {a["authorization"] for a in extended.json()["appointments"]} == {renewal.id}
    assert not PlannedSession.objects.filter(plan_id=plan, awaiting_authorization=True).exists()
    body = front_desk_api.get(f"{PLANS}{plan}/").json()
    assert all(not s["awaiting_authorization"] for s in body["sessions"])


def test_book_with_every_session_covered_books_all(front_desk_api, plan_world, spravato):
    authorization = authorize(plan_world, spravato, units=40, days=200)
    plan = plan_id(front_desk_api, plan_world)

    response = front_desk_api.post(f"{PLANS}{plan}/book/", {}, format="json")

    assert response.status_code == 201, response.json()
    dosing = [a for a in response.json()["appointments"] if a["session_type"] == spravato.id]
    assert dosing and {a["authorization"] for a in dosing} == {authorization.id}

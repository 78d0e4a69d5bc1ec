"""Another clinic's data does not exist for a user: every API route and console page.

Clinic A is laid out with one of everything; users of clinic B (one per role) walk every
route the URL conf has. Objects of A answer 404 wherever they are named (the URL, the
query or the body), lists leave them out, and nothing is written. The routes come from
the URL conf itself: a route this test does not know fails it, so a new endpoint cannot
skip the check.
"""

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from backend.common.roles import Role
from backend.interop.webhooks.models import WebhookDelivery
from backend.plans.models import Cohort, PlanTemplate, TreatmentPlan
from backend.scheduling.authorizations.services import authorization_create
from backend.scheduling.booking.models import Appointment
from backend.scheduling.groups.models import GroupSession
from backend.scheduling.resources.models import Closure, Patient, Room, SessionType, StaffAbsence
from backend.scheduling.waitlist.services import waitlist_entry_create
from tests.factories import (
    ClinicFactory,
    FeedTokenFactory,
    OutboxEventFactory,
    PlanTemplateFactory,
    RemsFormFactory,
    TreatmentPlanFactory,
    UserFactory,
)
from tests.interop.webhook_kit import endpoint_for
from tests.worlds import build_clinic_world

pytestmark = pytest.mark.django_db

ROLES = (Role.FRONT_DESK, Role.CLINICIAN, Role.MANAGER)


@dataclass
class ClinicA:
    ids: dict[str, int]
    names: list[str]


@pytest.fixture
def clinic_a() -> ClinicA:
    world = build_clinic_world(ClinicFactory(with_hours=True, name="Clinic A"))
    appointment = world.appointment(world.at(10))
    template = PlanTemplateFactory(clinic=world.clinic)
    plan = TreatmentPlanFactory(clinic=world.clinic, patient=world.patient, template=template)
    FeedTokenFactory(clinic=world.clinic, patient=world.patient)
    rems = RemsFormFactory(appointment=appointment)
    webhook = endpoint_for(world.clinic, "https://hooks.example.org/kap")
    delivery = WebhookDelivery.objects.create(
        endpoint=webhook,
        event=OutboxEventFactory(clinic=world.clinic),
        created_at=timezone.now(),
        retry_until=timezone.now(),
    )
    colleague = UserFactory(memberships=[(world.clinic, Role.FRONT_DESK)])
    absence = StaffAbsence.objects.create(
        staff=world.nurse, start=world.at(8), end=world.at(12), reason="Dentist"
    )
    authorization = authorization_create(
        actor=None,
        patient=world.patient,
        payer="Acme",
        number="PA-A",
        session_types=[world.spravato],
        units=4,
        start_date=world.day,
        end_date=world.day,
    )
    group = GroupSession.objects.create(
        clinic=world.clinic,
        session_type=SessionType.objects.get(clinic=None, slug="kap-group-dosing"),
        room=world.dosing_room,
        start=world.at(13),
        end=world.at(16),
        recovery_end=world.at(16, 30),
    )
    waiting = waitlist_entry_create(
        actor=None,
        patient=world.patient,
        session_type=world.spravato,
        date_from=world.day,
        date_to=world.day,
        now=timezone.now(),
    )
    cohort = Cohort.objects.create(
        clinic=world.clinic,
        template=PlanTemplate.objects.get(clinic=None, slug="kap-group"),
        start_date=world.day,
        room=world.dosing_room,
    )
    ids = {
        "cohorts": cohort.id,
        "group-sessions": group.id,
        "waitlist": waiting.id,
        "authorizations": authorization.id,
        "accounts": colleague.id,
        "clinics": world.clinic.id,
        "rooms": world.dosing_room.id,
        "seats": world.recliners[0].id,
        "staff": world.nurse.id,
        "patients": world.patient.id,
        "session-types": world.spravato.id,
        "appointments": appointment.id,
        "rems": rems.id,
        "plan-templates": template.id,
        "plans": plan.id,
        "webhooks": webhook.id,
        "delivery_id": delivery.id,
        "absence_id": absence.id,
        "closure_id": Closure.objects.create(
            clinic=world.clinic, start_date=world.day, end_date=world.day
        ).id,
    }
    return ClinicA(ids=ids, names=[p.full_name for p in world.patients])


@pytest.fixture(params=ROLES)
def intruder(request):
    """A user who holds ``role`` in clinic B only."""
    clinic_b = build_clinic_world(ClinicFactory(with_hours=True, name="Clinic B")).clinic
    return UserFactory(memberships=[(clinic_b, request.param)])


def walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def api_routes() -> list[tuple[str, dict[str, str] | None]]:
    routes = []
    for route, pattern in walk(get_resolver().url_patterns):
        if route.startswith("api/v1/"):
            actions = getattr(pattern.callback, "actions", None)
            routes.append((route.removeprefix("api/v1/"), actions))
    return routes


def concrete(route: str, pk: int, ids: dict[str, int] | None = None) -> str:
    """The route with ``pk`` for its id, and clinic A's ids for any other named part."""
    path = route.replace("^", "").replace("$", "")
    path = re.sub(r"\(\?P<pk>[^)]*\)", str(pk), path)
    return "/api/v1/" + re.sub(
        r"\(\?P<(\w+)>[^)]*\)", lambda m: str((ids or {}).get(m.group(1), MISSING)), path
    )


def prefix_of(route: str) -> str:
    return route.replace("^", "").split("/")[0]


# Routes without an id that read a clinic's data from their query: the clinic A query.
def query_routes(ids: dict[str, int]) -> dict[str, dict]:
    return {
        "availability/": {
            "clinic": ids["clinics"],
            "session_type": ids["session-types"],
            "date_from": "2030-01-07",
            "date_to": "2030-01-08",
        },
        "board/": {"clinic": ids["clinics"]},
        "board/rides/": {"clinic": ids["clinics"]},
        "^rems/due/$": {"clinic": ids["clinics"]},
        "reports/utilization/": {
            "clinic": ids["clinics"],
            "date_from": "2030-01-07",
            "date_to": "2030-01-08",
        },
    }


MISSING = 999999

# Routes that hold no clinic data of their own: the API root (links) and the caller.
NOT_CLINIC_DATA = {"", "me/", "auth/token/"}


def written() -> tuple[int, ...]:
    return (
        Cohort.objects.count(),
        GroupSession.objects.count(),
        StaffAbsence.objects.count(),
        Patient.objects.count(),
        Appointment.objects.count(),
        TreatmentPlan.objects.count(),
        Room.objects.count(),
    )


def test_every_api_route_hides_another_clinics_objects(clinic_a, intruder):
    client = APIClient()
    client.force_authenticate(intruder)
    queries = query_routes(clinic_a.ids)
    before = written()
    unknown = []

    for route, actions in api_routes():
        if route in NOT_CLINIC_DATA:
            continue
        if route in queries:
            response = client.get(concrete(route, 0), queries[route])
            nowhere = {**queries[route], "clinic": MISSING}
            missing = client.get(concrete(route, 0), nowhere)
            assert response.status_code in (403, 404), (route, response.status_code)
            assert response.status_code == missing.status_code, route
            continue
        if "(?P<pk>" not in route:
            if actions and "get" in actions:
                response = client.get(concrete(route, 0), {"page_size": 500})
                assert response.status_code in (200, 403), (route, response.status_code)
                if response.status_code == 200:
                    listed = {row["id"] for row in response.json()["results"]}
                    assert clinic_a.ids.get(prefix_of(route)) not in listed, route
                continue
            unknown.append(route)
            continue
        ids = clinic_a.ids
        pk = ids.get(prefix_of(route))
        if pk is None or not actions:
            unknown.append(route)
            continue
        for method in list(actions):
            response = getattr(client, method)(concrete(route, pk, ids), {}, format="json")
            missing = getattr(client, method)(concrete(route, MISSING), {}, format="json")
            # The same answer as for an id that exists nowhere: 404, or 403 where the
            # caller's role may never take this action at all. Either way A's object does
            # not show through.
            assert response.status_code in (403, 404), (method, route, response.status_code)
            assert response.status_code == missing.status_code, (method, route)

    assert unknown == [], "routes this test does not know how to walk: add them"
    assert written() == before


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("patients/", lambda a: {"clinic": a["clinics"], "first_name": "X", "last_name": "Y"}),
        ("rooms/", lambda a: {"clinic": a["clinics"], "name": "New", "kind": "dosing"}),
        ("staff/", lambda a: {"clinic": a["clinics"], "name": "New", "role": "nurse"}),
        ("seats/", lambda a: {"room": a["rooms"], "name": "New"}),
        (
            "appointments/",
            lambda a: {
                "patient": a["patients"],
                "session_type": a["session-types"],
                "start": "2030-01-08T10:00:00-05:00",
            },
        ),
        (
            "plans/",
            lambda a: {
                "patient": a["patients"],
                "template": "spravato-trd",
                "start_date": "2030-01-07",
            },
        ),
        (
            "session-types/",
            lambda a: {"clinic": a["clinics"], "slug": "x", "name": "X", "in_room_minutes": 30},
        ),
        ("plan-templates/", lambda a: {"clinic": a["clinics"], "slug": "x", "name": "X"}),
        (
            "group-sessions/",
            lambda a: {
                "session_type": a["session-types"],
                "room": a["rooms"],
                "start": "2030-01-08T10:00:00-05:00",
                "staff": [a["staff"]],
            },
        ),
        (
            "cohorts/",
            lambda a: {
                "template": "kap-group",
                "clinic": a["clinics"],
                "start_date": "2030-01-07",
                "room": a["rooms"],
                "staff": [a["staff"]],
            },
        ),
        (
            "waitlist/",
            lambda a: {
                "patient": a["patients"],
                "session_type": a["session-types"],
                "date_from": "2030-01-07",
                "date_to": "2030-01-08",
            },
        ),
        (
            "authorizations/",
            lambda a: {
                "patient": a["patients"],
                "payer": "Acme",
                "number": "X",
                "session_types": [a["session-types"]],
                "units": 3,
                "start_date": "2030-01-07",
                "end_date": "2030-02-07",
            },
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_naming_another_clinics_object_in_a_body_is_refused_and_writes_nothing(
    clinic_a, intruder, route, body
):
    client = APIClient()
    client.force_authenticate(intruder)
    before = written()

    response = client.post(f"/api/v1/{route}", body(clinic_a.ids), format="json")

    # 404 where the caller's role may create such a thing at all; 403 where it may not.
    assert response.status_code in (403, 404), response.json()
    assert written() == before


def test_moving_a_group_into_another_clinics_room_or_staff_is_refused(clinic_a, intruder):
    # The caller's own group in clinic B, sent to clinic A's room with A's staff: the ids
    # are as unknown as ids that exist nowhere.
    room = Room.objects.get(clinic__name="Clinic B", kind="dosing")
    start = timezone.now().replace(microsecond=0) + timedelta(days=30)
    group = GroupSession.objects.create(
        clinic=room.clinic,
        session_type=SessionType.objects.get(clinic=None, slug="kap-group-dosing"),
        room=room,
        start=start,
        end=start + timedelta(hours=3),
        recovery_end=start + timedelta(hours=3, minutes=30),
    )
    client = APIClient()
    client.force_authenticate(intruder)
    before = written(), GroupSession.objects.values_list("id", "room_id", "start").get(pk=group.pk)
    later = (start + timedelta(hours=1)).isoformat()

    for body in (
        {"start": later, "room": clinic_a.ids["rooms"]},
        {"start": later, "staff": [clinic_a.ids["staff"]]},
    ):
        response = client.post(
            f"/api/v1/group-sessions/{group.id}/reschedule/", body, format="json"
        )
        assert response.status_code in (403, 404), response.json()

    assert (
        written(),
        GroupSession.objects.values_list("id", "room_id", "start").get(pk=group.pk),
    ) == before


def test_lists_show_only_the_callers_clinics(clinic_a, intruder):
    client = APIClient()
    client.force_authenticate(intruder)

    clinics = client.get("/api/v1/clinics/").json()["results"]
    patients = client.get("/api/v1/patients/", {"page_size": 500}).json()["results"]

    assert [c["name"] for c in clinics] == ["Clinic B"]
    assert clinic_a.ids["patients"] not in {p["id"] for p in patients}


# --- Console --------------------------------------------------------------------------

CONSOLE_OBJECTS = {
    "staff-accounts": "accounts",
    "patients": "patients",
    "courses": "plans",
    "appointments": "appointments",
    "staff": "staff",
    "absences": "absence_id",
    "closures": "closure_id",
    "seats": "seats",
    "rooms": "rooms",
    "waitlist": "waitlist",
    "cohorts": "cohorts",
}
CONSOLE_STEPS = {"step": "check-in"}


def console_routes():
    for route, pattern in walk(get_resolver().url_patterns):
        if pattern.lookup_str.startswith("backend.console."):
            yield route


def test_every_console_page_hides_another_clinics_objects(clinic_a, intruder):
    browser = Client()
    browser.force_login(intruder)
    unknown = []

    for route in console_routes():
        if "<int:pk>" not in route:
            # A page of the clinic the user is looking at: asking for clinic A shows B.
            response = browser.get("/" + route, {"clinic": clinic_a.ids["clinics"]})
            assert response.status_code in (200, 302, 403, 405), (route, response.status_code)
            if response.status_code == 200:
                page = response.content.decode()
                assert not any(name in page for name in clinic_a.names), route
            continue
        kind = CONSOLE_OBJECTS.get(route.split("/")[0])
        if kind is None:
            unknown.append(route)
            continue
        path = "/" + route.replace("<int:pk>", str(clinic_a.ids[kind]))
        for name, value in CONSOLE_STEPS.items():
            path = path.replace(f"<slug:{name}>", value)
        nowhere = "/" + route.replace("<int:pk>", str(MISSING)).replace("<slug:step>", "check-in")
        for method in ("get", "post"):
            response = getattr(browser, method)(path)
            missing = getattr(browser, method)(nowhere)
            assert response.status_code in (403, 404, 405), (method, path, response.status_code)
            assert response.status_code == missing.status_code, (method, path)

    assert unknown == [], "console routes this test does not know how to walk: add them"

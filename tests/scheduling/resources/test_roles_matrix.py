"""Who may do what on each resource: every role against every action."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.test import APIClient

from backend.common.roles import Role
from tests.factories import (
    ClinicFactory,
    PatientFactory,
    RoomFactory,
    SeatFactory,
    SessionTypeFactory,
    StaffFactory,
    TokenFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Resource:
    url: str
    make: Callable[[Any], Any]
    payload: Callable[[Any], dict[str, Any]]
    change: dict[str, Any]
    writers: frozenset[str] = frozenset({Role.MANAGER})


RESOURCES = {
    "clinics": Resource(
        url="/api/v1/clinics/",
        make=lambda clinic: ClinicFactory(),
        payload=lambda clinic: {"name": "New", "slug": "new", "timezone": "Europe/Dublin"},
        change={"phone": "+353 1 555 0100"},
    ),
    "rooms": Resource(
        url="/api/v1/rooms/",
        make=lambda clinic: RoomFactory(clinic=clinic),
        payload=lambda clinic: {"clinic": clinic.id, "name": "New room", "kind": "therapy"},
        change={"active": False},
    ),
    "seats": Resource(
        url="/api/v1/seats/",
        make=lambda clinic: SeatFactory(room__clinic=clinic),
        payload=lambda clinic: {"room": RoomFactory(clinic=clinic).id, "name": "New seat"},
        change={"kind": "bed"},
    ),
    "staff": Resource(
        url="/api/v1/staff/",
        make=lambda clinic: StaffFactory(clinic=clinic),
        payload=lambda clinic: {"clinic": clinic.id, "name": "New Nurse", "role": "nurse"},
        change={"role": "therapist"},
    ),
    "patients": Resource(
        url="/api/v1/patients/",
        make=lambda clinic: PatientFactory(clinic=clinic),
        payload=lambda clinic: {"clinic": clinic.id, "first_name": "Ny", "last_name": "Patient"},
        change={"phone": "+1 212 555 0111"},
        writers=frozenset({Role.FRONT_DESK, Role.MANAGER}),
    ),
    "session-types": Resource(
        url="/api/v1/session-types/",
        make=lambda clinic: SessionTypeFactory(clinic=clinic),
        payload=lambda clinic: {
            "clinic": clinic.id,
            "slug": "new-type",
            "name": "New type",
            "in_room_minutes": 50,
            "room_kind": "therapy",
        },
        change={"name": "Renamed"},
    ),
}

ROLES = (Role.FRONT_DESK, Role.CLINICIAN, Role.MANAGER)
ALLOWED = {"list": 200, "retrieve": 200, "create": 201, "update": 200, "delete": 204}


def act(client: APIClient, resource: Resource, action: str, obj, clinic):
    detail = f"{resource.url}{obj.pk}/"
    if action == "list":
        return client.get(resource.url)
    if action == "retrieve":
        return client.get(detail)
    if action == "create":
        return client.post(resource.url, resource.payload(clinic), format="json")
    if action == "update":
        return client.patch(detail, resource.change, format="json")
    return client.delete(detail)


def expected_status(resource: Resource, role: str, action: str) -> int:
    if action in {"list", "retrieve"} or role in resource.writers:
        return ALLOWED[action]
    return 403


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


MATRIX = [
    pytest.param(name, role, action, id=f"{name}-{role}-{action}")
    for name in RESOURCES
    for role in ROLES
    for action in ALLOWED
]


@pytest.mark.parametrize(("name", "role", "action"), MATRIX)
def test_role_may_or_may_not(clinic, name, role, action):
    resource = RESOURCES[name]
    obj = resource.make(clinic)
    client = client_for(UserFactory(roles=[role]))

    response = act(client, resource, action, obj, clinic)

    assert response.status_code == expected_status(resource, role, action)


@pytest.mark.parametrize(
    ("name", "action"),
    [pytest.param(n, a, id=f"{n}-{a}") for n in RESOURCES for a in ALLOWED],
)
def test_role_unauthenticated_is_401(api, clinic, name, action):
    resource = RESOURCES[name]
    obj = resource.make(clinic)

    response = act(api, resource, action, obj, clinic)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize(
    ("name", "action"),
    [pytest.param(n, a, id=f"{n}-{a}") for n in RESOURCES for a in ALLOWED],
)
def test_role_user_without_a_role_is_403(clinic, name, action):
    resource = RESOURCES[name]
    obj = resource.make(clinic)
    client = client_for(UserFactory())

    response = act(client, resource, action, obj, clinic)

    assert response.status_code == 403
    assert response.json() == {"detail": "Your role does not allow this.", "errors": {}}


@pytest.mark.parametrize(
    ("name", "action"),
    [pytest.param(n, a, id=f"{n}-{a}") for n in RESOURCES for a in ALLOWED],
)
def test_role_superuser_may_do_everything(clinic, name, action):
    resource = RESOURCES[name]
    obj = resource.make(clinic)
    client = client_for(UserFactory(is_superuser=True))

    response = act(client, resource, action, obj, clinic)

    assert response.status_code == ALLOWED[action]


def test_role_token_authentication(api, clinic):
    token = TokenFactory(user=UserFactory(roles=[Role.CLINICIAN]))
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    response = api.get("/api/v1/rooms/")

    assert response.status_code == 200


def test_role_wrong_token_is_401(api):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = api.get("/api/v1/rooms/")

    assert response.status_code == 401

import pytest
from rest_framework.test import APIClient

from backend.scheduling.resources.models import SessionType
from tests.factories import AppointmentFactory, ClinicFactory, SessionTypeFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/session-types/"

BUILTIN_SLUGS = {
    "spravato-session",
    "iv-infusion",
    "kap-preparation",
    "kap-dosing",
    "kap-integration",
    "kap-group-preparation",
    "kap-group-dosing",
    "kap-group-integration",
    "kap-integration-telehealth",
}


def session_type_payload(clinic, **overrides):
    payload = {
        "clinic": clinic.id if clinic else None,
        "slug": "iv-infusion-long",
        "name": "Long IV infusion",
        "is_dosing": True,
        "in_room_minutes": 90,
        "recovery_minutes": 60,
        "recovery_location": "recovery_room",
        "min_monitoring_minutes": 120,
        "escort_required": True,
        "room_kind": "dosing",
        "staff_role": "nurse",
    }
    payload.update(overrides)
    return payload


def slugs(response):
    return {t["slug"] for t in response.json()["results"]}


def test_session_type_list_includes_the_builtin_types(clinician_api):
    response = clinician_api.get(URL)

    assert response.status_code == 200
    assert slugs(response) == BUILTIN_SLUGS
    assert {t["is_builtin"] for t in response.json()["results"]} == {True}


def test_session_type_filter_by_clinic_includes_builtins(clinician_api, clinic):
    SessionTypeFactory(clinic=clinic, slug="own")
    SessionTypeFactory(clinic=ClinicFactory(), slug="elsewhere")

    response = clinician_api.get(URL, {"clinic": clinic.id})

    assert slugs(response) == BUILTIN_SLUGS | {"own"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("true", BUILTIN_SLUGS, id="builtin"),
        pytest.param("false", {"own"}, id="clinics-own"),
    ],
)
def test_session_type_filter_builtin(clinician_api, clinic, value, expected):
    SessionTypeFactory(clinic=clinic, slug="own")

    response = clinician_api.get(URL, {"is_builtin": value})

    assert slugs(response) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param(
            {"is_dosing": "true"},
            {"spravato-session", "iv-infusion", "kap-dosing", "kap-group-dosing"},
            id="dosing",
        ),
        pytest.param(
            {"room_kind": "therapy"},
            {
                "kap-preparation",
                "kap-integration",
                "kap-group-preparation",
                "kap-group-integration",
                "kap-integration-telehealth",
            },
            id="therapy",
        ),
        pytest.param({"staff_role": "nurse"}, {"spravato-session", "iv-infusion"}, id="nurse"),
    ],
)
def test_session_type_filters(clinician_api, query, expected):
    response = clinician_api.get(URL, query)

    assert slugs(response) == expected


def test_session_type_create(manager_api, clinic):
    response = manager_api.post(URL, session_type_payload(clinic), format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["is_builtin"] is False
    assert body["arrive_minutes_before"] == 15
    assert SessionType.objects.get(pk=body["id"]).clinic == clinic


def test_session_type_in_a_recovery_room_is_refused(manager_api, clinic):
    payload = session_type_payload(clinic, room_kind="recovery")

    response = manager_api.post(URL, payload, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "room_kind": ["Sessions take place in dosing or therapy rooms."]
    }
    assert not SessionType.objects.filter(slug="iv-infusion-long").exists()


def test_session_type_monitoring_longer_than_session_and_recovery_is_refused(manager_api, clinic):
    payload = session_type_payload(clinic, min_monitoring_minutes=151)

    response = manager_api.post(URL, payload, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "min_monitoring_minutes": ["Cannot exceed the session plus its recovery."]
    }
    assert not SessionType.objects.filter(slug="iv-infusion-long").exists()


def test_session_type_patch_is_checked_against_the_stored_values(manager_api, clinic):
    session_type = SessionTypeFactory(
        clinic=clinic, in_room_minutes=60, recovery_minutes=60, min_monitoring_minutes=90
    )

    response = manager_api.patch(f"{URL}{session_type.id}/", {"recovery_minutes": 0}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["min_monitoring_minutes"]
    session_type.refresh_from_db()
    assert session_type.recovery_minutes == 60


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("in_room_minutes", 4, id="too-short"),
        pytest.param("in_room_minutes", 0, id="zero"),
        pytest.param("recovery_minutes", 12 * 60 + 1, id="recovery-too-long"),
        pytest.param("recovery_minutes", -5, id="negative"),
        pytest.param("arrive_minutes_before", 241, id="arrive-too-early"),
        pytest.param("recovery_location", "car_park", id="unknown-location"),
        pytest.param("staff_role", "surgeon", id="unknown-role"),
    ],
)
def test_session_type_out_of_range_values_are_refused(manager_api, clinic, field, value):
    payload = session_type_payload(clinic, **{field: value})

    response = manager_api.post(URL, payload, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert not SessionType.objects.filter(slug="iv-infusion-long").exists()


def test_session_type_duplicate_slug_in_clinic_is_refused(manager_api, clinic):
    SessionTypeFactory(clinic=clinic, slug="iv-infusion-long")

    response = manager_api.post(URL, session_type_payload(clinic), format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "slug": ["A session type with slug 'iv-infusion-long' already exists in this clinic."]
    }
    assert SessionType.objects.filter(slug="iv-infusion-long").count() == 1


def test_session_type_duplicate_builtin_slug_is_refused(manager_api):
    payload = session_type_payload(None, slug="iv-infusion")

    response = manager_api.post(URL, payload, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["slug"]
    assert SessionType.objects.filter(slug="iv-infusion").count() == 1


def test_session_type_clinic_may_reuse_a_builtin_slug(manager_api, clinic):
    response = manager_api.post(
        URL, session_type_payload(clinic, slug="iv-infusion"), format="json"
    )

    assert response.status_code == 201
    assert SessionType.objects.filter(slug="iv-infusion").count() == 2


def test_session_type_renaming_slug_to_a_taken_one_is_refused(manager_api, clinic):
    SessionTypeFactory(clinic=clinic, slug="taken")
    session_type = SessionTypeFactory(clinic=clinic, slug="free")

    response = manager_api.patch(f"{URL}{session_type.id}/", {"slug": "taken"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["slug"]


def test_session_type_builtin_cannot_be_moved_into_a_clinic(clinic):
    superuser = APIClient()
    superuser.force_authenticate(UserFactory(is_superuser=True))
    builtin = SessionType.objects.get(clinic=None, slug="kap-dosing")

    response = superuser.patch(f"{URL}{builtin.id}/", {"clinic": clinic.id}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["clinic"]


def test_session_type_builtin_is_read_only_for_clinic_managers(manager_api):
    builtin = SessionType.objects.get(clinic=None, slug="kap-dosing")

    response = manager_api.patch(f"{URL}{builtin.id}/", {"in_room_minutes": 5}, format="json")

    assert response.status_code == 403
    builtin.refresh_from_db()
    assert builtin.in_room_minutes != 5


def test_session_type_in_use_cannot_be_deleted(manager_api, clinic):
    appointment = AppointmentFactory(clinic=clinic)

    response = manager_api.delete(f"{URL}{appointment.session_type_id}/")

    assert response.status_code == 409
    assert response.json()["conflicts"] == [{"model": "appointment", "count": 1}]
    assert SessionType.objects.filter(pk=appointment.session_type_id).exists()


def test_session_type_rooms_limit_is_written_and_checked(manager_api, clinic):
    from tests.factories import RoomFactory

    dosing = RoomFactory(clinic=clinic, kind="dosing", name="Spravato Room")
    lounge = RoomFactory(clinic=clinic, kind="recovery", name="Lounge")
    body = {
        "clinic": clinic.id,
        "slug": "spravato-here",
        "name": "Spravato here",
        "in_room_minutes": 15,
        "recovery_minutes": 120,
        "room_kind": "dosing",
        "rooms": [dosing.id],
    }

    created = manager_api.post("/api/v1/session-types/", body, format="json")
    refused = manager_api.post(
        "/api/v1/session-types/", {**body, "slug": "x", "rooms": [lounge.id]}, format="json"
    )

    assert created.status_code == 201, created.json()
    assert created.json()["rooms"] == [dosing.id]
    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == ["rooms"]

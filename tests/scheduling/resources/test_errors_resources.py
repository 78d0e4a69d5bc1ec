"""Bad input to the resource endpoints: always a 4xx body naming the field, never a 500."""

import pytest

from backend.scheduling.resources.models import Clinic, Patient, Room, SessionType
from tests.factories import PatientFactory, RoomFactory

pytestmark = pytest.mark.django_db


def test_error_malformed_json_is_400(manager_api):
    response = manager_api.post(
        "/api/v1/clinics/", '{"name": "Broken', content_type="application/json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["body"]
    assert response.json()["detail"].startswith("Malformed request body")
    assert Clinic.objects.count() == 0


def test_error_body_that_is_not_an_object_is_400(manager_api):
    response = manager_api.post("/api/v1/rooms/", [1, 2, 3], format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["non_field_errors"]
    assert Room.objects.count() == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        pytest.param({"in_room_minutes": "an hour"}, "in_room_minutes", id="text-for-number"),
        pytest.param({"is_dosing": "perhaps"}, "is_dosing", id="text-for-boolean"),
        pytest.param({"name": ["a", "list"]}, "name", id="list-for-text"),
        pytest.param({"clinic": "first"}, "clinic", id="text-for-id"),
    ],
)
def test_error_wrong_type_names_the_field(manager_api, clinic, payload, field):
    body = {
        "clinic": clinic.id,
        "slug": "typed",
        "name": "Typed",
        "in_room_minutes": 30,
        "room_kind": "therapy",
        **payload,
    }

    response = manager_api.post("/api/v1/session-types/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert response.json()["detail"].startswith(f"Invalid input in '{field}'.")
    assert not SessionType.objects.filter(slug="typed").exists()


def test_error_unknown_clinic_is_404_naming_the_field(manager_api, clinic):
    body = {"clinic": 99999, "slug": "typed", "name": "Typed", "in_room_minutes": 30}

    response = manager_api.post("/api/v1/session-types/", body, format="json")

    assert response.status_code == 404
    assert list(response.json()["errors"]) == ["clinic"]
    assert not SessionType.objects.filter(slug="typed").exists()


def test_error_nested_list_of_wrong_type_names_the_field(manager_api):
    body = {"name": "C", "slug": "c", "timezone": "UTC", "opening_hours": {"weekday": 0}}

    response = manager_api.post("/api/v1/clinics/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["opening_hours"]
    assert Clinic.objects.count() == 0


def test_error_missing_required_fields_are_all_named(front_desk_api):
    response = front_desk_api.post("/api/v1/patients/", {}, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"clinic", "first_name", "last_name"}
    assert Patient.objects.count() == 0


def test_error_unknown_id_is_404(clinician_api):
    response = clinician_api.get("/api/v1/patients/99999/")

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "errors": {}}


@pytest.mark.parametrize(
    ("url", "query", "field"),
    [
        pytest.param("/api/v1/rooms/", {"clinic": 99999}, "clinic", id="unknown-clinic"),
        pytest.param("/api/v1/rooms/", {"kind": "lobby"}, "kind", id="unknown-kind"),
        pytest.param("/api/v1/seats/", {"room": "x"}, "room", id="room-not-an-id"),
        pytest.param("/api/v1/patients/", {"active": "maybe"}, "active", id="bad-boolean"),
        pytest.param(
            "/api/v1/session-types/", {"clinic": 99999}, "clinic", id="session-type-clinic"
        ),
    ],
)
def test_error_bad_filter_value_is_400(clinician_api, url, query, field):
    response = clinician_api.get(url, query)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


def test_error_page_size_is_capped_at_500(clinician_api, clinic):
    RoomFactory.create_batch(3, clinic=clinic)

    response = clinician_api.get("/api/v1/rooms/", {"page_size": 100000})

    assert response.status_code == 200
    assert response.json()["count"] == 3


def test_error_page_size_pages_the_list(clinician_api, clinic):
    PatientFactory.create_batch(3, clinic=clinic)

    first = clinician_api.get("/api/v1/patients/", {"page_size": 2})
    second = clinician_api.get("/api/v1/patients/", {"page_size": 2, "page": 2})

    assert first.json()["count"] == 3
    assert len(first.json()["results"]) == 2
    assert first.json()["previous"] is None
    assert first.json()["next"] is not None
    assert len(second.json()["results"]) == 1


def test_error_page_beyond_the_end_is_404(clinician_api):
    response = clinician_api.get("/api/v1/rooms/", {"page": 9})

    assert response.status_code == 404


def test_error_unknown_ordering_field_is_ignored(clinician_api, clinic):
    RoomFactory(clinic=clinic)

    response = clinician_api.get("/api/v1/rooms/", {"ordering": "secret_field"})

    assert response.status_code == 200


def test_error_ordering_by_a_listed_field(clinician_api, clinic):
    RoomFactory(clinic=clinic, name="B")
    RoomFactory(clinic=clinic, name="A")

    response = clinician_api.get("/api/v1/rooms/", {"ordering": "-name"})

    assert [r["name"] for r in response.json()["results"]] == ["B", "A"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("true", ["Active"], id="true"),
        pytest.param("1", ["Active"], id="one"),
        pytest.param("False", ["Former"], id="capitalised-false"),
        pytest.param("", ["Active", "Former"], id="empty-means-unfiltered"),
    ],
)
def test_error_boolean_filter_spellings(clinician_api, clinic, value, expected):
    PatientFactory(clinic=clinic, first_name="Active", last_name="A")
    PatientFactory(clinic=clinic, first_name="Former", last_name="F", active=False)

    response = clinician_api.get("/api/v1/patients/", {"active": value})

    assert [p["first_name"] for p in response.json()["results"]] == expected

"""What every endpoint does with input it cannot take: strict JSON types, JSON objects
only, whole-number pages, JSON 404s, OPTIONS that never fail."""

import pytest

from backend.scheduling.resources.models import Room

pytestmark = pytest.mark.django_db

ROOMS = "/api/v1/rooms/"


@pytest.mark.parametrize("query", ["page_size=abc", "page_size=0", "page=-1", "page=1.5"])
def test_a_page_or_page_size_that_is_not_a_whole_number_is_400_naming_it(manager_api, query):
    response = manager_api.get(f"{ROOMS}?{query}")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [query.split("=")[0]]


def test_a_page_size_beyond_the_most_gives_the_most(manager_api, world):
    assert manager_api.get(f"{ROOMS}?page_size=100000").status_code == 200


@pytest.mark.parametrize(
    ("field", "value"),
    [("name", 7), ("active", 0), ("clinic", "1"), ("kind", 1)],
    ids=["number-for-text", "number-for-boolean", "text-for-id", "number-for-choice"],
)
def test_json_values_of_the_wrong_type_are_refused_not_coerced(manager_api, world, field, value):
    body = {"clinic": world.clinic.id, "name": "New room", "kind": "therapy", "active": True}
    body[field] = value

    response = manager_api.post(ROOMS, body, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert not Room.objects.filter(name="New room").exists()


def test_a_query_keeps_reading_text_as_numbers_and_booleans(manager_api, world):
    response = manager_api.get(f"{ROOMS}?clinic={world.clinic.id}&active=true")

    assert response.status_code == 200
    assert response.json()["count"] >= 1


@pytest.mark.parametrize("path", [ROOMS, "/api/v1/plan-templates/", "/api/v1/session-types/"])
def test_a_boolean_filter_refuses_a_word_it_cannot_read(manager_api, world, path):
    # django-filter's own boolean filter reads an unknown word as "no filter" and lists all;
    # every filter set, the ones built from ``filterset_fields`` too, refuses it instead.
    response = manager_api.get(f"{path}?active=-58800")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["active"]
    assert manager_api.get(f"{path}?active=no").status_code == 200


def test_a_form_body_is_415(manager_api, world):
    response = manager_api.post(ROOMS, {"name": "x"}, format="multipart")

    assert response.status_code == 415
    assert response.json()["errors"] == {}


def test_an_unknown_api_path_is_a_json_404(manager_api):
    response = manager_api.get("/api/v1/rooms/1.5/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["errors"] == {}


def test_options_answers_for_a_view_without_a_serializer(manager_api, world):
    response = manager_api.options(f"/api/v1/patients/{world.patient.id}/feed/")

    assert response.status_code == 200
    assert response.json()["name"]


def test_an_error_is_json_even_when_a_calendar_was_asked_for(front_desk_api):
    response = front_desk_api.get("/api/v1/appointments/999999/ics/?format=ics")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_an_object_where_a_list_of_ids_belongs_is_refused(manager_api, world):
    body = {
        "clinic": world.clinic.id,
        "slug": "strict",
        "name": "Strict",
        "in_room_minutes": 30,
        "room_kind": "therapy",
        "rooms": {},
    }

    response = manager_api.post("/api/v1/session-types/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["rooms"]


def test_options_is_json_even_when_csv_was_asked_for(manager_api, world):
    response = manager_api.options(
        f"/api/v1/reports/utilization/?clinic={world.clinic.id}&format=csv"
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("name", [" " + "x" * 120 + " ", " " * 121], ids=["padded", "blank"])
def test_a_string_longer_than_its_schema_says_is_refused_even_if_padding(manager_api, world, name):
    # The schema's maxLength counts what was sent; DRF would trim first and let it pass.
    body = {"clinic": world.clinic.id, "name": name, "kind": "therapy", "active": True}
    rooms = Room.objects.count()

    response = manager_api.post(ROOMS, body, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["name"]
    assert Room.objects.count() == rooms

"""The OpenAPI schema describes every resource endpoint and generates cleanly."""

import pytest
from django.core.management import call_command
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

RESOURCES = ["clinics", "rooms", "seats", "staff", "patients", "session-types"]


@pytest.fixture(scope="module")
def generation():
    """The schema of the resource endpoints alone, with the warnings and errors it raised."""
    patterns = [path("api/v1/", include("backend.scheduling.resources.urls"))]
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        generated = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    problems = sorted(GENERATOR_STATS._warn_cache) + sorted(GENERATOR_STATS._error_cache)
    GENERATOR_STATS.reset()
    return generated, problems


@pytest.fixture
def schema(generation):
    return generation[0]


def test_schema_of_the_whole_api_validates_without_warnings(tmp_path):
    # Warnings from earlier generations in this process must not count here.
    GENERATOR_STATS.reset()

    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "openapi.yaml")
    )

    assert (tmp_path / "openapi.yaml").read_text().startswith("openapi: 3.")


def test_schema_of_the_resources_is_valid_and_clean(generation):
    schema, problems = generation

    validate_schema(schema)
    assert problems == []


@pytest.mark.parametrize("name", RESOURCES)
def test_schema_describes_every_resource_operation(schema, name):
    paths = schema["paths"]

    assert set(paths[f"/api/v1/{name}/"]) == {"get", "post"}
    assert set(paths[f"/api/v1/{name}/{{id}}/"]) == {"get", "put", "patch", "delete"}
    delete = set(paths[f"/api/v1/{name}/{{id}}/"]["delete"]["responses"])
    assert delete == {"204", "401", "403", "404", "409", "503"}
    create = set(paths[f"/api/v1/{name}/"]["post"]["responses"])
    assert {"201", "400", "409"} <= create


def test_schema_documents_nested_writes(schema):
    components = schema["components"]["schemas"]

    assert components["ClinicRequest"]["properties"]["opening_hours"]["type"] == "array"
    assert components["StaffRequest"]["properties"]["working_hours"]["type"] == "array"
    assert components["RoomRequest"]["properties"]["seats"]["type"] == "array"
    assert "capacity" not in components["RoomRequest"]["properties"]
    assert components["Room"]["properties"]["capacity"]["type"] == "integer"
    assert components["OpeningHours"]["properties"]["opens"]["example"] == "08:00"


def test_schema_documents_filters(schema):
    parameters = schema["paths"]["/api/v1/patients/"]["get"]["parameters"]

    by_name = {p["name"]: p["schema"]["type"] for p in parameters}
    assert by_name["search"] == "string"
    assert by_name["active"] == "boolean"
    assert by_name["clinic"] == "integer"
    assert by_name["page_size"] == "integer"


@pytest.mark.django_db
def test_schema_endpoint_serves_the_resources(clinician_api):
    response = clinician_api.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    assert {f"/api/v1/{name}/" for name in RESOURCES} <= set(response.json()["paths"])

"""The OpenAPI schema describes every resource endpoint and generates cleanly."""

import json

import pytest
from django.core.management import call_command

RESOURCES = ["clinics", "rooms", "seats", "staff", "patients", "session-types"]


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    """The project's schema, generated as `make`/CI would: validated, warnings fatal."""
    target = tmp_path_factory.mktemp("schema") / "openapi.json"

    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--format",
        "openapi-json",
        "--file",
        str(target),
    )

    return json.loads(target.read_text())


def test_schema_generates_without_warnings_and_validates(schema):
    assert schema["openapi"].startswith("3.")


@pytest.mark.parametrize("name", RESOURCES)
def test_schema_describes_every_resource_operation(schema, name):
    paths = schema["paths"]

    assert set(paths[f"/api/v1/{name}/"]) == {"get", "post"}
    assert set(paths[f"/api/v1/{name}/{{id}}/"]) == {"get", "put", "patch", "delete"}
    assert set(paths[f"/api/v1/{name}/{{id}}/"]["delete"]["responses"]) == {"204", "409"}


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

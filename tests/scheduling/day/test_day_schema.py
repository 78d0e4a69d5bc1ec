"""The OpenAPI schema describes the day-of-treatment endpoints."""

import json

import pytest
from django.core.management import call_command


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    target = tmp_path_factory.mktemp("schema") / "openapi.json"

    call_command("spectacular", "--validate", "--format", "openapi-json", "--file", str(target))

    return json.loads(target.read_text())


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/appointments/{id}/check-in/", "post"),
        ("/api/v1/appointments/{id}/start/", "post"),
        ("/api/v1/appointments/{id}/recover/", "post"),
        ("/api/v1/appointments/{id}/discharge/", "post"),
        ("/api/v1/appointments/{id}/no-show/", "post"),
        ("/api/v1/appointments/{id}/escort/", "patch"),
        ("/api/v1/board/", "get"),
        ("/api/v1/board/rides/", "get"),
        ("/api/v1/rems/due/", "get"),
        ("/api/v1/rems/{id}/", "get"),
        ("/api/v1/rems/{id}/file/", "post"),
    ],
)
def test_schema_describes_day_endpoints(schema, path, method):
    assert method in schema["paths"][path]


def test_schema_documents_the_discharge_body_and_its_refusals(schema):
    operation = schema["paths"]["/api/v1/appointments/{id}/discharge/"]["post"]
    body = schema["components"]["schemas"]["DischargeRequest"]

    assert {"200", "400", "409"} <= set(operation["responses"])
    assert set(body["required"]) == {"vitals_stable", "alert_and_oriented", "score"}
    assert body["properties"]["score"]["maximum"] == 10

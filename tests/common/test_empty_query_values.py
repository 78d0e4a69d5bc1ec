"""An optional query parameter sent empty means "not given", on every list of the API.

The schema marks each optional query parameter ``allowEmptyValue`` (backend.common.schema),
because the browsable API's filter forms send every field left blank. This walks the served
schema, so a list added later is held to it without a line of its own here.
"""

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.interop.webhook_kit import endpoint_for

pytestmark = pytest.mark.django_db


def query_operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, item in schema["paths"].items():
        operation = item.get("get")
        if operation is None:
            continue
        query = [p for p in operation.get("parameters", []) if p["in"] == "query"]
        if any(not p.get("required") for p in query):
            yield path, query


def test_every_optional_query_parameter_allows_an_empty_value():
    operations = list(query_operations())
    assert len(operations) > 20
    for path, query in operations:
        for parameter in query:
            if not parameter.get("required"):
                assert parameter.get("allowEmptyValue") is True, (path, parameter["name"])


def test_every_optional_query_parameter_sent_empty_is_ignored(manager_api, world):
    staff = world.nurses[0]
    appointment = world.appointment(start=world.at(9))
    webhook = endpoint_for(world.clinic, "https://ehr.example.org/hooks")
    ids = {"{id}": None}
    required = {
        "clinic": str(world.clinic.id),
        "session_type": str(world.spravato.id),
        "date_from": world.day.isoformat(),
        "date_to": world.day.isoformat(),
    }
    by_path = {
        "/api/v1/appointments/{id}/ics/": appointment.id,
        "/api/v1/patients/{id}/access-log/": world.patients[0].id,
        "/api/v1/staff/{id}/absences/": staff.id,
        "/api/v1/webhooks/{id}/deliveries/": webhook.id,
    }
    checked = 0
    for path, query in query_operations():
        if "{id}" in path:
            ids["{id}"] = by_path.get(path)
            if ids["{id}"] is None:
                raise AssertionError(f"give {path} an id in by_path")
            path = path.replace("{id}", str(ids["{id}"]))
        params = {p["name"]: (required[p["name"]] if p.get("required") else "") for p in query}
        response = manager_api.get(path, params)
        assert response.status_code == 200, (path, params, response.content[:300])
        checked += 1
    assert checked > 20

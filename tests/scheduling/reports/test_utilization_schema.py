"""The OpenAPI schema documents the utilization report: parameters, definitions, CSV."""

import contextlib
import io
import json

import pytest
from django.core.management import call_command

PATH = "/api/v1/reports/utilization/"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The validated schema, and what the generator warned about."""
    target = tmp_path_factory.mktemp("schema") / "openapi.json"
    warnings = io.StringIO()

    # The generator prints its warnings to sys.stderr, not to the command's stream.
    with contextlib.redirect_stderr(warnings):
        call_command("spectacular", "--validate", "--format", "openapi-json", "--file", str(target))

    return json.loads(target.read_text()), warnings.getvalue()


def test_schema_describes_the_utilization_report_without_warnings(generated):
    schema, warnings = generated

    operation = schema["paths"][PATH]["get"]
    assert "UtilizationReport" not in warnings and "api/report_" not in warnings
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert {"clinic", "date_from", "date_to", "granularity", "format"} <= set(parameters)
    assert parameters["clinic"]["required"] is True
    assert parameters["granularity"]["schema"]["enum"] == ["day", "week"]
    assert set(parameters["format"]["schema"]["enum"]) == {"json", "csv"}
    assert set(operation["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    assert {"200", "400", "401", "403"} <= set(operation["responses"])


def test_schema_spells_out_the_definitions(generated):
    schema, _ = generated

    components = schema["components"]["schemas"]
    room = components["RoomUtilization"]["properties"]
    assert "inside opening hours" in room["session_seat_minutes"]["description"]
    assert "never exceeds 1" in room["session_seat_minutes"]["description"]
    assert "no-show" in room["no_show_seat_minutes"]["description"]
    assert room["utilization"]["nullable"] is True
    assert "clipped" in schema["paths"][PATH]["get"]["description"]
    assert "hour 1" in components["Heatmap"]["properties"]["utilization"]["description"]

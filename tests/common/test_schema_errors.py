"""Every operation of the whole API documents the error statuses it can answer, with the
one error body: generically, so an endpoint added later is covered without a line of its
own (backend.common.schema)."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from backend.common.schema import BODY_METHODS, WRITE_METHODS

ERROR_REF = "#/components/schemas/Error"


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield path, method.upper(), operation


def test_the_api_has_operations_to_check(schema):
    assert len(list(operations(schema))) > 50


def test_every_operation_documents_503_with_retry_after(schema):
    for path, method, operation in operations(schema):
        unavailable = operation["responses"].get("503")
        assert unavailable is not None, (method, path)
        assert "Retry-After" in unavailable["headers"], (method, path)


def test_every_operation_needing_a_login_documents_401_and_403(schema):
    for path, method, operation in operations(schema):
        anonymous = {} in operation.get("security", [{}])
        if not anonymous:
            assert {"401", "403"} <= set(operation["responses"]), (method, path)


def test_detail_operations_document_404_and_writes_409(schema):
    for path, method, operation in operations(schema):
        responses = set(operation["responses"])
        if "{" in path:
            assert "404" in responses, (method, path)
        if method in WRITE_METHODS:
            assert "409" in responses, (method, path)
        if method in BODY_METHODS:
            assert {"400", "404"} <= responses, (method, path)
        if "requestBody" in operation:
            assert "415" in responses, (method, path)


def test_operations_with_query_parameters_document_400(schema):
    for path, method, operation in operations(schema):
        if any(p["in"] == "query" for p in operation.get("parameters", [])):
            assert "400" in operation["responses"], (method, path)


def test_idempotent_operations_document_422(schema):
    found = 0
    for path, method, operation in operations(schema):
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        if "Idempotency-Key" in headers:
            found += 1
            assert "422" in operation["responses"], (method, path)
    assert found >= 2


def test_the_lockout_is_documented_on_the_token_endpoint(schema):
    responses = schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]

    assert "Retry-After" in responses["429"]["headers"]


def test_every_error_answer_is_the_error_body_in_json(schema):
    for path, method, operation in operations(schema):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            content = response.get("content", {})
            assert set(content) == {"application/json"}, (method, path, status)
            assert content["application/json"]["schema"] == {"$ref": ERROR_REF}, (
                method,
                path,
                status,
            )


def test_the_error_body_documents_nested_field_errors(schema):
    components = schema["components"]["schemas"]

    error = components["Error"]
    assert error["required"] == ["detail", "errors"]
    field_errors = components["FieldErrors"]
    assert field_errors["additionalProperties"] == {"$ref": "#/components/schemas/FieldError"}
    shapes = components["FieldError"]["oneOf"]
    assert {"$ref": "#/components/schemas/FieldErrors"} in shapes
    messages = next(shape for shape in shapes if shape.get("type") == "array")
    assert {"type": "string"} in messages["items"]["oneOf"]


def test_only_json_bodies_are_documented(schema):
    for path, method, operation in operations(schema):
        if "requestBody" in operation:
            assert set(operation["requestBody"]["content"]) == {"application/json"}, (
                method,
                path,
            )


def test_the_history_is_documented_as_it_answers(schema):
    ok = schema["paths"]["/api/v1/appointments/{id}/history/"]["get"]["responses"]["200"]

    ref = ok["content"]["application/json"]["schema"]["$ref"]
    history = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(history["properties"]) == {"appointment", "events"}
    assert history["properties"]["events"]["type"] == "array"

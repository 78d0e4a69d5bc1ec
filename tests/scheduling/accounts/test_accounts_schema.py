"""The OpenAPI schema documents me/ and the accounts endpoints, every status included."""

import contextlib
import io
import json

import pytest
from django.core.management import call_command


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The validated schema, and what the generator warned about."""
    target = tmp_path_factory.mktemp("schema") / "openapi.json"
    warnings = io.StringIO()
    with contextlib.redirect_stderr(warnings):
        call_command("spectacular", "--validate", "--format", "openapi-json", "--file", str(target))
    return json.loads(target.read_text()), warnings.getvalue()


@pytest.mark.parametrize(
    ("path", "method", "statuses"),
    [
        ("/api/v1/me/", "get", {"200", "401"}),
        ("/api/v1/accounts/", "get", {"200", "401", "403"}),
        ("/api/v1/accounts/", "post", {"201", "400", "401", "403", "404"}),
        ("/api/v1/accounts/{id}/", "get", {"200", "401", "403", "404"}),
        ("/api/v1/accounts/{id}/", "patch", {"200", "400", "401", "403", "404", "409"}),
        ("/api/v1/accounts/{id}/deactivate/", "post", {"200", "401", "403", "404", "409"}),
        ("/api/v1/accounts/{id}/invite/", "post", {"200", "401", "403", "404", "409", "503"}),
    ],
)
def test_every_status_is_documented(generated, path, method, statuses):
    schema, _ = generated

    # These at least; backend.common.schema adds what every operation can answer (503...).
    assert statuses <= set(schema["paths"][path][method]["responses"])


def test_the_operations_are_exactly_these(generated):
    paths = generated[0]["paths"]

    assert set(paths["/api/v1/accounts/{id}/"]) == {"get", "patch"}
    assert set(paths["/api/v1/accounts/"]) == {"get", "post"}


def test_no_password_field_in_any_account_schema(generated):
    schema, warnings = generated
    components = schema["components"]["schemas"]

    for name in ("Account", "AccountCreated", "AccountCreateRequest", "Me"):
        assert "password" not in components[name]["properties"], name
    assert set(components["AccountCreateRequest"]["required"]) == {
        "username",
        "email",
        "memberships",
    }
    membership = components["MembershipInputRequest"]["properties"]
    assert membership["clinic"]["nullable"] is True
    assert "accounts" not in warnings.lower()

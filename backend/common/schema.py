"""The OpenAPI schema documents every status an operation can answer, with the real body.

Every view of the API answers its errors through one exception handler
(backend.common.errors) and one middleware (backend.common.middleware), so which error
statuses an operation can return follows from the operation itself: its method, its path
parameters, its query parameters, its body, its authentication and its headers. The
``ErrorDocumentingSchema`` below adds those statuses, each with the error body
(``Error``, from ErrorSerializer: ``detail``, ``errors`` with nested field errors,
``conflicts`` on 409), to
every operation that does not document them itself. Endpoints added later get them
without a line of their own; an operation's own ``extend_schema(responses=...)`` wins for
the statuses it names (a better description, an example).

The statuses, and when each is possible:

- 400: the request has a body or query parameters (a field is missing or malformed).
- 401, 403: the operation needs a login (no credentials; the role does not allow it).
- 404: the path names an object, or the body or query refers to one by id (an object of
  another clinic, or none, answers 404 wherever it is named).
- 409: a write (the state clashes: a taken seat, a wrong status, something still
  referenced).
- 415: the request has a body (one in a media type the operation does not read).
- 422: the operation honours ``Idempotency-Key`` (a key reused for another request).
- 429: the operation is throttled or counts towards the login lockout.
- 503: always (the database is unreachable or busy: retry after ``Retry-After``).
"""

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework.permissions import AllowAny

from backend.common.serializers import ErrorSerializer

FIELD_ERRORS_COMPONENT = "FieldErrors"
FIELD_ERROR_COMPONENT = "FieldError"

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer", "minimum": 0},
        "description": "Seconds to wait before trying again.",
    }
}

DESCRIPTIONS = {
    400: "Invalid input: `errors` names each field (nested fields as nested objects, list "
    "items as lists aligned with the input). Nothing was written.",
    401: "No credentials, or credentials that are not valid.",
    403: "The caller's role does not allow this (in that clinic).",
    404: "No such object in the caller's clinics: the one in the path, or one the body or "
    "query names by id (that field is named in `errors`).",
    409: "The request clashes with the current state (`conflicts` says with what): a taken "
    "seat or staff member, a status that does not allow it, or something that is still "
    "referenced elsewhere (deactivate it instead). Nothing was written.",
    415: "The body is not in a media type the operation reads (send JSON).",
    422: "This Idempotency-Key was already used for a different request.",
    429: "Too many attempts: wait the seconds in `Retry-After`.",
    503: "The database is unavailable or busy for the moment; nothing was written. Retry "
    "after the seconds in `Retry-After`.",
}

# One error message list, or nested errors: a nested object's fields (an object), or a
# list's items (a list aligned with the input, each item a message, an object of field
# errors for an item that had some, or empty for an item that had none).
FIELD_ERROR_SCHEMA: dict[str, Any] = {
    "description": (
        "Messages for one field: a list of messages; for a nested object, its own field "
        "errors; for a list, one entry per item of the input ({} or [] for a valid item)."
    ),
    "oneOf": [
        {
            "type": "array",
            "items": {
                "oneOf": [
                    {"type": "string"},
                    {"$ref": f"#/components/schemas/{FIELD_ERRORS_COMPONENT}"},
                    {"type": "array", "items": {}},
                ]
            },
        },
        {"$ref": f"#/components/schemas/{FIELD_ERRORS_COMPONENT}"},
    ],
}
FIELD_ERRORS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Error messages by field name.",
    "additionalProperties": {"$ref": f"#/components/schemas/{FIELD_ERROR_COMPONENT}"},
}


def _status_of(code) -> int:
    """A response key of ``extend_schema(responses=...)``: a status, or (status, media)."""
    code = code[0] if isinstance(code, tuple) else code
    return int(code) if str(code).isdigit() else 0


def error_statuses(operation: dict[str, Any], method: str, *, needs_login: bool, view) -> set:
    """The error statuses an operation can answer, from what it is (see the module doc)."""
    parameters = operation.get("parameters", [])
    locations = {parameter["in"] for parameter in parameters}
    headers = {parameter["name"].lower() for parameter in parameters if parameter["in"] == "header"}
    has_body = "requestBody" in operation or method in BODY_METHODS
    statuses = {503}
    if has_body or "query" in locations:
        statuses |= {400, 404}
    if "path" in locations:
        statuses.add(404)
    if needs_login:
        statuses |= {401, 403}
    if method in WRITE_METHODS:
        statuses.add(409)
    if "requestBody" in operation:
        statuses.add(415)
    if "idempotency-key" in headers:
        statuses.add(422)
    if getattr(view, "throttle_classes", None):
        statuses.add(429)
    return statuses


def error_response(status: int, error_schema: dict[str, Any]) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": DESCRIPTIONS[status],
        "content": {"application/json": {"schema": error_schema}},
    }
    if status in (429, 503):
        response["headers"] = dict(RETRY_AFTER)
    return response


class ErrorDocumentingSchema(AutoSchema):
    """drf-spectacular's schema plus the error statuses each operation can answer."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        self._register_error_components(registry)
        # An optional query parameter sent empty (``?status=``, as the browsable API's
        # filter forms send every field left blank) means "not given", for django-filter's
        # filters and for DRF's fields alike (``Field.get_value`` reads "" in a query as
        # absent): the schema says that empty is allowed.
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "query" and not parameter.get("required"):
                parameter["allowEmptyValue"] = True
        error_schema = self.resolve_serializer(ErrorSerializer, "response").ref
        responses = operation.setdefault("responses", {})
        if not any(200 <= _status_of(code) < 300 for code in responses):
            # The view named only errors (``responses={400: ...}`` to describe one):
            # drf-spectacular then drops the success answer, which is put back.
            responses = operation["responses"] = {**self._success_response(), **responses}
        statuses = error_statuses(
            operation, self.method, needs_login=self._needs_login(), view=self.view
        )
        for status in sorted(statuses):
            documented = responses.get(str(status))
            if documented is None:
                responses[str(status)] = error_response(status, error_schema)
            elif status in (429, 503):
                documented.setdefault("headers", {}).update(RETRY_AFTER)
        return operation

    def _success_response(self) -> dict[str, Any]:
        if self.method == "DELETE":
            return {"204": {"description": "No response body"}}
        code = "201" if self._is_create_operation() else "200"
        return {code: self._get_response_for_code(self._get_serializer(), code)}

    def _needs_login(self) -> bool:
        permissions = self.view.get_permissions()
        return not permissions or not all(isinstance(p, AllowAny) for p in permissions)

    @staticmethod
    def _register_error_components(registry) -> None:
        for name, schema in (
            (FIELD_ERRORS_COMPONENT, FIELD_ERRORS_SCHEMA),
            (FIELD_ERROR_COMPONENT, FIELD_ERROR_SCHEMA),
        ):
            registry.register_on_missing(
                ResolvedComponent(
                    name=name, type=ResolvedComponent.SCHEMA, schema=schema, object=name
                )
            )

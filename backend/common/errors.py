"""Domain errors and the one exception handler that turns them into API bodies.

Every error body has the shape ``{"detail": "...", "errors": {field: [messages]}}``;
conflicts add ``"conflicts": [...]``. Services raise these errors; views never catch them.
"""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class DomainError(Exception):
    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(
        self,
        detail: str,
        *,
        errors: dict[str, list[str]] | None = None,
        conflicts: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or {}
        self.conflicts = conflicts
        self.extra = extra or {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"detail": self.detail, "errors": self.errors}
        if self.conflicts is not None:
            body["conflicts"] = self.conflicts
        body.update(self.extra)
        return body


class InvalidInput(DomainError):
    """Input that is well-formed but breaks a rule: 400, naming the field."""

    def __init__(self, field: str, message: str, **kwargs: Any) -> None:
        super().__init__(message, errors={field: [message]}, **kwargs)


class Conflict(DomainError):
    """The request clashes with the current state (a taken seat, a wrong status): 409."""

    status_code = status.HTTP_409_CONFLICT

    def __init__(self, detail: str, *, conflicts: list[dict[str, Any]] | None = None, **kw: Any):
        super().__init__(detail, conflicts=conflicts or [], **kw)


class NotFound(DomainError):
    """An object the caller cannot see (another clinic's, or none at all): 404."""

    status_code = status.HTTP_404_NOT_FOUND


class Forbidden(DomainError):
    """An object the caller sees, in a clinic where their role does not allow this: 403."""

    status_code = status.HTTP_403_FORBIDDEN


class Unprocessable(DomainError):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY


def _flatten_messages(data: Any) -> list[str]:
    if isinstance(data, dict):
        return [m for value in data.values() for m in _flatten_messages(value)]
    if isinstance(data, list):
        return [m for value in data for m in _flatten_messages(value)]
    return [str(data)]


def _validation_body(data: Any) -> dict[str, Any]:
    errors = data if isinstance(data, dict) else {"non_field_errors": data}
    fields = [name for name in errors if name != "non_field_errors"]
    if fields:
        detail = "Invalid input in " + ", ".join(f"'{name}'" for name in fields) + "."
        first = _flatten_messages(errors[fields[0]])
        if first:
            detail += f" {fields[0]}: {first[0]}"
    else:
        messages = _flatten_messages(errors)
        detail = messages[0] if messages else "Invalid input."
    return {"detail": detail, "errors": errors}


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(exc.body(), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        data = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return Response(_validation_body(data), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, exceptions.ValidationError):
        return Response(_validation_body(exc.detail), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, exceptions.ParseError):
        return Response(
            {
                "detail": f"Malformed request body: {exc.detail}",
                "errors": {"body": [str(exc.detail)]},
            },
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, dict):
        response.data.setdefault("errors", {})
    return response

"""Domain errors and the one exception handler that turns them into API bodies.

Every error body has the shape ``{"detail": "...", "errors": {field: [messages]}}``;
conflicts add ``"conflicts": [...]``. Services raise these errors; views never catch them.
Nested input gives nested errors in the same shape as the input: a nested object's field
errors as an object, a list's as a list aligned with its items (backend.common.schema
documents it). The handler also answers, once for every view:

- deleting something that is still referenced (``ProtectedError``, ``RestrictedError``):
  409 naming what refers to it, and offering deactivation where the model has ``active``;
- the database unable to serve the request for now (down, busy, read-only, full): 503
  with ``Retry-After``, never 500 (backend.common.db.database_unavailable says which).
"""

from collections import Counter
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, ProtectedError, RestrictedError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from backend.common.db import Unavailable, database_unavailable


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


def _plural(count: int, model: type[Model]) -> str:
    meta = model._meta
    return f"{count} {meta.verbose_name if count == 1 else meta.verbose_name_plural}"


def in_use_conflict(
    exc: ProtectedError | RestrictedError, model: type[Model] | None, what: str = ""
) -> Conflict:
    """The 409 for deleting what other rows still refer to: who refers to it, how many,
    and (where ``model`` can be retired) that deactivating it keeps its history."""
    if isinstance(exc, ProtectedError):
        referencing = exc.protected_objects
    else:
        referencing = exc.restricted_objects
    counts = Counter(type(obj) for obj in referencing)
    references = sorted(counts.items(), key=lambda item: item[0]._meta.model_name)
    what = what or (str(model._meta.verbose_name) if model is not None else "object")
    detail = f"This {what} cannot be deleted: it is referenced by " + " and ".join(
        _plural(count, referrer) for referrer, count in references
    )
    detail += "."
    if model is not None and any(field.name == "active" for field in model._meta.concrete_fields):
        detail += f' Set "active" to false to retire the {what} and keep its history.'
    return Conflict(
        detail,
        conflicts=[
            {"model": referrer._meta.model_name, "count": count} for referrer, count in references
        ],
    )


def _flatten_messages(data: Any) -> list[str]:
    if isinstance(data, dict):
        return [m for value in data.values() for m in _flatten_messages(value)]
    if isinstance(data, list):
        return [m for value in data for m in _flatten_messages(value)]
    return [str(data)]


def nested_errors(data: Any) -> Any:
    """Field errors shaped like the input: DRF reports the item errors of a list (a
    ``ListField``, a nested ``many=True`` serializer) as an object keyed by item index;
    they become a list aligned with the items, as the schema documents."""
    if isinstance(data, dict):
        if data and all(isinstance(key, int) for key in data):
            # An item without errors is empty in the shape of the others: {} among
            # nested objects' errors, [] among a plain list's.
            objects = all(isinstance(value, dict) for value in data.values())
            items: list[Any] = [{} if objects else [] for _ in range(max(data) + 1)]
            for index, value in data.items():
                items[index] = nested_errors(value)
            return items
        return {str(key): nested_errors(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [nested_errors(value) for value in data]
    return str(data)


def _validation_body(data: Any) -> dict[str, Any]:
    data = nested_errors(data)
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


def unavailable_body(unavailable: Unavailable) -> dict[str, Any]:
    return {"detail": unavailable.message, "errors": {}, "reason": unavailable.reason}


def _view_model(context: dict[str, Any]) -> type[Model] | None:
    view = context.get("view")
    queryset = getattr(view, "queryset", None)
    if queryset is None and view is not None and hasattr(view, "get_queryset"):
        try:
            queryset = view.get_queryset()
        except Exception:  # a view whose queryset needs more than the request: no name
            queryset = None
    return getattr(queryset, "model", None)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    response = _handle(exc, context)
    if response is not None and response.status_code >= 400:
        # Whatever the view wrote inside the request's transaction (ATOMIC_REQUESTS) is
        # undone; services' own atomic blocks have rolled back already.
        set_rollback()
        _render_as_json(context.get("request"))
    return response


def _render_as_json(request) -> None:
    """Errors are JSON whatever the request asked for (a calendar, a CSV), as the schema
    documents them; the browsable API keeps showing them as a page."""
    renderer = getattr(request, "accepted_renderer", None)
    if renderer is None or renderer.format in ("json", "api"):
        return
    request.accepted_renderer = JSONRenderer()
    request.accepted_media_type = JSONRenderer.media_type


def _handle(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(exc.body(), status=exc.status_code)
    if isinstance(exc, ProtectedError | RestrictedError):
        view = context.get("view")
        conflict = in_use_conflict(exc, _view_model(context), getattr(view, "noun", ""))
        return Response(conflict.body(), status=conflict.status_code)
    unavailable = database_unavailable(exc)
    if unavailable is not None:
        return Response(
            unavailable_body(unavailable),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(unavailable.retry_after)},
        )
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

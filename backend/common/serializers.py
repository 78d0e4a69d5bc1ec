"""Serializer plumbing every topic shares: model validation on write, wall-clock times,
and the body of every 4xx answer."""

import copy
from typing import Any, ClassVar

from django.core.exceptions import NON_FIELD_ERRORS, ImproperlyConfigured, ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings

from backend.common.errors import Forbidden, NotFound
from backend.common.permissions import view_roles
from backend.common.scoping import access_of, clinic_id_of

# The largest id a database integer column holds; a larger number names nothing, and
# handing it to a query overflows the driver (a 500) instead of finding no row.
MAX_ID = 2**63 - 1


def id_or_none(value) -> int | None:
    """``value`` if it could be a row's id (a whole number a database can hold), else None.

    For ids read straight from a request's raw body or query, before a field checked them.
    """
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID:
        return value
    return None


class ScopedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference by id that must name an object of one of the caller's clinics.

    An id the caller cannot see, because it belongs to another clinic or to nothing at
    all, answers 404 naming the field (the same answer either way, so another clinic's
    ids do not leak); an object in a clinic where the caller's role does not allow the
    request answers 403 naming the field. Shared built-in rows (no clinic) may be named
    by everyone. Nothing is written in either case: the refusal comes before validation
    ends. ``roles`` overrides the roles the view asks for (a report names its own).
    """

    def __init__(self, *, roles: tuple[str, ...] | None = None, **kwargs):
        self.roles = roles
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not hasattr(self.get_queryset(), "for_user"):
            # Not clinic data (a login account linked to a staff record): a plain reference.
            return super().to_internal_value(data)
        if isinstance(data, bool):
            self.fail("incorrect_type", data_type=type(data).__name__)
        request = self.context.get("request")
        if request is None:
            # A serializer built without the request could not scope: a programming error.
            raise ImproperlyConfigured(f"{type(self).__name__} needs the request in context")
        try:
            obj = self.get_queryset().get(pk=data)
        except ObjectDoesNotExist:
            obj = None
        except (TypeError, ValueError):
            self.fail("incorrect_type", data_type=type(data).__name__)
        name = self.field_name or getattr(self.parent, "field_name", "") or "id"
        access = access_of(request.user)
        clinic_id = clinic_id_of(obj) if obj is not None else None
        if obj is None or (clinic_id is not None and not access.has_role(clinic_id)):
            noun = self.get_queryset().model._meta.verbose_name
            message = f"No {noun} with id {data} in your clinics."
            raise NotFound(message, errors={name: [message]})
        roles = self.roles
        if roles is None and "view" in self.context:
            roles = view_roles(request, self.context["view"])
        if clinic_id is not None and roles is not None and not access.has_role(clinic_id, roles):
            message = f"Your role at this {obj._meta.verbose_name}'s clinic does not allow this."
            raise Forbidden(message, errors={name: [message]})
        return obj


def _errors_by_field(
    exc: DjangoValidationError, unique_messages: dict[str, str]
) -> dict[str, list[str]]:
    """A model ValidationError as DRF field errors.

    A multi-field unique constraint (room name per clinic, seat name per room) reports
    under ``__all__``; it is filed under its last field, the one the client chose, with
    the serializer's wording from ``unique_messages`` if it has one.
    """
    if not hasattr(exc, "error_dict"):
        return {api_settings.NON_FIELD_ERRORS_KEY: list(exc.messages)}
    errors: dict[str, list[str]] = {}
    for field, field_errors in exc.error_dict.items():
        for error in field_errors:
            target, messages = field, error.messages
            if field == NON_FIELD_ERRORS:
                unique_check = (error.params or {}).get("unique_check")
                if error.code == "unique_together" and unique_check:
                    target = unique_check[-1]
                    if target in unique_messages:
                        messages = [unique_messages[target]]
                else:
                    target = api_settings.NON_FIELD_ERRORS_KEY
            errors.setdefault(target, []).extend(messages)
    return errors


class ModelCleanMixin:
    """Validates the would-be instance with the model's ``full_clean()``.

    ``parent_field`` names the foreign key a nested item gets from its parent only when
    the parent is saved; it is left out of the check. ``immutable_fields`` may be set on
    create but not changed afterwards (moving a room to another clinic would strand its
    appointments).
    """

    # References in the body name objects of the caller's clinics (see below).
    serializer_related_field = ScopedPrimaryKeyRelatedField
    parent_field: ClassVar[str | None] = None
    immutable_fields: ClassVar[tuple[str, ...]] = ()
    unique_messages: ClassVar[dict[str, str]] = {}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if self.instance is not None:
            self._refuse_immutable_changes(attrs)
        model = self.Meta.model
        concrete = {field.name for field in model._meta.concrete_fields}
        candidate = copy.copy(self.instance) if self.instance is not None else model()
        for name, value in attrs.items():
            if name in concrete:
                setattr(candidate, name, value)
        exclude = {self.parent_field} if self.parent_field else set()
        try:
            candidate.full_clean(exclude=exclude)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(_errors_by_field(exc, self.unique_messages)) from exc
        return attrs

    def _refuse_immutable_changes(self, attrs: dict[str, Any]) -> None:
        errors = {
            name: [
                f"Cannot be changed once the {self.Meta.model._meta.verbose_name} exists; "
                "create a new one instead."
            ]
            for name in self.immutable_fields
            if name in attrs and attrs[name] != getattr(self.instance, name)
        }
        if errors:
            raise serializers.ValidationError(errors)


@extend_schema_field(
    {
        "type": "string",
        "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:00)?$",
        "example": "08:00",
        "description": "Wall-clock time of day in the clinic's zone, HH:MM.",
    }
)
class ClockTimeField(serializers.TimeField):
    """A wall-clock time as ``HH:MM``; seconds other than :00 are refused, not dropped."""

    default_error_messages = {"whole_minutes": "Use whole minutes: HH:MM."}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%H:%M", input_formats=["%H:%M", "%H:%M:%S"], **kwargs)

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        if parsed.second or parsed.microsecond:
            self.fail("whole_minutes")
        return parsed


@extend_schema_field({"$ref": "#/components/schemas/FieldErrors"})
class FieldErrorsField(serializers.DictField):
    """Messages by field name, nested as the input is (see backend.common.schema)."""


class ErrorSerializer(serializers.Serializer):
    """The body of every error answer (4xx, and 503 while the database is unavailable).

    ``errors`` is always present, empty when no field is at fault; ``conflicts`` only on
    409. Some errors add context of their own beside these keys.
    """

    detail = serializers.CharField()
    errors = FieldErrorsField(help_text="Messages by field name.")
    conflicts = serializers.ListField(
        child=serializers.DictField(), required=False, help_text="Only on 409."
    )


def input_validated(view, serializer_class: type[serializers.Serializer], data) -> dict:
    """``data`` (a body or a query) checked by ``serializer_class`` in the view's request
    context, which the scoped references need; refusals go to the exception handler."""
    form = serializer_class(data=data, context={"request": view.request, "view": view})
    form.is_valid(raise_exception=True)
    return form.validated_data

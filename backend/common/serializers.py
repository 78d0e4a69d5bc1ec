"""Serializer plumbing every topic shares: model validation on write, wall-clock times,
and the body of every 4xx answer."""

import copy
from typing import Any, ClassVar

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.settings import api_settings


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


class ErrorSerializer(serializers.Serializer):
    """The body of every 4xx answer."""

    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages by field name.",
    )
    conflicts = serializers.ListField(
        child=serializers.DictField(), required=False, help_text="Only on 409."
    )

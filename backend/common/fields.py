"""Serializer fields that keep time honest: aware datetimes in, clinic-local out."""

from django.utils.dateparse import parse_datetime
from rest_framework import serializers


class AwareDateTimeField(serializers.DateTimeField):
    """A datetime that must carry a UTC offset; a naive one is ambiguous and refused."""

    default_error_messages = {
        "naive": "Include a UTC offset, e.g. 2026-05-04T09:00:00-04:00.",
        "whole_minutes": "Use a whole minute (no seconds), e.g. 2026-05-04T09:00:00-04:00.",
    }

    def __init__(self, *, whole_minutes: bool = False, **kwargs):
        # Appointment times are whole minutes: sessions start on the clock, and every
        # hold is then exact in whole seconds (the busy-span fetch reads them as such).
        self.whole_minutes = whole_minutes
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        result = super().to_internal_value(value)
        if self.whole_minutes and (result.second or result.microsecond):
            self.fail("whole_minutes")
        return result


class ClinicLocalMixin:
    """Renders every datetime of an object in its clinic's zone (the API's promise).

    DRF's DateTimeField converts to the *current* time zone on output, so the object's
    clinic zone is made current while it is rendered.
    """

    def clinic_of(self, instance):
        return instance.clinic

    def to_representation(self, instance):
        from django.utils import timezone

        clinic = self.clinic_of(instance)
        if clinic is None:
            return super().to_representation(instance)
        with timezone.override(clinic.zone):
            return super().to_representation(instance)


def local_iso(value, zone) -> str:
    """``value`` at ``zone``'s wall clock, written exactly as the API's serializer fields do.

    DRF writes a zero UTC offset as ``Z``; hand-built bodies (boards, conflicts, proposals)
    go through here so that one instant always reads the same in every response, whatever
    the clinic's zone.
    """
    # Not DateTimeField().to_representation: that converts to the server's zone first.
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text

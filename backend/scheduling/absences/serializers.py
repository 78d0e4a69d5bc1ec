"""Absence bodies: in, a span of instants or of whole local days; out, the row and what it hits."""

from datetime import date, datetime

from django.utils.dateparse import parse_date
from rest_framework import serializers

from backend.common.fields import AwareDateTimeField, ClinicLocalMixin
from backend.scheduling.resources.choices import AbsenceKind
from backend.scheduling.resources.models import StaffAbsence


class DayOrInstantField(AwareDateTimeField):
    """A date (``YYYY-MM-DD``: whole local days) or an aware datetime."""

    def to_internal_value(self, value):
        if isinstance(value, str) and len(value.strip()) == 10:
            parsed = parse_date(value.strip()) if value.strip()[4] == "-" else None
            if parsed is not None:
                return parsed
        return super().to_internal_value(value)


class AbsenceInputSerializer(serializers.Serializer):
    start = DayOrInstantField(
        whole_minutes=True,
        help_text="An instant with its offset, or a date for whole days from that date.",
    )
    end = DayOrInstantField(
        whole_minutes=True,
        help_text="An instant with its offset (exclusive), or a date: the last whole day.",
    )
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    kind = serializers.ChoiceField(
        choices=AbsenceKind.choices,
        required=False,
        default=AbsenceKind.ABSENCE,
        help_text="``absence`` (time off) or ``extra_shift`` (working outside weekly hours).",
    )

    def validate(self, attrs):
        start, end = attrs["start"], attrs["end"]
        if isinstance(start, datetime) != isinstance(end, datetime):
            raise serializers.ValidationError(
                {"end": ["Give both as dates (whole days) or both as times."]}
            )
        if isinstance(start, date) and not isinstance(start, datetime) and end < start:
            raise serializers.ValidationError({"end": ["The last day is before the first."]})
        return attrs


class AbsenceSerializer(ClinicLocalMixin, serializers.ModelSerializer):
    affected_appointments = serializers.SerializerMethodField(
        help_text="Booked appointments not yet started whose staff member this absence takes "
        "away: they need another staff member or another time."
    )

    class Meta:
        model = StaffAbsence
        fields = [
            "id",
            "staff",
            "kind",
            "start",
            "end",
            "all_day",
            "reason",
            "affected_appointments",
        ]
        read_only_fields = fields

    def clinic_of(self, instance):
        return instance.staff.clinic

    def get_affected_appointments(self, instance) -> list[int]:
        return self.context["affected"].get(instance.id, [])

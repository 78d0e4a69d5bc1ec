"""Filters for the appointments list (shared/API.md)."""

import re
import zoneinfo
from datetime import date, datetime, time, timedelta

import django_filters
from django import forms
from django.conf import settings
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from backend.common.filters import StrictFilterSet
from backend.scheduling.booking.models import Appointment, AppointmentStatus
from backend.scheduling.resources.models import Clinic

DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class DateOrDateTimeField(forms.CharField):
    """Accepts ``YYYY-MM-DD`` (a clinic-local day) or an ISO datetime with an offset."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        if DATE_ONLY.match(value):
            try:
                return date.fromisoformat(value)
            except ValueError as exc:
                raise forms.ValidationError("Not a valid date.") from exc
        try:
            parsed = parse_datetime(value)
        except ValueError:
            parsed = None
        if parsed is None:
            raise forms.ValidationError("Give a date (YYYY-MM-DD) or a datetime with offset.")
        if parsed.tzinfo is None:
            raise forms.ValidationError("Include a UTC offset, or give a date.")
        return parsed


@extend_schema_field(OpenApiTypes.STR)
class DateOrDateTimeFilter(django_filters.Filter):
    """``YYYY-MM-DD`` (a clinic-local day) or an ISO 8601 datetime with offset."""

    field_class = DateOrDateTimeField


class IdFilter(django_filters.NumberFilter):
    """An id: a whole number, as the schema says (``plan=0.5`` is refused, not matched).
    The plans app owns the plan model, hence no ModelChoiceFilter here."""

    field_class = forms.IntegerField


class AppointmentFilter(StrictFilterSet):
    clinic = django_filters.ModelChoiceFilter(queryset=Clinic.objects.all())
    plan = IdFilter(field_name="plan_id")
    status = django_filters.MultipleChoiceFilter(choices=AppointmentStatus.choices)
    start_after = DateOrDateTimeFilter(method="filter_start_after")
    start_before = DateOrDateTimeFilter(method="filter_start_before")

    class Meta:
        model = Appointment
        fields = ["clinic", "patient", "plan", "room", "staff", "status", "session_type"]

    def _zone(self):
        """A plain date is a day in the clinic's zone: the clinic named, or the patient's."""
        data = self.form.cleaned_data
        clinic = data.get("clinic")
        if clinic is None and data.get("patient") is not None:
            clinic = data["patient"].clinic
        if clinic is None and data.get("room") is not None:
            clinic = data["room"].clinic
        return clinic.zone if clinic is not None else zoneinfo.ZoneInfo(settings.TIME_ZONE)

    def _instant(self, value, *, end_of_day: bool):
        if isinstance(value, datetime):
            return value
        day = value + timedelta(days=1) if end_of_day else value
        return datetime.combine(day, time(0, 0), tzinfo=self._zone())

    def filter_start_after(self, queryset, name, value):
        return queryset.filter(start__gte=self._instant(value, end_of_day=False))

    def filter_start_before(self, queryset, name, value):
        # A date is inclusive: everything that starts on or before that local day.
        return queryset.filter(start__lt=self._instant(value, end_of_day=True))

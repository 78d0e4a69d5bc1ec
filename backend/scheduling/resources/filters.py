"""Query filters for the resource lists (django-filter).

An unknown clinic or room id in a filter is a 400 naming the filter, not an empty list.
"""

from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Concat
from django_filters import rest_framework as filters

from backend.common.filters import StrictBooleanFilter, StrictFilterSet
from backend.scheduling.resources.models import Clinic, Patient, Room, Seat, SessionType, Staff


class ClinicFilter(StrictFilterSet):
    class Meta:
        model = Clinic
        fields = ["slug"]


class RoomFilter(StrictFilterSet):
    class Meta:
        model = Room
        fields = ["clinic", "kind", "active"]


class SeatFilter(StrictFilterSet):
    clinic = filters.ModelChoiceFilter(
        field_name="room__clinic",
        queryset=Clinic.objects.all(),
        help_text="Seats of every room of this clinic.",
    )
    room = filters.ModelChoiceFilter(queryset=Room.objects.all())

    class Meta:
        model = Seat
        fields = ["clinic", "room", "kind", "active"]


class StaffFilter(StrictFilterSet):
    class Meta:
        model = Staff
        fields = ["clinic", "role", "active"]


class PatientFilter(StrictFilterSet):
    search = filters.CharFilter(
        method="filter_search",
        help_text="Part of the name, case-insensitive: first, last, 'first last' or 'last, first'.",
    )

    class Meta:
        model = Patient
        fields = ["clinic", "search", "screening_status", "active"]

    def filter_search(self, queryset: QuerySet[Patient], name: str, value: str):
        phrase = " ".join(value.replace(",", " ").split())
        if not phrase:
            return queryset
        return queryset.annotate(
            first_last=Concat("first_name", Value(" "), "last_name"),
            last_first=Concat("last_name", Value(" "), "first_name"),
        ).filter(Q(first_last__icontains=phrase) | Q(last_first__icontains=phrase))


class SessionTypeFilter(StrictFilterSet):
    clinic = filters.ModelChoiceFilter(
        queryset=Clinic.objects.all(),
        method="filter_clinic",
        help_text="The types this clinic can book: its own and the built-in ones.",
    )
    is_builtin = StrictBooleanFilter(
        field_name="clinic",
        lookup_expr="isnull",
        help_text="true: only the built-in types; false: only clinics' own types.",
    )

    class Meta:
        model = SessionType
        fields = ["clinic", "is_builtin", "is_dosing", "room_kind", "staff_role", "active"]

    def filter_clinic(self, queryset: QuerySet[SessionType], name: str, value: Clinic):
        return queryset.filter(Q(clinic=value) | Q(clinic__isnull=True))

"""Django admin for the clinic's resources: managers edit them here or through the API."""

from django import forms
from django.contrib import admin
from django.db.models import Count, Q

from backend.common.admin import ClinicScopedAdminMixin, ReadOnlyAdminMixin
from backend.common.roles import MANAGER_ONLY
from backend.scheduling.resources.models import (
    Clinic,
    Closure,
    Membership,
    OpeningHours,
    Patient,
    PatientAccess,
    Room,
    Seat,
    SessionType,
    Staff,
    StaffAbsence,
    WorkingHours,
)
from backend.scheduling.resources.serializers import PATIENT_PAST_DATES, patient_rule_errors

# --- Clinics ---------------------------------------------------------------------------


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


class ClosureInline(admin.TabularInline):
    model = Closure
    extra = 0


@admin.register(Clinic)
class ClinicAdmin(ClinicScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "timezone", "phone", "email"]
    search_fields = ["name", "slug", "address"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [OpeningHoursInline, ClosureInline]


@admin.register(OpeningHours)
class OpeningHoursAdmin(ClinicScopedAdminMixin, admin.ModelAdmin):
    list_display = ["clinic", "weekday", "opens", "closes"]
    list_filter = ["clinic", "weekday"]
    list_select_related = ["clinic"]


@admin.register(Closure)
class ClosureAdmin(ClinicScopedAdminMixin, admin.ModelAdmin):
    list_display = ["clinic", "start_date", "end_date", "reason"]
    list_filter = ["clinic"]
    list_select_related = ["clinic"]
    search_fields = ["reason"]
    date_hierarchy = "start_date"


# --- Rooms and seats -------------------------------------------------------------------


class SeatInline(admin.TabularInline):
    model = Seat
    extra = 0


@admin.register(Room)
class RoomAdmin(ClinicScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "clinic", "kind", "capacity", "active"]
    list_filter = ["clinic", "kind", "active"]
    list_select_related = ["clinic"]
    search_fields = ["name"]
    inlines = [SeatInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(active_seats=Count("seats", filter=Q(seats__active=True)))
        )

    @admin.display(description="Capacity (active seats)", ordering="active_seats")
    def capacity(self, room: Room) -> int:
        return room.active_seats


@admin.register(Seat)
class SeatAdmin(ClinicScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "room", "kind", "active"]
    list_filter = ["room__clinic", "room", "kind", "active"]
    list_select_related = ["room"]
    search_fields = ["name", "room__name"]


# --- Staff -----------------------------------------------------------------------------


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


class StaffAbsenceInline(admin.TabularInline):
    model = StaffAbsence
    extra = 0
    fields = ["kind", "start", "end", "all_day", "reason"]


@admin.register(Staff)
class StaffAdmin(ClinicScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "role", "clinic", "email", "user", "active"]
    list_filter = ["clinic", "role", "active"]
    list_select_related = ["clinic", "user"]
    search_fields = ["name", "email", "user__username"]
    raw_id_fields = ["user"]
    inlines = [WorkingHoursInline, StaffAbsenceInline]


@admin.register(WorkingHours)
class WorkingHoursAdmin(ClinicScopedAdminMixin, admin.ModelAdmin):
    list_display = ["staff", "weekday", "starts", "ends"]
    list_filter = ["staff__clinic", "weekday"]
    list_select_related = ["staff"]
    search_fields = ["staff__name"]


# --- Session types and patients --------------------------------------------------------


@admin.register(SessionType)
class SessionTypeAdmin(ClinicScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "owner",
        "is_dosing",
        "in_room_minutes",
        "recovery_minutes",
        "recovery_location",
        "room_kind",
        "staff_role",
        "active",
    ]
    list_filter = ["is_dosing", "room_kind", "staff_role", "active", "clinic"]
    list_select_related = ["clinic"]
    filter_horizontal = ["rooms"]
    search_fields = ["name", "slug"]

    @admin.display(description="Clinic", ordering="clinic__name")
    def owner(self, session_type: SessionType) -> str:
        return session_type.clinic.name if session_type.clinic else "Built-in (all clinics)"


class PatientAdminForm(forms.ModelForm):
    """Applies the same eligibility rules as the API."""

    class Meta:
        model = Patient
        fields = "__all__"  # noqa: DJ007 - the admin edits every field of a patient.

    def clean(self):
        data = super().clean()
        clinic = data.get("clinic")
        if clinic is None:
            return data
        errors = patient_rule_errors(
            clinic=clinic,
            screening_status=data.get("screening_status"),
            screening_date=data.get("screening_date"),
            new_dates={
                name: data.get(name) for name in PATIENT_PAST_DATES if name in self.changed_data
            },
        )
        for field, messages in errors.items():
            for message in messages:
                self.add_error(field, message)
        return data


@admin.register(Patient)
class PatientAdmin(ClinicScopedAdminMixin, admin.ModelAdmin):
    form = PatientAdminForm
    list_display = [
        "last_name",
        "first_name",
        "clinic",
        "date_of_birth",
        "screening_status",
        "screening_date",
        "rems_enrolled_on",
        "active",
    ]
    list_display_links = ["last_name", "first_name"]
    list_filter = ["clinic", "screening_status", "active"]
    list_select_related = ["clinic"]
    search_fields = ["first_name", "last_name", "email", "phone"]


@admin.register(Membership)
class MembershipAdmin(ClinicScopedAdminMixin, admin.ModelAdmin):
    list_display = ["user", "clinic", "role", "created_at"]
    list_filter = ["clinic", "role"]
    list_select_related = ["user", "clinic"]
    search_fields = ["user__username", "user__email"]


# --- The patient access log (append-only) ----------------------------------------------


@admin.register(PatientAccess)
class PatientAccessAdmin(ReadOnlyAdminMixin, ClinicScopedAdminMixin, admin.ModelAdmin):
    """Shown, never added, changed or deleted; managers see their clinics' rows."""

    list_display = ["at", "user", "patient", "clinic", "route", "method", "path", "source"]
    list_filter = ["source", "clinic"]
    list_select_related = ["user", "patient", "clinic"]
    search_fields = ["user__username", "patient__last_name", "route", "path"]
    date_hierarchy = "at"
    raw_id_fields = ["user", "patient"]

    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user, MANAGER_ONLY)

"""Django admin for bookings: read-only.

Appointments and their holds are written only by the booking services, which re-check
every seat and staff span under a lock before writing. Editing a hold (or an
appointment's times, seat or status) by hand would bypass those checks and could
double-book a seat, so the admin shows them and never changes them.
"""

from django.contrib import admin

from backend.common.admin import ClinicScopedAdminMixin, ReadOnlyAdminMixin
from backend.scheduling.booking.models import Appointment, AppointmentEvent, Hold, IdempotencyKey

# --- Appointments (read-only) ----------------------------------------------------------


class HoldInline(ReadOnlyAdminMixin, admin.TabularInline):
    # Read-only on purpose: a hand-edited hold escapes the booking re-check (see above).
    model = Hold
    extra = 0
    fields = ["kind", "seat", "staff", "start", "end", "active"]
    readonly_fields = fields


class AppointmentEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    # The audit trail is append-only.
    model = AppointmentEvent
    extra = 0
    fields = ["at", "action", "actor", "changes", "note"]
    readonly_fields = fields


@admin.register(Appointment)
class AppointmentAdmin(ClinicScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Bookings are made, moved and cancelled through the API, which keeps holds honest."""

    list_display = [
        "start",
        "patient",
        "session_type",
        "room",
        "seat",
        "staff",
        "status",
        "sequence",
    ]
    list_filter = ["clinic", "status", "room", "session_type"]
    list_select_related = ["patient", "session_type", "room", "seat__room", "staff"]
    search_fields = ["patient__first_name", "patient__last_name", "escort_name"]
    date_hierarchy = "start"
    inlines = [HoldInline, AppointmentEventInline]


@admin.register(Hold)
class HoldAdmin(ClinicScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    # Read-only on purpose: a hand-edited hold escapes the booking re-check (see above).
    list_display = ["appointment_id", "kind", "seat", "staff", "start", "end", "active"]
    list_filter = ["kind", "active", "seat__room__clinic"]
    list_select_related = ["seat__room", "staff"]
    date_hierarchy = "start"


@admin.register(AppointmentEvent)
class AppointmentEventAdmin(ClinicScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "appointment_id", "action", "actor"]
    list_filter = ["action"]
    list_select_related = ["actor"]
    search_fields = ["action", "note"]
    date_hierarchy = "at"


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["key", "user", "endpoint", "state", "response_status", "created_at"]
    list_filter = ["state"]
    list_select_related = ["user"]
    search_fields = ["key", "endpoint", "user__username"]
    date_hierarchy = "created_at"

    def has_delete_permission(self, request, obj=None) -> bool:
        # Stale keys may be cleared by hand; a client retrying then gets a fresh attempt.
        return request.user.is_superuser

from django.contrib import admin

from backend.common.admin import ClinicScopedAdminMixin
from backend.plans.models import PlannedSession, PlanPhase, PlanTemplate, TreatmentPlan


class PlanPhaseInline(admin.TabularInline):
    model = PlanPhase
    extra = 0
    ordering = ["position"]


@admin.register(PlanTemplate)
class PlanTemplateAdmin(ClinicScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "clinic", "active"]
    list_filter = ["active", "clinic"]
    search_fields = ["name", "slug"]
    inlines = [PlanPhaseInline]


class PlannedSessionInline(admin.TabularInline):
    model = PlannedSession
    extra = 0
    # Sessions are written by booking, which checks seats and staff; editing them here
    # would bypass those checks.
    readonly_fields = ["ordinal", "phase_key", "phase_name", "session_type", "appointment"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(TreatmentPlan)
class TreatmentPlanAdmin(ClinicScopedAdminMixin, admin.ModelAdmin):
    list_display = ["patient", "template", "start_date", "status", "clinic"]
    list_filter = ["status", "template", "clinic"]
    search_fields = ["patient__first_name", "patient__last_name"]
    raw_id_fields = ["patient", "pref_staff"]
    readonly_fields = ["status", "booked_at", "cancelled_at", "cancel_reason", "created_by"]
    inlines = [PlannedSessionInline]

from django.contrib import admin

from backend.common.admin import ClinicScopedAdminMixin
from backend.scheduling.authorizations.models import Authorization


@admin.register(Authorization)
class AuthorizationAdmin(ClinicScopedAdminMixin, admin.ModelAdmin):
    list_display = ["number", "payer", "patient", "units", "start_date", "end_date", "active"]
    list_filter = ["active", "payer"]
    search_fields = ["number", "payer", "patient__last_name"]
    filter_horizontal = ["session_types"]
    raw_id_fields = ["patient"]

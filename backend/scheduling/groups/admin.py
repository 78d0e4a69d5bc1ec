"""Group sessions in the admin: read-only (enrol and cancel through the API or console)."""

from django.contrib import admin

from backend.common.admin import ClinicScopedAdminMixin, ReadOnlyAdminMixin
from backend.scheduling.groups.models import GroupSession


@admin.register(GroupSession)
class GroupSessionAdmin(ClinicScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["session_type", "clinic", "room", "start", "status"]
    list_filter = ["status", "clinic"]
    list_select_related = ["session_type", "clinic", "room"]

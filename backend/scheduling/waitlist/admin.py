from django.contrib import admin

from backend.common.admin import ClinicScopedAdminMixin, ReadOnlyAdminMixin
from backend.scheduling.waitlist.models import WaitlistEntry, WaitlistEvent


class WaitlistEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = WaitlistEvent
    extra = 0
    fields = ["at", "action", "actor", "changes", "note"]
    readonly_fields = fields


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ClinicScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    # Read-only: offers hold seats, and only the waitlist services may take or free them.
    list_display = ["patient", "session_type", "date_from", "date_to", "urgent", "status"]
    list_filter = ["status", "urgent"]
    inlines = [WaitlistEventInline]

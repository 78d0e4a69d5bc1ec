"""Django admin for webhooks: endpoints are editable (not their secret), deliveries are a
read-only log."""

from django.contrib import admin
from django.utils import timezone

from backend.common.admin import ClinicScopedAdminMixin, ReadOnlyAdminMixin
from backend.interop.webhooks.models import WebhookDelivery, WebhookEndpoint
from backend.interop.webhooks.services import webhook_endpoint_update


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ClinicScopedAdminMixin, admin.ModelAdmin):
    list_display = ["url", "clinic", "active", "failure_count", "disabled_at", "created_at"]
    list_filter = ["clinic", "active"]
    # The secret never shows here. URL and events change through the API, which checks
    # them; here a manager can describe, disable or re-enable an endpoint.
    fields = [
        "clinic",
        "url",
        "events",
        "description",
        "active",
        "failure_count",
        "failing_since",
        "disabled_at",
        "disabled_reason",
        "created_at",
    ]
    readonly_fields = [
        "clinic",
        "url",
        "events",
        "failure_count",
        "failing_since",
        "disabled_at",
        "disabled_reason",
        "created_at",
    ]

    def has_add_permission(self, request, obj=None) -> bool:
        return False  # created through the API, which shows the secret once

    def save_model(self, request, obj, form, change):
        # Through the service: re-enabling clears the failure record.
        webhook_endpoint_update(
            endpoint=WebhookEndpoint.objects.get(pk=obj.pk),
            now=timezone.now(),
            description=obj.description,
            active=obj.active,
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ClinicScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "endpoint",
        "event",
        "status",
        "attempts",
        "response_code",
        "latency_ms",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["status", "endpoint__clinic"]
    list_select_related = ["endpoint", "event"]

"""Webhook endpoints and their delivery log, as the API shows them."""

from rest_framework import serializers

from backend.common.fields import ClinicLocalMixin
from backend.common.roles import MANAGER_ONLY
from backend.common.serializers import ScopedPrimaryKeyRelatedField
from backend.interop.webhooks.models import WebhookDelivery, WebhookEndpoint
from backend.scheduling.outbox.models import EventType
from backend.scheduling.resources.models import Clinic

ENDPOINT_FIELDS = [
    "id",
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
    "updated_at",
]
ENDPOINT_STATE = [
    "failure_count",
    "failing_since",
    "disabled_at",
    "disabled_reason",
    "created_at",
    "updated_at",
]


class WebhookEndpointSerializer(ClinicLocalMixin, serializers.ModelSerializer):
    """A webhook endpoint: where a clinic's events go. Times in the clinic's zone."""

    clinic = ScopedPrimaryKeyRelatedField(queryset=Clinic.objects.all(), roles=MANAGER_ONLY)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EventType.choices),
        allow_empty=False,
        help_text="The event types to deliver to this endpoint.",
    )
    active = serializers.BooleanField(
        required=False,
        help_text="False stops deliveries. An endpoint that keeps failing is disabled; "
        "setting true again clears its failure record.",
    )

    class Meta:
        model = WebhookEndpoint
        fields = ENDPOINT_FIELDS
        read_only_fields = ENDPOINT_STATE


class WebhookEndpointUpdateSerializer(WebhookEndpointSerializer):
    """The changeable fields of an endpoint; its clinic stays."""

    clinic = serializers.PrimaryKeyRelatedField(read_only=True)


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    """A new endpoint with its signing secret, shown this once."""

    secret = serializers.CharField(
        read_only=True,
        help_text="The signing secret (whsec_...). Shown only in this answer: store it now.",
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*ENDPOINT_FIELDS, "secret"]


class WebhookDeliverySerializer(ClinicLocalMixin, serializers.ModelSerializer):
    """One event for one endpoint: attempts, last answer and latency, what comes next."""

    webhook_id = serializers.CharField(source="message_id", read_only=True)
    type = serializers.CharField(source="event.type", read_only=True)
    event_created_at = serializers.DateTimeField(source="event.created_at", read_only=True)

    def clinic_of(self, instance):
        return instance.endpoint.clinic

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "webhook_id",
            "type",
            "event_created_at",
            "status",
            "attempts",
            "response_code",
            "latency_ms",
            "last_error",
            "last_attempt_at",
            "next_attempt_at",
            "delivered_at",
            "retry_until",
            "created_at",
        ]
        read_only_fields = fields

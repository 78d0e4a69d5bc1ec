"""Webhook endpoints (per clinic) and the delivery of each outbox event to each of them."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from backend.common.scoping import scoped_queryset
from backend.scheduling.outbox.models import OutboxEvent
from backend.scheduling.resources.models import Clinic


class WebhookEndpoint(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    url = models.URLField(max_length=500)
    events = models.JSONField(
        default=list, help_text="Event types delivered to this endpoint, e.g. appointment.booked."
    )
    description = models.CharField(max_length=200, blank=True)
    # whsec_<base64 of 32 random bytes>: the HMAC key, needed in clear to sign. Shown to the
    # manager once, in the answer that creates the endpoint.
    secret = models.CharField(max_length=100, editable=False)
    active = models.BooleanField(default=True)
    # Consecutive failed attempts, and since when the endpoint has been failing.
    failure_count = models.PositiveIntegerField(default=0)
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    objects = scoped_queryset("clinic").as_manager()

    class Meta:
        ordering = ["clinic", "id"]
        verbose_name = "webhook endpoint"

    def __str__(self) -> str:
        return f"{self.url} ({self.clinic_id})"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (gave up)"


class WebhookDelivery(models.Model):
    """One outbox event for one endpoint: every attempt uses the same ``webhook-id``.

    A worker claims a due delivery by raising ``attempts`` and setting ``locked_until``
    in one conditional update; a worker that dies mid-attempt leaves the lease to expire,
    and the next sweep tries again. A late answer is recorded only by the attempt that
    still holds the claim.
    """

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(
        max_length=12, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    # Retries stop after this (24 hours after the event, or after a manual redeliver).
    retry_until = models.DateTimeField()
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    objects = scoped_queryset("endpoint__clinic").as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_delivery_once")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="webhook_delivery_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event.type} -> endpoint {self.endpoint_id} ({self.status})"

    @property
    def message_id(self) -> str:
        """The ``webhook-id``: the same for every attempt, and for a redelivery."""
        return f"msg_{self.event.uid.hex}"

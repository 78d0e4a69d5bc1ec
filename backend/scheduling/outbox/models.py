"""The transactional outbox: one row per change that the outside world may hear about.

A service that changes an appointment or a plan writes an ``OutboxEvent`` in the same
transaction as the change (``services.outbox_emit``), so a rolled-back change leaves no
event and a committed one always has its event. Consumers above scheduling (webhooks)
read undispatched rows and mark them dispatched once they have taken them over.

The payload is the minimum an integrator needs to fetch details with its own
credentials: ids, times (UTC here; rendered in the clinic's zone on the way out), status
and sequence. Never names, notes or anything clinical.
"""

import uuid

from django.db import models
from django.db.models import Q

from backend.common.scoping import ClinicScopedQuerySet, scoped_queryset
from backend.scheduling.resources.models import Clinic


class EventType(models.TextChoices):
    APPOINTMENT_BOOKED = "appointment.booked", "Appointment booked"
    APPOINTMENT_RESCHEDULED = "appointment.rescheduled", "Appointment rescheduled"
    APPOINTMENT_CANCELLED = "appointment.cancelled", "Appointment cancelled"
    APPOINTMENT_CHECKED_IN = "appointment.checked_in", "Patient checked in"
    APPOINTMENT_DISCHARGED = "appointment.discharged", "Patient discharged"
    APPOINTMENT_NO_SHOW = "appointment.no_show", "Appointment missed (no-show)"
    PLAN_BOOKED = "plan.booked", "Treatment plan booked"
    PLAN_CANCELLED = "plan.cancelled", "Treatment plan cancelled"
    WAITLIST_OFFERED = "waitlist.offered", "Waitlist offer made"
    WAITLIST_ACCEPTED = "waitlist.accepted", "Waitlist offer accepted"


# The changes that may give a seat, a staff member's time or a monitor's place back: what
# a waitlist waits for. A booking, a check-in or an offer takes capacity and frees none.
CAPACITY_FREEING_EVENTS = frozenset(
    {
        EventType.APPOINTMENT_RESCHEDULED,
        EventType.APPOINTMENT_CANCELLED,
        EventType.APPOINTMENT_DISCHARGED,  # early: the rest of the recovery is freed
        EventType.APPOINTMENT_NO_SHOW,
        EventType.PLAN_CANCELLED,
    }
)


class OutboxEventQuerySet(ClinicScopedQuerySet):
    def undispatched(self) -> "OutboxEventQuerySet":
        return self.filter(dispatched_at__isnull=True)


class OutboxEvent(models.Model):
    # The event's identity outside this database: a webhook's ``webhook-id`` derives from
    # it, so a receiver sees the same id on every retry.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=40, choices=EventType.choices)
    # What the event is about, e.g. "appointment:12" or "plan:3".
    subject = models.CharField(max_length=40, db_index=True)
    data = models.JSONField()
    created_at = models.DateTimeField()
    # Set by the consumer that took the event over (fan-out to webhook endpoints).
    dispatched_at = models.DateTimeField(null=True, blank=True)

    objects = scoped_queryset("clinic", base=OutboxEventQuerySet).as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["id"],
                condition=Q(dispatched_at__isnull=True),
                name="outbox_undispatched",
            )
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.subject} at {self.created_at:%Y-%m-%d %H:%M}"

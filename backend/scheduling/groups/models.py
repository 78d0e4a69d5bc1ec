"""A group session: a session type run for several patients at once in one room.

Each participant is an ``Appointment`` (``group_session`` points here) with its own seat and
recovery holds, day-of-treatment states and discharge. The facilitators' time is held by
staff ``Hold`` rows owned by the group session itself, so no other booking can take them.
"""

from django.conf import settings
from django.db import models

from backend.common.scoping import scoped_queryset
from backend.scheduling.resources.models import Clinic, Room, SessionType, Staff


class GroupSessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CANCELLED = "cancelled", "Cancelled"


class GroupSession(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="group_sessions")
    session_type = models.ForeignKey(SessionType, on_delete=models.PROTECT, related_name="+")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="group_sessions")
    staff = models.ManyToManyField(Staff, related_name="group_sessions", blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField()
    recovery_end = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=GroupSessionStatus.choices, default=GroupSessionStatus.SCHEDULED
    )
    # Rises by one on every change the facilitators' calendars should see (a move, a
    # cancellation), as ``Appointment.sequence`` does for an appointment.
    sequence = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)
    cancel_reason = models.CharField(max_length=500, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = scoped_queryset("clinic").as_manager()

    class Meta:
        ordering = ["start", "id"]
        indexes = [models.Index(fields=["clinic", "start"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start"))
                & models.Q(recovery_end__gte=models.F("end")),
                name="group_session_times_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.session_type} group at {self.start:%Y-%m-%d %H:%M}"

"""Waitlist entries and their audit trail.

An offer is a provisional ``Appointment`` in status ``offered`` whose ``Hold`` rows are
ordinary active holds: the database's own guarantees (the exclusion constraints on
PostgreSQL, serialized writers on SQLite) keep anyone else, another offer included, off
the offered seat and staff member until the offer is accepted (the appointment becomes
booked), declined or expired (it is cancelled and its holds freed).
"""

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from backend.common.scoping import scoped_queryset
from backend.scheduling.booking.models import Appointment
from backend.scheduling.resources.models import Clinic, Patient, SessionType, Staff


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    OFFERED = "offered", "Offered"
    BOOKED = "booked", "Booked"
    EXPIRED = "expired", "Expired"
    WITHDRAWN = "withdrawn", "Withdrawn"


OPEN_STATUSES = (WaitlistStatus.WAITING, WaitlistStatus.OFFERED)


class WaitlistEntry(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="waitlist")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="waitlist")
    session_type = models.ForeignKey(SessionType, on_delete=models.PROTECT, related_name="+")
    date_from = models.DateField(help_text="First clinic-local day the patient can come.")
    date_to = models.DateField(help_text="Last clinic-local day (inclusive).")
    pref_weekdays = models.JSONField(default=list, blank=True)
    pref_earliest = models.TimeField(null=True, blank=True)
    pref_latest = models.TimeField(null=True, blank=True)
    pref_staff = models.ForeignKey(
        Staff, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    urgent = models.BooleanField(default=False, help_text="Offered before everyone else.")
    # The plan session this entry would replace or bring forward: plans' PlannedSession id
    # (opaque here, scheduling never imports plans), with its plan and ordinal copied so
    # that an offer can be written as that session, and the appointment that fills it now
    # (an offer must start before it: the point is to bring it forward).
    planned_session = models.BigIntegerField(null=True, blank=True)
    plan_id = models.BigIntegerField(null=True, blank=True)
    ordinal = models.PositiveIntegerField(null=True, blank=True)
    replaces = models.ForeignKey(
        Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING
    )
    offer = models.ForeignKey(
        Appointment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The provisional appointment holding the offered seat (status offered).",
    )
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    booked = models.ForeignKey(
        Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Starts (UTC ISO) this patient declined: not offered to them again.
    declined_starts = models.JSONField(default=list, blank=True)
    notes = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    objects = scoped_queryset("clinic").as_manager()

    class Meta:
        ordering = ["-urgent", "created_at", "id"]
        verbose_name_plural = "waitlist entries"
        indexes = [models.Index(fields=["clinic", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(date_to__gte=models.F("date_from")),
                name="waitlist_dates_ordered",
            ),
            # One offer per provisional appointment: two entries never hold the same seat.
            models.UniqueConstraint(
                fields=["offer"],
                condition=models.Q(status="offered"),
                name="waitlist_one_entry_per_offer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} waits for {self.session_type} ({self.status})"


class WaitlistEvent(models.Model):
    """The entry's audit trail: created, offered, accepted, declined, expired, withdrawn."""

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=40)
    changes = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    note = models.TextField(blank=True)

    objects = scoped_queryset("entry__clinic").as_manager()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action} at {self.at:%Y-%m-%d %H:%M}"

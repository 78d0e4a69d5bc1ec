"""The day of treatment: discharge records, ride confirmations, reminders, REMS forms."""

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models

from backend.common.scoping import scoped_queryset
from backend.scheduling.booking.models import Appointment


class Discharge(models.Model):
    """A clinician's discharge of a patient after monitored recovery (PADSS-style checks)."""

    appointment = models.OneToOneField(
        Appointment, on_delete=models.CASCADE, related_name="discharge"
    )
    at = models.DateTimeField()
    clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    vitals_stable = models.BooleanField()
    alert_and_oriented = models.BooleanField()
    score = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(10)], help_text="Discharge score out of 10 (PADSS-style)."
    )
    pass_mark = models.PositiveSmallIntegerField(
        validators=[MaxValueValidator(10)], help_text="The pass mark in force at discharge."
    )
    collected_by = models.CharField(
        max_length=160, blank=True, help_text="Who collected the patient (the escort)."
    )
    early_override_reason = models.TextField(
        blank=True,
        help_text="Why the clinician discharged before the minimum monitoring time.",
    )
    notes = models.TextField(blank=True)

    objects = scoped_queryset("appointment__clinic").as_manager()

    def __str__(self) -> str:
        return f"Discharge of {self.appointment_id} at {self.at:%Y-%m-%d %H:%M}"


class RideConfirmation(models.Model):
    """A patient's one-time link to confirm their ride home; only a hash of it is kept."""

    appointment = models.OneToOneField(
        Appointment, on_delete=models.CASCADE, related_name="ride_confirmation"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)

    objects = scoped_queryset("appointment__clinic").as_manager()

    def __str__(self) -> str:
        state = "confirmed" if self.confirmed_at else "pending"
        return f"Ride for {self.appointment_id}: {state}"


class ReminderSent(models.Model):
    """One reminder of one kind for one appointment: the row makes resending impossible."""

    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="reminders_sent"
    )
    kind = models.CharField(max_length=40)
    sent_at = models.DateTimeField()
    recipient = models.EmailField()

    objects = scoped_queryset("appointment__clinic").as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["appointment", "kind"], name="reminder_once_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.appointment_id}"


class RemsForm(models.Model):
    """The REMS patient monitoring form due after each discharged Spravato session."""

    appointment = models.OneToOneField(
        Appointment, on_delete=models.CASCADE, related_name="rems_form"
    )
    due_on = models.DateField(help_text="Clinic-local date by which the form must be filed.")
    filed_at = models.DateTimeField(null=True, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reference = models.CharField(
        max_length=120, blank=True, help_text="Confirmation number from the REMS portal."
    )

    objects = scoped_queryset("appointment__clinic").as_manager()

    class Meta:
        indexes = [models.Index(fields=["filed_at", "due_on"])]

    def __str__(self) -> str:
        return f"REMS form for {self.appointment_id} due {self.due_on}"

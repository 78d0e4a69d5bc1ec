"""A payer's prior authorization: a number of sessions of some types within dates.

Units are not stored as counters: an appointment names the authorization whose unit it
uses (``Appointment.authorization``), so used, scheduled and remaining are counted from
the appointments themselves and a cancellation gives its unit back by changing status.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from backend.common.scoping import scoped_queryset
from backend.scheduling.resources.models import Clinic, Patient, SessionType


class Authorization(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="authorizations")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="authorizations")
    payer = models.CharField(max_length=160)
    number = models.CharField(max_length=80, help_text="The payer's authorization number.")
    session_types = models.ManyToManyField(SessionType, related_name="+")
    units = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text="Sessions approved.",
    )
    start_date = models.DateField(help_text="First clinic-local day covered.")
    end_date = models.DateField(help_text="Last clinic-local day covered (inclusive).")
    notes = models.TextField(blank=True)
    active = models.BooleanField(default=True, help_text="Withdrawn authorizations cover nothing.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = scoped_queryset("clinic").as_manager()

    class Meta:
        ordering = ["end_date", "id"]
        indexes = [models.Index(fields=["patient", "end_date"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="authorization_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payer} {self.number}"

    def clean(self) -> None:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "The end date is before the start date."})
        if self.patient_id and self.clinic_id and self.patient.clinic_id != self.clinic_id:
            raise ValidationError({"patient": "This patient belongs to another clinic."})

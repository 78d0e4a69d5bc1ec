"""Patients: contact details, escort, and the eligibility facts booking checks.

The service stores screening outcomes, never the medical detail behind them.
"""

from django.db import models
from django.utils import timezone

from .choices import ScreeningStatus
from .clinic import Clinic


class Patient(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    first_name = models.CharField(max_length=120)
    last_name = models.CharField(max_length=120)
    date_of_birth = models.DateField(null=True, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    escort_name = models.CharField(
        max_length=160, blank=True, help_text="Default driver/escort who collects the patient."
    )
    escort_phone = models.CharField(max_length=40, blank=True)
    screening_status = models.CharField(
        max_length=20, choices=ScreeningStatus.choices, default=ScreeningStatus.PENDING
    )
    screening_date = models.DateField(null=True, blank=True)
    rems_enrolled_on = models.DateField(
        null=True, blank=True, help_text="Date of REMS patient enrollment (Spravato)."
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [models.Index(fields=["clinic", "last_name", "first_name"])]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        stored = getattr(self, "_stored_name", None)
        current = (self.first_name, self.last_name)
        if stored is not None and stored != current:
            # Room and staff calendar feeds show initials and version themselves by their
            # appointments' updated_at: a rename must move it, or subscribers keep the old.
            self.appointments.update(updated_at=timezone.now())
        self._stored_name = current

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        if "first_name" in field_names and "last_name" in field_names:
            instance._stored_name = (instance.first_name, instance.last_name)
        return instance

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def initials(self) -> str:
        return f"{self.first_name[:1]}.{self.last_name[:1]}.".upper()

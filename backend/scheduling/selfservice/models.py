"""One-time patient links. Only a SHA-256 hash of each token is stored (as for ride links);
the raw token exists in the message alone."""

from django.db import models

from backend.common.scoping import scoped_queryset
from backend.scheduling.booking.models import Appointment
from backend.scheduling.resources.models import Clinic
from backend.scheduling.waitlist.models import WaitlistEntry


class LinkPurpose(models.TextChoices):
    APPOINTMENT = "appointment", "Manage an appointment"
    OFFER = "offer", "Answer a waitlist offer"


class PatientLink(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(max_length=20, choices=LinkPurpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    entry = models.ForeignKey(
        WaitlistEntry, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    used_for = models.CharField(max_length=20, blank=True)

    objects = scoped_queryset("clinic").as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.purpose} link ({'used' if self.used_at else 'open'})"

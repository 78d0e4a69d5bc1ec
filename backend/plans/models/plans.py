"""Treatment plans: a template applied to one patient, and its planned sessions."""

from django.conf import settings
from django.db import models

from backend.common.scoping import scoped_queryset
from backend.plans.models.templates import PlanTemplate
from backend.scheduling.booking.models import Appointment
from backend.scheduling.resources.models import Clinic, Patient, SessionType, Staff


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    BOOKED = "booked", "Booked"
    CANCELLED = "cancelled", "Cancelled"
    COMPLETED = "completed", "Completed"


class TreatmentPlan(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="plans")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="plans")
    template = models.ForeignKey(PlanTemplate, on_delete=models.PROTECT, related_name="plans")
    start_date = models.DateField(help_text="Clinic-local date the course starts.")
    pref_weekdays = models.JSONField(
        default=list, blank=True, help_text="Allowed weekdays, 0 = Monday; empty = any."
    )
    pref_earliest = models.TimeField(null=True, blank=True)
    pref_latest = models.TimeField(null=True, blank=True)
    pref_staff = models.ForeignKey(
        Staff, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    extra_horizon_weeks = models.PositiveSmallIntegerField(
        default=0, help_text="Weeks added to open-ended phases by extending the plan."
    )
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    booked_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=500, blank=True)

    objects = scoped_queryset("clinic").as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["patient", "status"])]

    def __str__(self) -> str:
        return f"{self.template} for {self.patient} from {self.start_date}"


class PlannedSession(models.Model):
    """One session of a plan; points at the appointment that currently fills it.

    This is the link between a plan and its appointments: services that act on a course
    (the cascade of a reschedule) ask it which appointment fills which session. When a
    session is cancelled or missed, its make-up appointment replaces the pointer. Every
    appointment also carries a write-once copy, ``Appointment.plan_id`` and ``ordinal``
    (see the comment there), so earlier appointments keep their place in the history.
    """

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.CASCADE, related_name="sessions")
    ordinal = models.PositiveSmallIntegerField()
    phase_key = models.SlugField(max_length=40)
    phase_name = models.CharField(max_length=80)
    session_type = models.ForeignKey(SessionType, on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(
        Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    awaiting_authorization = models.BooleanField(
        default=False,
        help_text="Left unbooked by a covered-only booking: no authorization covered it yet.",
    )

    objects = scoped_queryset("plan__clinic").as_manager()

    class Meta:
        ordering = ["plan", "ordinal"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "ordinal"], name="planned_session_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.plan_id} #{self.ordinal} {self.phase_name}"

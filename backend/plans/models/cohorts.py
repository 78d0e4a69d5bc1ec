"""Cohorts: a group plan template run once for a group of patients from a start date.

The cohort owns its series of group sessions (scheduling's ``GroupSession``); enrolling a
patient books them into every session of the series, all or nothing.
"""

from django.conf import settings
from django.db import models

from backend.common.scoping import scoped_queryset
from backend.plans.models.templates import PlanTemplate
from backend.scheduling.groups.models import GroupSession
from backend.scheduling.resources.models import Clinic, Room, Staff


class Cohort(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="cohorts")
    template = models.ForeignKey(PlanTemplate, on_delete=models.PROTECT, related_name="cohorts")
    start_date = models.DateField(help_text="Clinic-local date of the first session.")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="cohorts")
    staff = models.ManyToManyField(Staff, related_name="cohorts", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = scoped_queryset("clinic").as_manager()

    class Meta:
        ordering = ["start_date", "id"]

    def __str__(self) -> str:
        return f"{self.template} cohort from {self.start_date}"


class CohortSession(models.Model):
    """One session of a cohort's series, in order."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="sessions")
    group_session = models.OneToOneField(
        GroupSession, on_delete=models.PROTECT, related_name="cohort_session"
    )
    ordinal = models.PositiveIntegerField()
    phase_key = models.CharField(max_length=40)

    objects = scoped_queryset("cohort__clinic").as_manager()

    class Meta:
        ordering = ["cohort", "ordinal"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "ordinal"], name="cohort_session_ordinal")
        ]

    def __str__(self) -> str:
        return f"{self.cohort} #{self.ordinal}"

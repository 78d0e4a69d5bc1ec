"""Plan templates: a clinical protocol as data, phase by phase.

The built-in templates (spravato-trd, iv-ketamine, kap-individual) are created by a data
migration on every install; clinics edit them or add their own.
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from backend.common.scoping import scoped_queryset
from backend.scheduling.resources.models import Clinic, SessionType


class PhaseKind(models.TextChoices):
    PREPARATION = "preparation", "Preparation"
    INDUCTION = "induction", "Induction"
    OPTIMIZATION = "optimization", "Optimization"
    MAINTENANCE = "maintenance", "Maintenance"
    INTEGRATION = "integration", "Integration"


class PlanTemplate(models.Model):
    clinic = models.ForeignKey(
        Clinic,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="plan_templates",
        help_text="Empty for the built-in templates every clinic shares.",
    )
    slug = models.SlugField(max_length=80)
    name = models.CharField(max_length=160)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Built-in templates (no clinic) are shared defaults that every clinic sees.
    objects = scoped_queryset("clinic", shared_when_unowned=True).as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "slug"], name="plan_template_unique_slug"),
            models.UniqueConstraint(
                fields=["slug"],
                condition=models.Q(clinic__isnull=True),
                name="plan_template_unique_builtin_slug",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PlanPhase(models.Model):
    """One phase: which session, how many, and the cadence that spaces them."""

    template = models.ForeignKey(PlanTemplate, on_delete=models.CASCADE, related_name="phases")
    position = models.PositiveSmallIntegerField(help_text="Order of the phase in the course.")
    key = models.SlugField(max_length=40, help_text="Unique within the template.")
    name = models.CharField(max_length=80)
    kind = models.CharField(max_length=20, choices=PhaseKind.choices)
    session_type = models.ForeignKey(SessionType, on_delete=models.PROTECT, related_name="+")
    count = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Number of sessions; empty for an open-ended phase (uses the horizon).",
    )
    horizon_weeks = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(104)],
        help_text="Open-ended phases: how far ahead to book; plans can extend it.",
    )
    sessions_per_week = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(7)],
        help_text="If set, the phase runs on a week grid with this many sessions each week.",
    )
    min_gap_days = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(365)])
    max_gap_days = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(365)]
    )
    offset_min_days = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(365)],
        help_text="First session: at least this many days after the previous phase.",
    )
    offset_max_days = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(365)]
    )
    follows = models.SlugField(
        max_length=40,
        blank=True,
        help_text="Key of an earlier phase: one session after each of its sessions.",
    )
    follows_min_days = models.PositiveSmallIntegerField(
        default=1, validators=[MaxValueValidator(60)]
    )
    follows_max_days = models.PositiveSmallIntegerField(
        default=3, validators=[MaxValueValidator(60)]
    )

    objects = scoped_queryset("template__clinic", shared_when_unowned=True).as_manager()

    class Meta:
        ordering = ["template", "position"]
        constraints = [
            models.UniqueConstraint(fields=["template", "key"], name="plan_phase_unique_key"),
            models.UniqueConstraint(
                fields=["template", "position"], name="plan_phase_unique_position"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template}: {self.name}"

    def clean(self) -> None:
        errors = {}
        if self.follows:
            if self.count is not None:
                errors["count"] = "A phase that follows another has one session per session."
            if self.follows_max_days < self.follows_min_days:
                errors["follows_max_days"] = "Must not be less than follows_min_days."
        elif self.count is None and self.horizon_weeks is None:
            errors["horizon_weeks"] = "An open-ended phase needs a booking horizon."
        if self.max_gap_days is not None and self.max_gap_days < self.min_gap_days:
            errors["max_gap_days"] = "Must not be less than min_gap_days."
        if self.offset_max_days is not None and self.offset_max_days < self.offset_min_days:
            errors["offset_max_days"] = "Must not be less than offset_min_days."
        if errors:
            raise ValidationError(errors)

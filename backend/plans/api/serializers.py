"""Shapes of plan templates, treatment plans (shared/API.md, "Treatment plans") and of an
appointment's reschedule, which may move later sessions of its plan ("Appointments")."""

from typing import Any

from django.db import transaction
from django.db.models import F, Prefetch, Q
from drf_spectacular.utils import extend_schema_field, inline_serializer
from rest_framework import serializers

from backend.common.fields import AwareDateTimeField, ClinicLocalMixin
from backend.common.roles import Role
from backend.common.serializers import (
    ClockTimeField,
    ModelCleanMixin,
    ScopedPrimaryKeyRelatedField,
    id_or_none,
)
from backend.plans.models import PlannedSession, PlanPhase, PlanTemplate, TreatmentPlan
from backend.scheduling.booking.serializers import (
    AppointmentSerializer,
    PlacedSessionSerializer,
)
from backend.scheduling.resources.models import Clinic, Patient, Room, Staff

# --- Templates ---------------------------------------------------------------------------


class PlanPhaseSerializer(ModelCleanMixin, serializers.ModelSerializer):
    parent_field = "template"

    class Meta:
        model = PlanPhase
        fields = [
            "key",
            "name",
            "kind",
            "session_type",
            "count",
            "horizon_weeks",
            "sessions_per_week",
            "min_gap_days",
            "max_gap_days",
            "offset_min_days",
            "offset_max_days",
            "follows",
            "follows_min_days",
            "follows_max_days",
        ]
        # The template-wide rules below check keys; the model's unique constraints on
        # (template, key/position) cannot be checked before the template exists.
        validators: list = []

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.setdefault("position", 0)
        return super().validate(attrs)


class PlanTemplateSerializer(ModelCleanMixin, serializers.ModelSerializer):
    phases = PlanPhaseSerializer(many=True)

    class Meta:
        model = PlanTemplate
        fields = ["id", "clinic", "slug", "name", "description", "active", "phases"]
        validators: list = []

    def validate_phases(self, phases: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not phases:
            raise serializers.ValidationError("A template needs at least one phase.")
        seen: set[str] = set()
        open_ended_seen = False
        for index, phase in enumerate(phases):
            where = f"Phase {index + 1} ({phase['key']})"
            if phase["key"] in seen:
                raise serializers.ValidationError(f"{where}: the key is used twice.")
            if phase.get("follows"):
                if phase["follows"] not in seen:
                    raise serializers.ValidationError(
                        f"{where}: follows '{phase['follows']}', which is not an earlier phase."
                    )
            elif open_ended_seen:
                raise serializers.ValidationError(
                    f"{where}: an open-ended phase must be the last of the course."
                )
            elif phase.get("count") is None:
                open_ended_seen = True
            seen.add(phase["key"])
        return phases

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        phases = attrs.pop("phases", None)
        attrs = super().validate(attrs)
        clinic = attrs.get("clinic", getattr(self.instance, "clinic", None))
        slug = attrs.get("slug", getattr(self.instance, "slug", None))
        clash = PlanTemplate.objects.filter(clinic=clinic, slug=slug)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError({"slug": ["A template with this slug exists."]})
        if phases is not None:
            for phase in phases:
                owner = phase["session_type"].clinic_id
                if owner is not None and (clinic is None or owner != clinic.id):
                    raise serializers.ValidationError(
                        {"phases": [f"{phase['session_type']} belongs to another clinic."]}
                    )
            attrs["phases"] = phases
        return attrs

    def _write_phases(self, template: PlanTemplate, phases: list[dict[str, Any]]) -> None:
        template.phases.all().delete()
        # The phases come validated with a placeholder position: their order gives it.
        PlanPhase.objects.bulk_create(
            PlanPhase(**{**p, "template": template, "position": i + 1})
            for i, p in enumerate(phases)
        )

    @transaction.atomic
    def create(self, validated_data: dict[str, Any]) -> PlanTemplate:
        phases = validated_data.pop("phases")
        template = PlanTemplate.objects.create(**validated_data)
        self._write_phases(template, phases)
        return template

    @transaction.atomic
    def update(self, instance: PlanTemplate, validated_data: dict[str, Any]) -> PlanTemplate:
        phases = validated_data.pop("phases", None)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        instance.save()
        if phases is not None:
            self._write_phases(instance, phases)
        return instance


class BuiltinCopySerializer(serializers.Serializer):
    """The clinic whose own copy an edit of a built-in template makes."""

    clinic = ScopedPrimaryKeyRelatedField(
        queryset=Clinic.objects.all(),
        roles=(Role.MANAGER,),
        help_text="Editing a built-in template makes this clinic's own copy.",
    )


# --- Plans -------------------------------------------------------------------------------


@extend_schema_field(
    {"oneOf": [{"type": "string"}, {"type": "integer"}], "description": "Template slug or id."}
)
class TemplateRefField(serializers.Field):
    """A template by slug (the clinic's own first, then the built-in one) or by id."""

    default_error_messages = {"unknown": "No plan template '{value}'."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | str) or data == "":
            self.fail("unknown", value=data)
        request = self.context["request"]
        visible = PlanTemplate.objects.for_user(request.user)
        if isinstance(data, int) or str(data).isdigit():
            found = visible.filter(pk=int(data)).first()
        else:
            patient = id_or_none(self.parent.initial_data.get("patient") if self.parent else None)
            clinic_id = (
                Patient.objects.filter(pk=patient).values_list("clinic_id", flat=True).first()
                if patient is not None
                else None
            )
            # The clinic's own copy first, then the built-in (NULL sorts first on SQLite).
            found = (
                visible.filter(Q(clinic_id=clinic_id) | Q(clinic=None), slug=data)
                .order_by(F("clinic_id").asc(nulls_last=True))
                .first()
            )
        if found is None:
            self.fail("unknown", value=data)
        return found

    def to_representation(self, value):
        return value.slug


class PreferencesSerializer(serializers.Serializer):
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        required=False,
        allow_empty=True,
        max_length=7,
    )
    earliest_time = ClockTimeField(required=False, allow_null=True)
    latest_time = ClockTimeField(required=False, allow_null=True)
    staff = ScopedPrimaryKeyRelatedField(
        queryset=Staff.objects.all(), required=False, allow_null=True
    )

    def validate(self, attrs):
        early, late = attrs.get("earliest_time"), attrs.get("latest_time")
        if early and late and late < early:
            raise serializers.ValidationError(
                {"latest_time": ["The latest start is before the earliest start."]}
            )
        return attrs


class PlanCreateSerializer(serializers.Serializer):
    patient = ScopedPrimaryKeyRelatedField(queryset=Patient.objects.all())
    template = TemplateRefField()
    start_date = serializers.DateField()
    preferences = PreferencesSerializer(required=False)
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class PlanSessionSerializer(serializers.Serializer):
    """One planned session with the appointment that fills it, if any."""

    ordinal = serializers.IntegerField()
    phase = serializers.CharField(source="phase_key")
    phase_name = serializers.CharField()
    session_type = serializers.IntegerField(source="session_type_id")
    appointment = serializers.IntegerField(source="appointment_id", allow_null=True)
    status = serializers.CharField(source="appointment.status", allow_null=True, default=None)
    start = serializers.DateTimeField(source="appointment.start", allow_null=True, default=None)
    end = serializers.DateTimeField(source="appointment.end", allow_null=True, default=None)
    recovery_end = serializers.DateTimeField(
        source="appointment.recovery_end", allow_null=True, default=None
    )
    room = serializers.IntegerField(source="appointment.room_id", allow_null=True, default=None)
    staff = serializers.IntegerField(source="appointment.staff_id", allow_null=True, default=None)
    awaiting_authorization = serializers.BooleanField()


class PlanSerializer(ClinicLocalMixin, serializers.ModelSerializer):
    template = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    template_id = serializers.IntegerField(read_only=True)
    template_name = serializers.CharField(source="template.name", read_only=True)
    patient_name = serializers.CharField(source="patient.full_name", read_only=True)
    preferences = serializers.SerializerMethodField()
    sessions = serializers.SerializerMethodField()

    class Meta:
        model = TreatmentPlan
        fields = [
            "id",
            "clinic",
            "patient",
            "patient_name",
            "template",
            "template_id",
            "template_name",
            "start_date",
            "preferences",
            "status",
            "extra_horizon_weeks",
            "notes",
            "created_at",
            "booked_at",
            "cancelled_at",
            "cancel_reason",
            "sessions",
        ]
        read_only_fields = fields

    @extend_schema_field(PreferencesSerializer)
    def get_preferences(self, plan) -> dict:
        return {
            "weekdays": plan.pref_weekdays,
            "earliest_time": plan.pref_earliest.strftime("%H:%M") if plan.pref_earliest else None,
            "latest_time": plan.pref_latest.strftime("%H:%M") if plan.pref_latest else None,
            "staff": plan.pref_staff_id,
        }

    @extend_schema_field(PlanSessionSerializer(many=True))
    def get_sessions(self, plan) -> list:
        return PlanSessionSerializer(plan.sessions.all(), many=True).data


class PreviewSessionSerializer(PlacedSessionSerializer):
    ordinal = serializers.IntegerField()
    phase = serializers.CharField()
    phase_name = serializers.CharField()
    session_type = serializers.IntegerField()
    week = serializers.IntegerField(help_text="Week of the course, 1 = the start date's week.")
    booked = serializers.BooleanField(help_text="Already booked (kept as it is).")
    appointment = serializers.IntegerField(allow_null=True)
    authorization = inline_serializer(
        "SessionAuthorization",
        {
            "id": serializers.IntegerField(allow_null=True),
            "covered": serializers.BooleanField(),
        },
    )


class UnplacedSerializer(serializers.Serializer):
    ordinal = serializers.IntegerField()
    phase = serializers.CharField()
    reason = serializers.CharField()


class PreviewSerializer(serializers.Serializer):
    plan = serializers.IntegerField()
    timezone = serializers.CharField()
    sessions = PreviewSessionSerializer(many=True)
    unplaced = UnplacedSerializer(many=True)
    eligibility = serializers.ListField(child=serializers.CharField())


class PinSerializer(serializers.Serializer):
    ordinal = serializers.IntegerField(min_value=1)
    start = AwareDateTimeField(whole_minutes=True)


AUTHORIZATION_MODES = [
    ("all", "Every session must be covered (409 otherwise)"),
    ("covered_only", "Book the covered sessions; leave the rest awaiting authorization"),
]


class PlanBookSerializer(serializers.Serializer):
    sessions = PinSerializer(many=True, required=False)
    authorization = serializers.ChoiceField(choices=AUTHORIZATION_MODES, default="all")

    def validate_sessions(self, value):
        ordinals = [pin["ordinal"] for pin in value]
        if len(ordinals) != len(set(ordinals)):
            raise serializers.ValidationError("Each session may be pinned once.")
        return value


class PlanCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=500, required=False, default="Treatment plan cancelled", allow_blank=False
    )


class PlanExtendSerializer(serializers.Serializer):
    weeks = serializers.IntegerField(min_value=1, max_value=52)
    authorization = serializers.ChoiceField(choices=AUTHORIZATION_MODES, default="all")


# --- Reschedule --------------------------------------------------------------------------


class RescheduleSerializer(serializers.Serializer):
    start = AwareDateTimeField(whole_minutes=True)
    cascade = serializers.BooleanField(default=False)
    dry_run = serializers.BooleanField(
        default=False, help_text="Check and show what would move; write nothing."
    )
    staff = ScopedPrimaryKeyRelatedField(
        queryset=Staff.objects.all(), required=False, allow_null=True
    )
    room = ScopedPrimaryKeyRelatedField(
        queryset=Room.objects.all(), required=False, allow_null=True
    )


class RescheduleResultSerializer(AppointmentSerializer):
    moved = serializers.SerializerMethodField()

    class Meta(AppointmentSerializer.Meta):
        fields = [*AppointmentSerializer.Meta.fields, "moved"]
        read_only_fields = fields

    @extend_schema_field(AppointmentSerializer(many=True))
    def get_moved(self, obj) -> list:
        return AppointmentSerializer(
            self.context.get("moved", []), many=True, context=self.context
        ).data


def plan_queryset():
    sessions = PlannedSession.objects.select_related("appointment").order_by("ordinal")
    return TreatmentPlan.objects.select_related("patient", "template", "clinic").prefetch_related(
        Prefetch("sessions", queryset=sessions)
    )

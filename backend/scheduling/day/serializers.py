"""Shapes of the day of treatment: step bodies, the appointment after a step, the board,
unconfirmed rides and REMS forms."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from backend.common.fields import ClinicLocalMixin
from backend.common.serializers import ScopedPrimaryKeyRelatedField
from backend.scheduling.booking.models import AppointmentStatus
from backend.scheduling.booking.serializers import AppointmentSerializer
from backend.scheduling.day.models import Discharge, RemsForm
from backend.scheduling.day.rules import FLAGS, rems_overdue
from backend.scheduling.day.services import related_or_none, ride_confirmed
from backend.scheduling.resources.models import Clinic

# --- Request bodies ----------------------------------------------------------------------


class StepSerializer(serializers.Serializer):
    """Body of check-in/, start/, recover/ and no-show/: all optional."""

    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text="Kept in the appointment's history with the step.",
    )


class DischargeSerializer(serializers.Serializer):
    vitals_stable = serializers.BooleanField(help_text="Vital signs stable: must be true.")
    alert_and_oriented = serializers.BooleanField(help_text="Alert and oriented: must be true.")
    score = serializers.IntegerField(
        min_value=0,
        max_value=10,
        help_text="Discharge score out of 10 (PADSS-style); at least the clinic's pass mark.",
    )
    collected_by = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=160,
        help_text="Who collected the patient; defaults to the appointment's escort.",
    )
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text="Needed only to discharge before the minimum monitoring time.",
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class EscortUpdateSerializer(serializers.Serializer):
    """Only the keys sent change."""

    name = serializers.CharField(required=False, allow_blank=True, max_length=160)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError({"name": "Send a name, a phone or both."})
        return attrs


class RemsFileSerializer(serializers.Serializer):
    reference = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=120,
        help_text="Confirmation number from the REMS portal.",
    )


class DayQuerySerializer(serializers.Serializer):
    clinic = ScopedPrimaryKeyRelatedField(queryset=Clinic.objects.all())
    date = serializers.DateField(
        required=False, help_text="Clinic-local date; defaults to the clinic's today."
    )


class RidesQuerySerializer(DayQuerySerializer):
    date = serializers.DateField(
        required=False, help_text="Clinic-local date; defaults to the clinic's tomorrow."
    )


class RemsDueQuerySerializer(serializers.Serializer):
    clinic = ScopedPrimaryKeyRelatedField(queryset=Clinic.objects.all())
    overdue = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="true: only overdue forms."
    )


# --- Responses ----------------------------------------------------------------------------


class DischargeRecordSerializer(serializers.ModelSerializer):
    clinician = serializers.CharField(source="clinician.get_username", read_only=True)
    early = serializers.SerializerMethodField()

    class Meta:
        model = Discharge
        fields = [
            "at",
            "clinician",
            "vitals_stable",
            "alert_and_oriented",
            "score",
            "pass_mark",
            "collected_by",
            "early",
            "early_override_reason",
            "notes",
        ]
        read_only_fields = fields

    def get_early(self, obj) -> bool:
        return bool(obj.early_override_reason)


class RemsFormBriefSerializer(serializers.ModelSerializer):
    filed_by = serializers.CharField(
        source="filed_by.get_username", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = RemsForm
        fields = ["id", "due_on", "filed_at", "filed_by", "reference"]
        read_only_fields = fields


class DayAppointmentSerializer(AppointmentSerializer):
    """The Appointment, plus the day of treatment: when each step happened and its records."""

    ride_confirmed = serializers.SerializerMethodField()
    discharge = serializers.SerializerMethodField()
    rems_form = serializers.SerializerMethodField()

    class Meta(AppointmentSerializer.Meta):
        fields = [
            *AppointmentSerializer.Meta.fields,
            "ride_confirmed",
            "discharge",
            "rems_form",
        ]
        read_only_fields = fields

    def get_ride_confirmed(self, obj) -> bool:
        return ride_confirmed(obj)

    @extend_schema_field(DischargeRecordSerializer(allow_null=True))
    def get_discharge(self, obj):
        record = related_or_none(obj, "discharge")
        return DischargeRecordSerializer(record).data if record is not None else None

    @extend_schema_field(RemsFormBriefSerializer(allow_null=True))
    def get_rems_form(self, obj):
        form = related_or_none(obj, "rems_form")
        return RemsFormBriefSerializer(form).data if form is not None else None


class BoardEscortSerializer(serializers.Serializer):
    name = serializers.CharField()
    phone = serializers.CharField()
    required = serializers.BooleanField()
    missing = serializers.BooleanField()
    ride_confirmed = serializers.BooleanField()


class BoardEntrySerializer(ClinicLocalMixin, serializers.Serializer):
    """One line of the front-desk board."""

    id = serializers.IntegerField(source="appointment.id")
    patient = serializers.IntegerField(source="appointment.patient_id")
    patient_name = serializers.CharField(source="appointment.patient.full_name")
    session_type = serializers.IntegerField(source="appointment.session_type_id")
    session_type_name = serializers.CharField(source="appointment.session_type.name")
    status = serializers.ChoiceField(source="appointment.status", choices=AppointmentStatus.choices)
    room = serializers.IntegerField(source="appointment.room_id", allow_null=True)
    room_name = serializers.CharField(source="appointment.room.name", allow_null=True)
    seat = serializers.IntegerField(source="appointment.seat_id", allow_null=True)
    seat_name = serializers.CharField(source="appointment.seat.name", allow_null=True)
    recovery_room_name = serializers.SerializerMethodField()
    recovery_seat_name = serializers.SerializerMethodField()
    staff_name = serializers.CharField(
        source="appointment.staff.name", allow_null=True, default=None
    )
    start = serializers.DateTimeField(source="appointment.start")
    end = serializers.DateTimeField(source="appointment.end")
    recovery_end = serializers.DateTimeField(source="appointment.recovery_end")
    # Null until that step of the day happens.
    checked_in_at = serializers.DateTimeField(source="appointment.checked_in_at", allow_null=True)
    session_started_at = serializers.DateTimeField(
        source="appointment.session_started_at", allow_null=True
    )
    discharged_at = serializers.DateTimeField(source="appointment.discharged_at", allow_null=True)
    earliest_discharge = serializers.DateTimeField(
        allow_null=True, help_text="Minimum monitoring time reached (once the session started)."
    )
    expected_discharge = serializers.DateTimeField(allow_null=True)
    escort = serializers.SerializerMethodField()
    flags = serializers.ListField(
        child=serializers.ChoiceField(choices=[(f, f) for f in FLAGS]),
        help_text="late: not checked in 15 minutes after the start; recovery_overrun: still "
        "in session or recovering after recovery_end; discharge_due: minimum monitoring time "
        "reached; ride_unconfirmed: an escort is required and the ride is not confirmed.",
    )

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_recovery_room_name(self, entry) -> str | None:
        return entry.recovery_seat.room.name if entry.recovery_seat else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_recovery_seat_name(self, entry) -> str | None:
        return entry.recovery_seat.name if entry.recovery_seat else None

    @extend_schema_field(BoardEscortSerializer)
    def get_escort(self, entry) -> dict:
        appointment = entry.appointment
        required = appointment.session_type.escort_required
        return {
            "name": appointment.escort_name,
            "phone": appointment.escort_phone,
            "required": required,
            "missing": required and not appointment.escort_name,
            "ride_confirmed": entry.ride_confirmed,
        }


class MonitoringAlertSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    recovering = serializers.IntegerField()
    monitors = serializers.IntegerField()
    recovering_per_monitor = serializers.IntegerField()


class BoardSerializer(serializers.Serializer):
    clinic = serializers.IntegerField()
    date = serializers.DateField()
    timezone = serializers.CharField()
    now = serializers.DateTimeField()
    appointments = BoardEntrySerializer(many=True)
    monitoring_alerts = MonitoringAlertSerializer(
        many=True,
        help_text="Moments when recovering patients exceed working monitors x the clinic's "
        "ratio, counting anyone recovering past their planned discharge as staying 30 "
        "minutes more.",
    )


class RideEntrySerializer(ClinicLocalMixin, serializers.Serializer):
    """An appointment whose ride home is not confirmed yet."""

    id = serializers.IntegerField()
    patient = serializers.IntegerField(source="patient_id")
    patient_name = serializers.CharField(source="patient.full_name")
    patient_phone = serializers.CharField(source="patient.phone")
    status = serializers.ChoiceField(choices=AppointmentStatus.choices)
    start = serializers.DateTimeField()
    expected_pickup = serializers.DateTimeField(source="recovery_end")
    escort = serializers.SerializerMethodField()
    reminder_sent_at = serializers.SerializerMethodField()

    @extend_schema_field(BoardEscortSerializer)
    def get_escort(self, obj) -> dict:
        return {
            "name": obj.escort_name,
            "phone": obj.escort_phone,
            "required": True,
            "missing": not obj.escort_name,
            "ride_confirmed": False,
        }

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_reminder_sent_at(self, obj) -> str | None:
        sent = [r.sent_at for r in obj.reminders_sent.all()]
        if not sent:
            return None
        return serializers.DateTimeField().to_representation(min(sent))


class RidesSerializer(serializers.Serializer):
    clinic = serializers.IntegerField()
    date = serializers.DateField()
    timezone = serializers.CharField()
    rides = RideEntrySerializer(many=True)


class RemsFormSerializer(ClinicLocalMixin, serializers.ModelSerializer):
    appointment = serializers.IntegerField(source="appointment_id", read_only=True)
    patient = serializers.IntegerField(source="appointment.patient_id", read_only=True)
    patient_name = serializers.CharField(source="appointment.patient.full_name", read_only=True)
    session_type_name = serializers.CharField(
        source="appointment.session_type.name", read_only=True
    )
    session_start = serializers.DateTimeField(source="appointment.start", read_only=True)
    discharged_at = serializers.DateTimeField(source="appointment.discharged_at", read_only=True)
    overdue = serializers.SerializerMethodField()
    filed_by = serializers.CharField(
        source="filed_by.get_username", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = RemsForm
        fields = [
            "id",
            "appointment",
            "patient",
            "patient_name",
            "session_type_name",
            "session_start",
            "discharged_at",
            "due_on",
            "overdue",
            "filed_at",
            "filed_by",
            "reference",
        ]
        read_only_fields = fields

    def clinic_of(self, instance):
        return instance.appointment.clinic

    def get_overdue(self, obj) -> bool:
        today = self.context.get("today")
        if today is None or obj.filed_at is not None:
            return False
        return rems_overdue(obj.due_on, today)

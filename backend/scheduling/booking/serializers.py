"""Appointment shapes of the public contract (shared/API.md, "Appointments")."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from backend.common.fields import AwareDateTimeField, ClinicLocalMixin
from backend.common.serializers import ScopedPrimaryKeyRelatedField
from backend.scheduling.booking.models import Appointment, AppointmentEvent, HoldKind
from backend.scheduling.resources.models import Clinic, Patient, Room, Seat, SessionType, Staff


class HoldSerializer(serializers.Serializer):
    room = serializers.IntegerField(source="seat.room_id")
    room_name = serializers.CharField(source="seat.room.name")
    seat = serializers.IntegerField(source="seat_id")
    seat_name = serializers.CharField(source="seat.name")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    kind = serializers.ChoiceField(choices=[HoldKind.SESSION, HoldKind.RECOVERY])


class EscortSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=160, allow_blank=True, required=False, default="")
    phone = serializers.CharField(max_length=40, allow_blank=True, required=False, default="")
    required = serializers.BooleanField(read_only=True)
    missing = serializers.BooleanField(read_only=True)


class AppointmentSerializer(ClinicLocalMixin, serializers.ModelSerializer):
    plan = serializers.IntegerField(source="plan_id", read_only=True, allow_null=True)
    patient_name = serializers.CharField(source="patient.full_name", read_only=True)
    session_type_name = serializers.CharField(source="session_type.name", read_only=True)
    room_name = serializers.CharField(source="room.name", read_only=True, allow_null=True)
    seat_name = serializers.CharField(source="seat.name", read_only=True, allow_null=True)
    staff_name = serializers.CharField(source="staff.name", read_only=True, allow_null=True)
    modality = serializers.CharField(source="session_type.modality", read_only=True)
    video_link = serializers.SerializerMethodField(
        help_text="Telehealth: the appointment's own link, else its staff member's; else null."
    )
    group_session = serializers.IntegerField(
        source="group_session_id", read_only=True, allow_null=True
    )
    escort = serializers.SerializerMethodField()
    holds = serializers.SerializerMethodField()
    timezone = serializers.CharField(source="clinic.timezone", read_only=True)

    class Meta:
        model = Appointment
        fields = [
            "id",
            "clinic",
            "patient",
            "patient_name",
            "plan",
            "ordinal",
            "authorization",
            "session_type",
            "session_type_name",
            "room",
            "room_name",
            "seat",
            "seat_name",
            "staff",
            "staff_name",
            "modality",
            "video_link",
            "group_session",
            "start",
            "end",
            "recovery_end",
            "timezone",
            "status",
            "sequence",
            "escort",
            "holds",
            "notes",
            "checked_in_at",
            "session_started_at",
            "recovery_started_at",
            "discharged_at",
            "no_show_at",
            "cancel_reason",
            "cancelled_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_video_link(self, obj) -> str | None:
        return obj.video_link_effective or None

    @extend_schema_field(EscortSerializer)
    def get_escort(self, obj) -> dict:
        required = obj.session_type.escort_required
        return {
            "name": obj.escort_name,
            "phone": obj.escort_phone,
            "required": required,
            "missing": required and not obj.escort_name,
        }

    @extend_schema_field(HoldSerializer(many=True))
    def get_holds(self, obj) -> list:
        if self.context.get("dry_run"):
            # The rolled-back holds are not in the database; the times above say it all.
            return []
        # A just-booked appointment carries the holds its booking wrote (no read back);
        # one read from the database has them prefetched (``with_details``).
        holds = getattr(obj, "written_holds", None)
        if holds is None:
            holds = obj.holds.all()
        # Seat spans only: the staff member's span is the session itself.
        holds = [h for h in holds if h.seat_id is not None and h.active]
        return HoldSerializer(holds, many=True).data


class AppointmentCreateSerializer(serializers.Serializer):
    patient = ScopedPrimaryKeyRelatedField(queryset=Patient.objects.select_related("clinic"))
    session_type = ScopedPrimaryKeyRelatedField(queryset=SessionType.objects.all())
    start = AwareDateTimeField(whole_minutes=True)
    staff = ScopedPrimaryKeyRelatedField(
        queryset=Staff.objects.all(), required=False, allow_null=True
    )
    room = ScopedPrimaryKeyRelatedField(
        queryset=Room.objects.all(), required=False, allow_null=True
    )
    seat = ScopedPrimaryKeyRelatedField(
        queryset=Seat.objects.select_related("room"), required=False, allow_null=True
    )
    escort = EscortSerializer(required=False)
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    video_link = serializers.URLField(
        required=False,
        allow_blank=True,
        default="",
        max_length=500,
        help_text="Telehealth only: a video link for this visit instead of the staff member's.",
    )
    authorization_override = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=500,
        help_text="Why a session that needs a payer authorization is booked without one.",
    )


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, allow_blank=False)


class AppointmentEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", read_only=True, allow_null=True)

    class Meta:
        model = AppointmentEvent
        fields = ["id", "at", "actor", "action", "changes", "note"]
        read_only_fields = fields


class PlacedSessionSerializer(serializers.Serializer):
    """Where and when a session would run: the shape of a slot and of a plan preview row."""

    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    recovery_end = serializers.DateTimeField()
    room = serializers.IntegerField(allow_null=True, help_text="Null for a video visit.")
    room_name = serializers.CharField(allow_null=True)
    seat = serializers.IntegerField(allow_null=True)
    staff = serializers.IntegerField(allow_null=True)
    staff_name = serializers.CharField(allow_null=True)


class SlotSerializer(PlacedSessionSerializer):
    seat_label = serializers.CharField(allow_null=True)
    recovery_seat = serializers.IntegerField(allow_null=True)


class AvailabilityQuerySerializer(serializers.Serializer):
    session_type = ScopedPrimaryKeyRelatedField(queryset=SessionType.objects.all())
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    clinic = ScopedPrimaryKeyRelatedField(queryset=Clinic.objects.all(), required=False)
    staff = ScopedPrimaryKeyRelatedField(queryset=Staff.objects.all(), required=False)
    patient = ScopedPrimaryKeyRelatedField(queryset=Patient.objects.all(), required=False)
    room = ScopedPrimaryKeyRelatedField(queryset=Room.objects.all(), required=False)
    step = serializers.IntegerField(required=False, min_value=5, max_value=240, default=15)
    earliest_time = serializers.TimeField(required=False)
    latest_time = serializers.TimeField(required=False)

    MAX_DAYS = 62

    def validate(self, attrs):
        if attrs["date_to"] < attrs["date_from"]:
            raise serializers.ValidationError({"date_to": "Must not be before date_from."})
        if (attrs["date_to"] - attrs["date_from"]).days >= self.MAX_DAYS:
            raise serializers.ValidationError(
                {"date_to": f"Search at most {self.MAX_DAYS} days at a time."}
            )
        early, late = attrs.get("earliest_time"), attrs.get("latest_time")
        if early and late and late < early:
            raise serializers.ValidationError({"latest_time": "Must not be before earliest_time."})
        return attrs

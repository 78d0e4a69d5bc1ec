"""Appointment shapes of the public contract (shared/API.md, "Appointments")."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from backend.common.fields import AwareDateTimeField, ClinicLocalMixin, local_iso
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


def _local_or_none(value, zone) -> str | None:
    return local_iso(value, zone) if value else None


def appointment_booked_data(appointment: Appointment) -> dict:
    """``AppointmentSerializer(appointment).data`` of a just-booked appointment, built as a
    plain dict: the booking's hot path renders its answer without a serializer.

    ``appointment`` carries what ``appointment_attach`` gives it: the clinic, patient,
    session type, room, seat (its room attached) and staff rows, and the holds written
    (``written_holds``). A test holds the two renderings equal.
    """
    zone = appointment.clinic.zone
    session_type, room, seat, staff = (
        appointment.session_type,
        appointment.room,
        appointment.seat,
        appointment.staff,
    )
    escort_required = session_type.escort_required
    holds = [
        {
            "room": hold.seat.room_id,
            "room_name": hold.seat.room.name,
            "seat": hold.seat_id,
            "seat_name": hold.seat.name,
            "start": local_iso(hold.start, zone),
            "end": local_iso(hold.end, zone),
            "kind": hold.kind,
        }
        for hold in appointment.written_holds
        if hold.seat_id is not None and hold.active
    ]
    return {
        "id": appointment.id,
        "clinic": appointment.clinic_id,
        "patient": appointment.patient_id,
        "patient_name": appointment.patient.full_name,
        "plan": appointment.plan_id,
        "ordinal": appointment.ordinal,
        "authorization": appointment.authorization_id,
        "session_type": appointment.session_type_id,
        "session_type_name": session_type.name,
        "room": appointment.room_id,
        "room_name": room.name if room is not None else None,
        "seat": appointment.seat_id,
        "seat_name": seat.name if seat is not None else None,
        "staff": appointment.staff_id,
        "staff_name": staff.name if staff is not None else None,
        "modality": session_type.modality,
        "video_link": appointment.video_link_effective or None,
        "group_session": appointment.group_session_id,
        "start": local_iso(appointment.start, zone),
        "end": local_iso(appointment.end, zone),
        "recovery_end": local_iso(appointment.recovery_end, zone),
        "timezone": appointment.clinic.timezone,
        "status": appointment.status,
        "sequence": appointment.sequence,
        "escort": {
            "name": appointment.escort_name,
            "phone": appointment.escort_phone,
            "required": escort_required,
            "missing": escort_required and not appointment.escort_name,
        },
        "holds": holds,
        "notes": appointment.notes,
        "checked_in_at": _local_or_none(appointment.checked_in_at, zone),
        "session_started_at": _local_or_none(appointment.session_started_at, zone),
        "recovery_started_at": _local_or_none(appointment.recovery_started_at, zone),
        "discharged_at": _local_or_none(appointment.discharged_at, zone),
        "no_show_at": _local_or_none(appointment.no_show_at, zone),
        "cancel_reason": appointment.cancel_reason,
        "cancelled_at": _local_or_none(appointment.cancelled_at, zone),
        "created_at": _local_or_none(appointment.created_at, zone),
        "updated_at": _local_or_none(appointment.updated_at, zone),
    }


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

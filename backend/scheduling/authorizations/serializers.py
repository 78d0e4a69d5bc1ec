"""Authorization shapes (shared/API.md, "Authorizations")."""

from rest_framework import serializers

from backend.common.serializers import MAX_ID, ScopedPrimaryKeyRelatedField
from backend.scheduling.authorizations.models import Authorization
from backend.scheduling.authorizations.services import remaining_of
from backend.scheduling.resources.models import Patient, SessionType


class AuthorizationSerializer(serializers.ModelSerializer):
    used = serializers.IntegerField(read_only=True, help_text="Units of sessions that took place.")
    scheduled = serializers.IntegerField(
        read_only=True, help_text="Units held by booked (or offered) sessions."
    )
    remaining = serializers.SerializerMethodField()
    patient_name = serializers.CharField(source="patient.full_name", read_only=True)

    class Meta:
        model = Authorization
        fields = [
            "id",
            "clinic",
            "patient",
            "patient_name",
            "payer",
            "number",
            "session_types",
            "units",
            "start_date",
            "end_date",
            "notes",
            "active",
            "used",
            "scheduled",
            "remaining",
            "created_at",
        ]
        read_only_fields = fields

    def get_remaining(self, obj) -> int:
        return remaining_of(obj)


class AuthorizationCreateSerializer(serializers.Serializer):
    patient = ScopedPrimaryKeyRelatedField(queryset=Patient.objects.select_related("clinic"))
    payer = serializers.CharField(max_length=160)
    number = serializers.CharField(max_length=80)
    session_types = ScopedPrimaryKeyRelatedField(
        queryset=SessionType.objects.all(), many=True, allow_empty=False
    )
    units = serializers.IntegerField(min_value=1, max_value=1000)
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    def validate(self, attrs):
        if attrs["end_date"] < attrs["start_date"]:
            raise serializers.ValidationError({"end_date": "Must not be before start_date."})
        return attrs


class AuthorizationQuerySerializer(serializers.Serializer):
    # Ids beyond a database integer are refused here, not overflowed in the query (a 500).
    patient = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    clinic = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    expiring_within_days = serializers.IntegerField(required=False, min_value=0, max_value=3660)
    remaining_lte = serializers.IntegerField(required=False, min_value=0, max_value=1000)

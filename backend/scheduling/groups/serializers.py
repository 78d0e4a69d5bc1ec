"""Group session shapes of the public contract (shared/API.md, "Group sessions and cohorts")."""

from rest_framework import serializers

from backend.common.fields import AwareDateTimeField, local_iso
from backend.common.serializers import ScopedPrimaryKeyRelatedField
from backend.scheduling.groups.models import GroupSessionStatus
from backend.scheduling.resources.models import Patient, Room, SessionType, Staff


class GroupSessionSerializer(serializers.Serializer):
    """A group session with its places; times in the clinic's zone."""

    id = serializers.IntegerField(source="group.id")
    clinic = serializers.IntegerField(source="group.clinic_id")
    session_type = serializers.IntegerField(source="group.session_type_id")
    room = serializers.IntegerField(source="group.room_id")
    start = serializers.SerializerMethodField()
    end = serializers.SerializerMethodField()
    recovery_end = serializers.SerializerMethodField()
    staff = serializers.SerializerMethodField()
    capacity = serializers.IntegerField(help_text="min(group capacity, the room's active seats)")
    enrolled = serializers.IntegerField()
    places_left = serializers.IntegerField()
    status = serializers.ChoiceField(source="group.status", choices=GroupSessionStatus.choices)
    cancel_reason = serializers.CharField(source="group.cancel_reason")

    def _local(self, view, name) -> str:
        return local_iso(getattr(view.group, name), view.group.clinic.zone)

    def get_start(self, view) -> str:
        return self._local(view, "start")

    def get_end(self, view) -> str:
        return self._local(view, "end")

    def get_recovery_end(self, view) -> str:
        return self._local(view, "recovery_end")

    def get_staff(self, view) -> list[int]:
        return sorted(s.id for s in view.group.staff.all())


class GroupSessionCreateSerializer(serializers.Serializer):
    session_type = ScopedPrimaryKeyRelatedField(queryset=SessionType.objects.all())
    room = ScopedPrimaryKeyRelatedField(queryset=Room.objects.select_related("clinic"))
    start = AwareDateTimeField(whole_minutes=True)
    staff = ScopedPrimaryKeyRelatedField(
        queryset=Staff.objects.all(), many=True, help_text="The facilitators."
    )


class EnrollSerializer(serializers.Serializer):
    patient = ScopedPrimaryKeyRelatedField(queryset=Patient.objects.select_related("clinic"))


class GroupListQuerySerializer(serializers.Serializer):
    clinic = serializers.IntegerField(required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)


class GroupSessionRescheduleSerializer(serializers.Serializer):
    start = AwareDateTimeField(whole_minutes=True, help_text="The new start.")
    room = ScopedPrimaryKeyRelatedField(
        queryset=Room.objects.select_related("clinic"),
        required=False,
        help_text="Another room of the same kind; the current one if left out.",
    )
    staff = ScopedPrimaryKeyRelatedField(
        queryset=Staff.objects.all(),
        many=True,
        required=False,
        help_text="The facilitators from then on; the current ones if left out.",
    )

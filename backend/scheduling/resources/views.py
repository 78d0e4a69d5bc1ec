"""CRUD endpoints for the clinic's resources.

Any clinic role reads; managers write (front desk also writes patients). Every list loads
its nested rows with prefetches, so its query count does not grow with the page.
"""

from typing import ClassVar

from django.db import IntegrityError, transaction
from django.db.models import Model
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.decorators import action

from backend.common.errors import Conflict
from backend.common.roles import MANAGER_ONLY, Role
from backend.common.scoping import ClinicScopedViewMixin
from backend.common.serializers import ErrorSerializer
from backend.scheduling.resources import filters, serializers
from backend.scheduling.resources.access_log import PatientAccessLogMixin, PatientAccessSerializer
from backend.scheduling.resources.memberships import clinic_membership_grant
from backend.scheduling.resources.models import (
    Clinic,
    Patient,
    PatientAccess,
    Room,
    Seat,
    SessionType,
    Staff,
)

BAD_INPUT = OpenApiResponse(ErrorSerializer, description="Invalid input.")
IN_USE = OpenApiResponse(
    ErrorSerializer,
    description="Still referenced (by appointments, holds or patients): deactivate instead.",
)


def _crud_schema(resource: str, plural: str):
    return extend_schema_view(
        list=extend_schema(summary=f"List {plural}"),
        retrieve=extend_schema(summary=f"Get one {resource}"),
        create=extend_schema(summary=f"Create a {resource}", responses={400: BAD_INPUT}),
        update=extend_schema(summary=f"Replace a {resource}", responses={400: BAD_INPUT}),
        partial_update=extend_schema(summary=f"Update a {resource}", responses={400: BAD_INPUT}),
        destroy=extend_schema(summary=f"Delete a {resource}", responses={204: None, 409: IN_USE}),
    )


class ResourceViewSet(ClinicScopedViewMixin, viewsets.ModelViewSet):
    """Deleting what appointments (or patients) still refer to is a 409, not a 500
    (backend.common.errors answers ProtectedError for every view)."""

    write_roles: ClassVar[tuple[str, ...]] = (Role.MANAGER,)
    # What one row is called in messages.
    noun: ClassVar[str] = ""

    # Serializers check every constraint first; this only catches a concurrent write that
    # took the same slug or name between that check and the insert.
    def perform_create(self, serializer) -> None:
        self._save(serializer)

    def perform_update(self, serializer) -> None:
        self._save(serializer)

    def _save(self, serializer) -> None:
        try:
            with transaction.atomic():
                serializer.save()
        except IntegrityError as exc:
            raise Conflict(
                "This change clashes with one saved at the same moment (a name or slug "
                "that must be unique, most likely). Reload and try again."
            ) from exc

    # Deleting a row that others still refer to raises ProtectedError before anything is
    # deleted; the API's exception handler answers it (409 naming the referrers).
    def perform_destroy(self, instance: Model) -> None:
        with transaction.atomic():
            instance.delete()


@_crud_schema("clinic", "clinics")
class ClinicViewSet(ResourceViewSet):
    """Clinics with their IANA time zone, weekly opening hours and closures."""

    queryset = Clinic.objects.prefetch_related("opening_hours", "closures")
    serializer_class = serializers.ClinicSerializer
    filterset_class = filters.ClinicFilter
    ordering_fields: ClassVar[list[str]] = ["name", "slug", "id"]
    ordering = ["name", "id"]

    def perform_create(self, serializer) -> None:
        with transaction.atomic():
            super().perform_create(serializer)
            clinic_membership_grant(
                user=self.request.user, clinic=serializer.instance, role=Role.MANAGER
            )


@_crud_schema("room", "rooms")
class RoomViewSet(ResourceViewSet):
    """Rooms (dosing, recovery, therapy) with their seats; capacity is the active seats."""

    queryset = Room.objects.prefetch_related("seats")
    serializer_class = serializers.RoomSerializer
    filterset_class = filters.RoomFilter
    ordering_fields: ClassVar[list[str]] = ["name", "kind", "id"]
    ordering = ["clinic_id", "name", "id"]


@_crud_schema("seat", "seats")
class SeatViewSet(ResourceViewSet):
    """Seats (recliners, chairs, beds): the unit of capacity that is never double-booked."""

    queryset = Seat.objects.all()
    serializer_class = serializers.SeatSerializer
    filterset_class = filters.SeatFilter
    ordering_fields: ClassVar[list[str]] = ["name", "kind", "id"]
    ordering = ["room_id", "name", "id"]


@_crud_schema("staff member", "staff")
class StaffViewSet(ResourceViewSet):
    """Staff members with their role and weekly working hours."""

    noun = "staff member"

    queryset = Staff.objects.prefetch_related("working_hours")
    serializer_class = serializers.StaffSerializer
    filterset_class = filters.StaffFilter
    ordering_fields: ClassVar[list[str]] = ["name", "role", "id"]
    ordering = ["clinic_id", "name", "id"]


@_crud_schema("patient", "patients")
class PatientViewSet(PatientAccessLogMixin, ResourceViewSet):
    """Patients; the front desk keeps them up to date. Reading one is logged."""

    write_roles = (Role.FRONT_DESK, Role.MANAGER)
    action_roles = {"access_log": MANAGER_ONLY}
    access_log_actions = frozenset({"retrieve"})
    queryset = Patient.objects.select_related("clinic")
    serializer_class = serializers.PatientSerializer
    filterset_class = filters.PatientFilter
    ordering_fields: ClassVar[list[str]] = ["last_name", "first_name", "date_of_birth", "id"]
    ordering = ["last_name", "first_name", "id"]

    def access_log_patient(self, obj: Patient) -> tuple[int, int]:
        return obj.pk, obj.clinic_id

    @extend_schema(
        summary="A patient's access history",
        description="Who read the patient's record, courses or appointments, when and "
        "through which route; newest first. Managers of the patient's clinic only.",
        responses={
            200: PatientAccessSerializer(many=True),
            403: OpenApiResponse(ErrorSerializer, description="Not a manager of the clinic."),
            404: OpenApiResponse(ErrorSerializer, description="No such patient."),
        },
    )
    @action(detail=True, methods=["get"], url_path="access-log", filter_backends=[])
    def access_log(self, request, pk=None):
        patient = self.get_object()
        rows = PatientAccess.objects.filter(patient=patient).select_related("user")
        page = self.paginate_queryset(rows.order_by("-at", "-id"))
        return self.get_paginated_response(PatientAccessSerializer(page, many=True).data)


@_crud_schema("session type", "session types")
class SessionTypeViewSet(ResourceViewSet):
    """Session types: each clinic's own plus the built-in ones (no clinic) all share."""

    queryset = SessionType.objects.prefetch_related("rooms")
    serializer_class = serializers.SessionTypeSerializer
    filterset_class = filters.SessionTypeFilter
    ordering_fields: ClassVar[list[str]] = ["name", "slug", "id"]
    ordering = ["name", "id"]

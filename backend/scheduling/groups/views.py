"""``group-sessions/``: schedule, list, enrol, cancel. Thin views over the services."""

from datetime import UTC, datetime, time, timedelta

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from backend.common.errors import InvalidInput
from backend.common.roles import BOOKING_ROLES
from backend.common.scoping import ClinicScopedViewMixin
from backend.common.serializers import ErrorSerializer, input_validated
from backend.scheduling.booking.idempotency import IDEMPOTENCY_HEADER, idempotent
from backend.scheduling.booking.serializers import AppointmentSerializer, CancelSerializer
from backend.scheduling.booking.views import appointment_data
from backend.scheduling.groups.models import GroupSession
from backend.scheduling.groups.serializers import (
    EnrollSerializer,
    GroupListQuerySerializer,
    GroupSessionCreateSerializer,
    GroupSessionSerializer,
)
from backend.scheduling.groups.services import (
    group_session_cancel,
    group_session_create,
    group_session_enroll,
    group_sessions_view,
)

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input, naming the field."),
    403: OpenApiResponse(ErrorSerializer, description="Your role may not do this."),
    404: OpenApiResponse(ErrorSerializer, description="No such group session (or reference)."),
    409: OpenApiResponse(ErrorSerializer, description="Full, clashing, or cancelled."),
}


class GroupSessionViewSet(ClinicScopedViewMixin, viewsets.GenericViewSet):
    queryset = GroupSession.objects.select_related(
        "clinic", "session_type", "room"
    ).prefetch_related("room__seats", "staff")
    serializer_class = GroupSessionSerializer
    write_roles = BOOKING_ROLES
    action_roles = {"enroll": BOOKING_ROLES, "cancel": BOOKING_ROLES}
    filter_backends = []

    @extend_schema(
        summary="Group sessions of the caller's clinics",
        parameters=[
            OpenApiParameter("clinic", int),
            OpenApiParameter("date_from", str, description="YYYY-MM-DD, clinic-local"),
            OpenApiParameter("date_to", str, description="YYYY-MM-DD, clinic-local, inclusive"),
        ],
        responses={200: GroupSessionSerializer(many=True), 400: ERRORS[400]},
    )
    def list(self, request):
        query = input_validated(self, GroupListQuerySerializer, request.query_params)
        groups = self.get_queryset().order_by("start", "id")
        if "clinic" in query:
            groups = groups.filter(clinic_id=query["clinic"])
        date_from, date_to = query.get("date_from"), query.get("date_to")
        if date_from and date_to and date_to < date_from:
            raise InvalidInput("date_to", "date_to is before date_from.")
        # Dates are clinic-local: bound generously in UTC, then keep the local days asked.
        if date_from:
            groups = groups.filter(start__gte=_utc_midnight(date_from) - timedelta(days=1))
        if date_to:
            groups = groups.filter(start__lt=_utc_midnight(date_to) + timedelta(days=2))
        page = self.paginate_queryset(
            [
                g
                for g in groups
                if (not date_from or g.start.astimezone(g.clinic.zone).date() >= date_from)
                and (not date_to or g.start.astimezone(g.clinic.zone).date() <= date_to)
            ]
        )
        return self.get_paginated_response(
            GroupSessionSerializer(group_sessions_view(page), many=True).data
        )

    @extend_schema(
        summary="One group session", responses={200: GroupSessionSerializer, 404: ERRORS[404]}
    )
    def retrieve(self, request, pk=None):
        return Response(GroupSessionSerializer(group_sessions_view([self.get_object()])[0]).data)

    @extend_schema(
        summary="Schedule a group session and hold its facilitators",
        request=GroupSessionCreateSerializer,
        responses={201: GroupSessionSerializer, **ERRORS},
    )
    def create(self, request):
        data = input_validated(self, GroupSessionCreateSerializer, request.data)
        created = group_session_create(
            actor=request.user,
            session_type=data["session_type"],
            room=data["room"],
            start=data["start"],
            staff=list(data["staff"]),
            now=timezone.now(),
        )
        fresh = self.get_queryset().get(pk=created.group.pk)
        body = GroupSessionSerializer(group_sessions_view([fresh])[0]).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Enrol a patient: an appointment with its own seat and recovery",
        request=EnrollSerializer,
        responses={201: AppointmentSerializer, **ERRORS},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def enroll(self, request, pk=None):
        group = self.get_object()
        data = input_validated(self, EnrollSerializer, request.data)
        appointment = group_session_enroll(
            actor=request.user, group=group, patient=data["patient"], now=timezone.now()
        )
        return Response(appointment_data(appointment), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Cancel the group session and every enrolment",
        request=CancelSerializer,
        responses={200: GroupSessionSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        group = self.get_object()
        data = input_validated(self, CancelSerializer, request.data)
        view = group_session_cancel(
            actor=request.user, group=group, reason=data["reason"], now=timezone.now()
        )
        fresh = self.get_queryset().get(pk=view.group.pk)
        return Response(GroupSessionSerializer(group_sessions_view([fresh])[0]).data)


def _utc_midnight(day) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)

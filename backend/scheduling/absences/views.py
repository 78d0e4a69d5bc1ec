"""``staff/{id}/absences/``: list, record and delete a staff member's absences and extra
shifts. Any role reads; the front desk and managers record and delete (``ABSENCE_ROLES``).
"""

from datetime import datetime

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from backend.common.roles import ABSENCE_ROLES
from backend.common.scoping import ClinicScopedViewMixin
from backend.common.serializers import ErrorSerializer, input_validated
from backend.scheduling.absences.serializers import AbsenceInputSerializer, AbsenceSerializer
from backend.scheduling.absences.services import (
    absences_affected,
    staff_absence_delete,
    staff_absence_record,
    whole_days_span,
)
from backend.scheduling.resources.models import Staff, StaffAbsence

NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such staff member (or absence).")
FORBIDDEN = OpenApiResponse(ErrorSerializer, description="Your role may not change absences.")


class StaffAbsenceViewSet(ClinicScopedViewMixin, viewsets.GenericViewSet):
    queryset = Staff.objects.select_related("clinic")
    action_roles = {"absence_create": ABSENCE_ROLES, "absence_delete": ABSENCE_ROLES}
    filter_backends = []

    @extend_schema(
        summary="A staff member's absences and extra shifts",
        description="Newest first, with the booked appointments each absence takes away.",
        responses={200: AbsenceSerializer(many=True), 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"], url_path="absences", url_name="absences")
    def absences(self, request, pk=None):
        staff = self.get_object()
        rows = StaffAbsence.objects.filter(staff=staff).order_by("-start", "-id")
        page = self.paginate_queryset(rows)
        for row in page:
            row.staff = staff
        affected = absences_affected(page, now=timezone.now())
        data = AbsenceSerializer(page, many=True, context={"affected": affected}).data
        return self.get_paginated_response(data)

    @extend_schema(
        summary="Record an absence (or an extra shift)",
        description="Time off takes the staff member out of availability, booking and plan "
        "proposals for its span; an extra shift adds working time. Dates mean whole local "
        "days (the end date included). The answer lists the booked appointments the absence "
        "leaves without their staff member; they stay booked and are flagged.",
        request=AbsenceInputSerializer,
        responses={
            201: AbsenceSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Invalid input, naming the field."),
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    @absences.mapping.post
    def absence_create(self, request, pk=None):
        staff = self.get_object()
        data = input_validated(self, AbsenceInputSerializer, request.data)
        start, end, all_day = data["start"], data["end"], False
        if not isinstance(start, datetime):
            start, end = whole_days_span(staff.clinic, start, end)
            all_day = True
        absence, affected = staff_absence_record(
            actor=request.user,
            staff=staff,
            start=start,
            end=end,
            reason=data["reason"],
            kind=data["kind"],
            all_day=all_day,
            now=timezone.now(),
        )
        context = {"affected": {absence.id: [a.id for a in affected]}}
        return Response(AbsenceSerializer(absence, context=context).data, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Delete an absence",
        parameters=[OpenApiParameter("absence_id", int, OpenApiParameter.PATH)],
        request=None,
        responses={204: OpenApiResponse(description="Deleted."), 403: FORBIDDEN, 404: NOT_FOUND},
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"absences/(?P<absence_id>[0-9]+)",
        url_name="absence",
    )
    def absence_delete(self, request, pk=None, absence_id=None):
        staff = self.get_object()
        absence = get_object_or_404(StaffAbsence.objects.filter(staff=staff), pk=absence_id)
        staff_absence_delete(absence=absence)
        return Response(status=status.HTTP_204_NO_CONTENT)

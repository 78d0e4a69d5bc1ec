"""Reports for clinic managers: room utilization as JSON or CSV."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import BasePermission
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.common.permissions import user_has_role
from backend.common.roles import REPORT_ROLES
from backend.common.serializers import ErrorSerializer, input_validated
from backend.scheduling.reports.serializers import (
    UtilizationCSVRenderer,
    UtilizationQuerySerializer,
    UtilizationReportSerializer,
    csv_filename,
    utilization_data,
)
from backend.scheduling.reports.services import utilization_report


class IsManager(BasePermission):
    """A manager somewhere; the clinic field then asks for the role in that clinic."""

    message = "Utilization reports are for managers."

    def has_permission(self, request, view) -> bool:
        return user_has_role(request.user, *REPORT_ROLES)


UTILIZATION_DESCRIPTION = """\
Room utilization of one clinic over clinic-local dates `date_from`..`date_to` (inclusive,
at most 366 days), per room and for all rooms, per day or ISO week, plus a weekday x
local-hour grid for heatmaps. Managers only.

* **available seat-minutes** = active seats x opening minutes, closure days removed. Times
  are in the clinic's zone, so a DST day has 23 or 25 hours.
* **session / recovery seat-minutes**: active holds, counted only *inside* opening hours
  (a hold partly outside is clipped), so utilization never exceeds 1. Recovery in the
  recovery lounge counts for the lounge.
* **no-show seat-minutes**: holds of no-show appointments that nobody else used: lost
  capacity. Cancelled appointments count nowhere.
* **utilization** = (session + recovery) / available; **recovery share** = recovery /
  (session + recovery); null when the denominator is 0. Ratios have 4 decimals.
* **peak concurrency**: the most seats in use at one instant of opening hours.

`?format=csv` (or `Accept: text/csv`) returns the same numbers as CSV: a header row, one
row per room and period, a `total` row per room, then the same rows for `All rooms`.
"""


class UtilizationReportView(APIView):
    permission_classes = [IsManager]
    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, UtilizationCSVRenderer]

    @extend_schema(
        operation_id="reports_utilization",
        summary="Room utilization (JSON or CSV)",
        description=UTILIZATION_DESCRIPTION,
        parameters=[
            UtilizationQuerySerializer,
            OpenApiParameter(
                "format",
                str,
                enum=["json", "csv"],
                description="csv: the same numbers as CSV (errors stay JSON).",
            ),
        ],
        responses={
            (200, "application/json"): UtilizationReportSerializer,
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="The same numbers, one row per room and period."
            ),
            (400, "application/json"): OpenApiResponse(
                ErrorSerializer, description="Invalid input, naming the field."
            ),
            (401, "application/json"): OpenApiResponse(
                ErrorSerializer, description="Not logged in."
            ),
            (403, "application/json"): OpenApiResponse(
                ErrorSerializer, description="Not a manager."
            ),
        },
    )
    def get(self, request):
        query = input_validated(self, UtilizationQuerySerializer, request.query_params)
        result = utilization_report(
            clinic_id=query["clinic"].id,
            date_from=query["date_from"],
            date_to=query["date_to"],
            granularity=query["granularity"],
        )
        response = Response(utilization_data(result))
        if request.accepted_renderer.format == UtilizationCSVRenderer.format:
            filename = csv_filename(result.clinic.id, query["date_from"], query["date_to"])
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # An error asked for as CSV still answers with the JSON error body.
        if response.status_code >= 400 and isinstance(
            getattr(response, "accepted_renderer", None), UtilizationCSVRenderer
        ):
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = JSONRenderer.media_type
        return response

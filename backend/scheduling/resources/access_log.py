"""The patient access log: every read of a patient's record, course or appointments.

A request that shows a patient's data records who read it, when, through which route
and from which front end (API or console). Recording is one INSERT per request whatever
the number of patients the response concerns, built from the ids the view has already
loaded: it never reads a row to write the log.

- ``patient_access_record``: the service, one bulk insert.
- ``request_access_record``: records a console page (or any view) after it rendered.
- ``PatientAccessLogMixin``: a DRF viewset mixin that records its read actions from the
  objects they returned.
- ``PatientAccessSerializer``: a row as managers see it (``patients/{id}/access-log/``).
"""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, ClassVar

from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from rest_framework import serializers

from backend.scheduling.resources.models import AccessSource, PatientAccess

PATH_LENGTH = PatientAccess._meta.get_field("path").max_length
ROUTE_LENGTH = PatientAccess._meta.get_field("route").max_length


def patient_access_record(
    *,
    user: Any,
    patient_ids: Mapping[int, int],
    route: str,
    path: str,
    method: str,
    source: str,
    now: datetime,
) -> list[PatientAccess]:
    """Record that ``user`` read the patients of ``patient_ids`` (patient id -> the id of
    the clinic it was read in), in one INSERT; nothing when there is no patient."""
    if not patient_ids:
        return []
    rows = [
        PatientAccess(
            user_id=user.pk,
            patient_id=patient_id,
            clinic_id=clinic_id,
            at=now,
            route=route[:ROUTE_LENGTH],
            path=path[:PATH_LENGTH],
            method=method,
            source=source,
        )
        for patient_id, clinic_id in sorted(patient_ids.items())
    ]
    # No batch size: one statement (SQLite splits it past its parameter limit, ~120 rows).
    return PatientAccess.objects.bulk_create(rows)


def route_name(request: HttpRequest) -> str:
    """The URL name of the request's route (``patient-detail``, ``console:patient``)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    return match.view_name or match.route


def request_access_record(
    request: HttpRequest,
    response: HttpResponse,
    patient_ids: Mapping[int, int],
    *,
    source: str = AccessSource.CONSOLE,
) -> HttpResponse:
    """Record the patients a successful (2xx) response showed; hands the response back."""
    if 200 <= response.status_code < 300:
        patient_access_record(
            user=request.user,
            patient_ids=patient_ids,
            route=route_name(request),
            path=request.path,
            method=request.method or "",
            source=source,
            now=timezone.now(),
        )
    return response


class PatientAccessLogMixin:
    """Records the patients a viewset's read actions answered with, after a 2xx response.

    The objects come from ``get_object`` (a detail, or a detail action such as a history)
    and from ``get_serializer(..., many=True)`` (a list's page), so recording costs the
    insert alone. ``access_log_actions`` names the actions that read patient data;
    ``access_log_patient`` says which patient (and clinic) one object concerns.
    """

    access_log_actions: ClassVar[frozenset[str]] = frozenset({"retrieve", "list"})

    def access_log_patient(self, obj: Model) -> tuple[int, int]:
        """(patient id, clinic id) of one object; read from its own columns, no query."""
        return obj.patient_id, obj.clinic_id

    def _access_log_keep(self, objects: Iterable[Model]) -> None:
        if getattr(self, "action", None) in self.access_log_actions:
            self._access_logged = [*getattr(self, "_access_logged", []), *objects]

    def get_object(self):
        obj = super().get_object()
        self._access_log_keep([obj])
        return obj

    def get_serializer(self, *args, **kwargs):
        # A list serializes its page (or, unpaginated, its queryset: already evaluated
        # for the serializer, so reading it again here is no query).
        if args and kwargs.get("many"):
            self._access_log_keep(args[0])
        return super().get_serializer(*args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        objects = getattr(self, "_access_logged", None)
        if objects and request.method == "GET":
            self._access_logged = []
            request_access_record(
                request,
                response,
                dict(self.access_log_patient(obj) for obj in objects),
                source=AccessSource.API,
            )
        return response


class AccessUserSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    username = serializers.CharField(read_only=True)


class PatientAccessSerializer(serializers.ModelSerializer):
    """One read of the patient's data: when, by whom, through which route."""

    user = AccessUserSerializer(read_only=True)

    class Meta:
        model = PatientAccess
        fields = ["at", "user", "route", "path", "method", "source"]
        read_only_fields = fields

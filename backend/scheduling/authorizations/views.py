"""Authorization endpoints: record one, list them (with the work-list filters)."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.db.models import F, Q
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from backend.common.roles import BOOKING_ROLES
from backend.common.scoping import ClinicScopedViewMixin
from backend.common.serializers import ErrorSerializer, input_validated
from backend.scheduling.authorizations.models import Authorization
from backend.scheduling.authorizations.serializers import (
    AuthorizationCreateSerializer,
    AuthorizationQuerySerializer,
    AuthorizationSerializer,
)
from backend.scheduling.authorizations.services import authorization_create, with_usage
from backend.scheduling.resources.models import Clinic


def authorization_queryset():
    # Aggregates drop the model's default ordering: name it again for stable pages.
    return (
        with_usage(Authorization.objects.all())
        .select_related("patient")
        .prefetch_related("session_types")
        .order_by("end_date", "id")
    )


def clinic_todays(user, now) -> dict[int, date]:
    """Each of the user's clinics' own local date at ``now``."""
    zones = Clinic.objects.for_user(user).values_list("id", "timezone")
    return {clinic_id: now.astimezone(ZoneInfo(zone)).date() for clinic_id, zone in zones}


def authorizations_filter(queryset, *, todays, patient=None, clinic=None, within=None, lte=None):
    """The work list's filters: ``within`` days of ending (not yet ended), ``lte`` units left.

    Both given means either: an authorization that ends soon or runs low needs a renewal.
    ``todays()`` maps each clinic id to its own local date (asked only when a work-list
    filter is): "ended" and "within N days" are counted on the clinic's calendar, which is
    not the server's in a group across zones.
    """
    if patient is not None:
        queryset = queryset.filter(patient_id=patient)
    if clinic is not None:
        queryset = queryset.filter(clinic_id=clinic)
    if within is None and lte is None:
        return queryset
    queryset = queryset.filter(active=True).annotate(
        remaining_units=F("units") - F("used") - F("scheduled")
    )
    per_clinic = Q(pk__in=[])
    for clinic_id, today in todays().items():
        wanted = Q()
        if within is not None:
            wanted |= Q(end_date__lte=today + timedelta(days=within))
        if lte is not None:
            wanted |= Q(remaining_units__lte=lte)
        per_clinic |= Q(clinic_id=clinic_id, end_date__gte=today) & wanted
    return queryset.filter(per_clinic)


class AuthorizationViewSet(
    ClinicScopedViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Payer authorizations with used, scheduled and remaining units.

    ``?expiring_within_days=N`` and ``?remaining_lte=N`` make the renewal work list (an
    authorization matching either, still active and not ended); ``?patient=`` one patient's.
    """

    serializer_class = AuthorizationSerializer
    write_roles = BOOKING_ROLES
    filter_backends: list = []

    def base_queryset(self):
        return authorization_queryset()

    @extend_schema(parameters=[AuthorizationQuerySerializer])
    def list(self, request, *args, **kwargs):
        query = input_validated(self, AuthorizationQuerySerializer, request.query_params)
        queryset = authorizations_filter(
            self.get_queryset(),
            todays=lambda: clinic_todays(request.user, timezone.now()),
            patient=query.get("patient"),
            clinic=query.get("clinic"),
            within=query.get("expiring_within_days"),
            lte=query.get("remaining_lte"),
        )
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=AuthorizationCreateSerializer,
        responses={
            201: AuthorizationSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Invalid input, naming the field."),
        },
    )
    def create(self, request, *args, **kwargs):
        data = input_validated(self, AuthorizationCreateSerializer, request.data)
        authorization = authorization_create(
            actor=request.user,
            patient=data["patient"],
            payer=data["payer"],
            number=data["number"],
            session_types=data["session_types"],
            units=data["units"],
            start_date=data["start_date"],
            end_date=data["end_date"],
            notes=data["notes"],
        )
        fresh = authorization_queryset().get(pk=authorization.pk)
        return Response(AuthorizationSerializer(fresh).data, status=status.HTTP_201_CREATED)

"""Waitlist endpoints (shared/API.md, "Waitlist").

Served by plans because an entry may name a plan session: adding it resolves the
session, and accepting its offer moves the session with the plan's cascade. Entries
without one go straight to scheduling's waitlist services.
"""

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from backend.common.fields import ClinicLocalMixin
from backend.common.roles import BOOKING_ROLES
from backend.common.scoping import ClinicScopedViewMixin
from backend.common.serializers import (
    MAX_ID,
    ErrorSerializer,
    ScopedPrimaryKeyRelatedField,
    input_validated,
)
from backend.plans.api.serializers import PreferencesSerializer
from backend.plans.models import PlannedSession
from backend.plans.services.waitlist import waitlist_entry_add, waitlist_offer_accept
from backend.scheduling.booking.serializers import AppointmentSerializer
from backend.scheduling.booking.views import appointment_data
from backend.scheduling.resources.models import Patient, SessionType
from backend.scheduling.waitlist.models import WaitlistEntry, WaitlistStatus
from backend.scheduling.waitlist.services import offer_decline, waitlist_entry_withdraw

GONE = OpenApiResponse(ErrorSerializer, description="No open offer (answered, withdrawn, expired).")


class OfferSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    recovery_end = serializers.DateTimeField()
    room = serializers.IntegerField(source="room_id")
    seat = serializers.IntegerField(source="seat_id")
    staff = serializers.IntegerField(source="staff_id", allow_null=True)
    appointment = serializers.IntegerField(source="id")


class WaitlistEntrySerializer(ClinicLocalMixin, serializers.ModelSerializer):
    patient_name = serializers.CharField(source="patient.full_name", read_only=True)
    session_type_name = serializers.CharField(source="session_type.name", read_only=True)
    preferences = serializers.SerializerMethodField()
    offer = serializers.SerializerMethodField()
    booked_appointment = serializers.IntegerField(source="booked_id", allow_null=True)

    class Meta:
        model = WaitlistEntry
        fields = [
            "id",
            "clinic",
            "patient",
            "patient_name",
            "session_type",
            "session_type_name",
            "date_from",
            "date_to",
            "preferences",
            "planned_session",
            "urgent",
            "status",
            "offer",
            "booked_appointment",
            "notes",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(PreferencesSerializer)
    def get_preferences(self, entry) -> dict:
        return {
            "weekdays": entry.pref_weekdays,
            "earliest_time": entry.pref_earliest.strftime("%H:%M") if entry.pref_earliest else None,
            "latest_time": entry.pref_latest.strftime("%H:%M") if entry.pref_latest else None,
            "staff": entry.pref_staff_id,
        }

    @extend_schema_field(
        OfferSerializer(allow_null=True, help_text="The held start while status is offered.")
    )
    def get_offer(self, entry) -> dict | None:
        if entry.status != WaitlistStatus.OFFERED or entry.offer is None:
            return None
        data = OfferSerializer(entry.offer).data
        data["expires_at"] = serializers.DateTimeField().to_representation(entry.offer_expires_at)
        return data


class WaitlistCreateSerializer(serializers.Serializer):
    patient = ScopedPrimaryKeyRelatedField(queryset=Patient.objects.select_related("clinic"))
    session_type = ScopedPrimaryKeyRelatedField(queryset=SessionType.objects.all())
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    preferences = PreferencesSerializer(required=False)
    planned_session = ScopedPrimaryKeyRelatedField(
        queryset=PlannedSession.objects.select_related("plan", "appointment"),
        required=False,
        allow_null=True,
    )
    urgent = serializers.BooleanField(required=False, default=False)
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class WaitlistQuerySerializer(serializers.Serializer):
    # Ids beyond a database integer are refused here, not overflowed in the query (a 500).
    clinic = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    status = serializers.ChoiceField(choices=WaitlistStatus.choices, required=False)
    patient = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


def entry_queryset():
    return WaitlistEntry.objects.select_related(
        "clinic", "patient", "session_type", "offer"
    ).order_by("-urgent", "created_at", "id")


class WaitlistViewSet(
    ClinicScopedViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Patients waiting for a start; freed matching starts are offered and held for them."""

    serializer_class = WaitlistEntrySerializer
    write_roles = BOOKING_ROLES
    action_roles = {"accept": BOOKING_ROLES, "decline": BOOKING_ROLES, "destroy": BOOKING_ROLES}
    filter_backends: list = []

    def base_queryset(self):
        entries = entry_queryset()
        if self.action != "list":
            # DELETE withdrew the entry: at its own URL it is gone (404), as a deleted
            # resource is; the row stays for the record and in ``?status=withdrawn``.
            entries = entries.exclude(status=WaitlistStatus.WITHDRAWN)
        return entries

    @extend_schema(parameters=[WaitlistQuerySerializer])
    def list(self, request, *args, **kwargs):
        query = input_validated(self, WaitlistQuerySerializer, request.query_params)
        queryset = self.get_queryset()
        for name, field in (
            ("clinic", "clinic_id"),
            ("status", "status"),
            ("patient", "patient_id"),
        ):
            if query.get(name) is not None:
                queryset = queryset.filter(**{field: query[name]})
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        request=WaitlistCreateSerializer,
        responses={
            201: WaitlistEntrySerializer,
            400: OpenApiResponse(ErrorSerializer, description="Invalid input, naming the field."),
        },
    )
    def create(self, request, *args, **kwargs):
        data = input_validated(self, WaitlistCreateSerializer, request.data)
        prefs = data.get("preferences", {})
        entry = waitlist_entry_add(
            actor=request.user,
            patient=data["patient"],
            session_type=data["session_type"],
            date_from=data["date_from"],
            date_to=data["date_to"],
            now=timezone.now(),
            planned_session=data.get("planned_session"),
            weekdays=prefs.get("weekdays"),
            earliest=prefs.get("earliest_time"),
            latest=prefs.get("latest_time"),
            staff=prefs.get("staff"),
            urgent=data["urgent"],
            notes=data["notes"],
        )
        fresh = entry_queryset().get(pk=entry.pk)
        return Response(WaitlistEntrySerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={201: AppointmentSerializer, 409: GONE})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Book the held start (staff accepting for the patient); 409 if the offer is gone."""
        entry = self.get_object()
        appointment = waitlist_offer_accept(actor=request.user, entry=entry, now=timezone.now())
        return Response(appointment_data(appointment), status=status.HTTP_201_CREATED)

    @extend_schema(request=DeclineSerializer, responses={200: WaitlistEntrySerializer, 409: GONE})
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """The patient does not want the held start: it passes on; the entry keeps waiting."""
        entry = self.get_object()
        data = input_validated(self, DeclineSerializer, request.data or {})
        offer_decline(actor=request.user, entry=entry, now=timezone.now(), reason=data["reason"])
        return Response(WaitlistEntrySerializer(entry_queryset().get(pk=entry.pk)).data)

    @extend_schema(
        responses={
            200: WaitlistEntrySerializer,
            409: OpenApiResponse(ErrorSerializer, description="Already booked, expired or out."),
        }
    )
    def destroy(self, request, pk=None):
        """Withdraw the entry (any held offer is released). Its URL then answers 404; the row
        stays for the record and is listed with ``?status=withdrawn``."""
        entry = self.get_object()
        waitlist_entry_withdraw(actor=request.user, entry=entry, now=timezone.now())
        return Response(WaitlistEntrySerializer(entry_queryset().get(pk=entry.pk)).data)

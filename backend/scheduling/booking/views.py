"""Appointment endpoints: thin views that validate, call one service, serialize."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.common.fields import local_iso
from backend.common.roles import BOOKING_ROLES
from backend.common.scoping import ClinicScopedViewMixin
from backend.common.serializers import input_validated
from backend.scheduling.booking.fetch import clinic_config
from backend.scheduling.booking.filters import AppointmentFilter
from backend.scheduling.booking.idempotency import IDEMPOTENCY_HEADER, idempotent
from backend.scheduling.booking.inputs import (
    availability_input_of,
    availability_input_parse,
    booking_input_of,
    booking_input_parse,
)
from backend.scheduling.booking.models import Appointment, AppointmentEvent
from backend.scheduling.booking.search import availability_search
from backend.scheduling.booking.serializers import (
    AppointmentCreateSerializer,
    AppointmentEventSerializer,
    AppointmentSerializer,
    AvailabilityQuerySerializer,
    CancelSerializer,
    SlotSerializer,
    appointment_booked_data,
)
from backend.scheduling.booking.services import Escort, appointment_book, appointment_cancel
from backend.scheduling.resources.access_log import PatientAccessLogMixin


def appointment_data(appointment: Appointment) -> dict:
    """Re-read with everything the serializer needs, in a fixed number of queries."""
    fresh = Appointment.objects.with_details().get(pk=appointment.pk)
    return AppointmentSerializer(fresh).data


# Reschedule (appointments/{id}/reschedule/) may move later sessions of the appointment's
# treatment plan, so the plans app serves it, routed beside these endpoints.
# Reading appointments (one, a list, a history) is recorded in the patient access log.
class AppointmentViewSet(
    PatientAccessLogMixin,
    ClinicScopedViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Appointment.objects.with_details()
    serializer_class = AppointmentSerializer
    filterset_class = AppointmentFilter
    ordering_fields = ["start", "id"]
    write_roles = BOOKING_ROLES
    action_roles = {"cancel": BOOKING_ROLES}
    access_log_actions = frozenset({"retrieve", "list", "history"})

    @extend_schema(
        request=AppointmentCreateSerializer,
        responses={201: AppointmentSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        # Plain parsing for a body the serializer accepts; the serializer answers any other.
        body = booking_input_parse(request.data, request=request, view=self)
        if body is None:
            body = booking_input_of(
                input_validated(self, AppointmentCreateSerializer, request.data)
            )
        appointment = appointment_book(
            actor=request.user,
            patient=body.patient,
            session_type=body.session_type,
            start=body.start,
            now=timezone.now(),
            staff=body.staff,
            room=body.room,
            seat=body.seat,
            escort=Escort(*body.escort) if body.escort is not None else None,
            notes=body.notes,
            authorization_override=body.authorization_override,
            video_link=body.video_link,
        )
        # The service hands back the new appointment with everything it shows attached.
        return Response(appointment_booked_data(appointment), status=status.HTTP_201_CREATED)

    @extend_schema(request=CancelSerializer, responses={200: AppointmentSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        appointment = self.get_object()
        data = input_validated(self, CancelSerializer, request.data)
        cancelled = appointment_cancel(
            actor=request.user,
            appointment=appointment,
            reason=data["reason"],
            now=timezone.now(),
        )
        return Response(appointment_data(cancelled))

    # Every event of one appointment, oldest first, in one answer (not paginated: an
    # appointment has a handful of events).
    @extend_schema(
        summary="The appointment's audit trail",
        description="Every change to the appointment, oldest first, in one answer.",
        filters=False,
        responses={
            200: inline_serializer(
                "AppointmentHistory",
                {
                    "appointment": serializers.IntegerField(),
                    "events": AppointmentEventSerializer(many=True),
                },
            )
        },
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request, pk=None):
        appointment = self.get_object()
        events = AppointmentEvent.objects.filter(appointment=appointment).select_related("actor")
        with timezone.override(appointment.clinic.zone):
            data = AppointmentEventSerializer(events, many=True).data
        return Response({"appointment": appointment.id, "events": data})


class AvailabilityView(APIView):
    """Free starts for a session type, first fit per start (seat, recovery seat, staff)."""

    @extend_schema(
        parameters=[AvailabilityQuerySerializer],
        responses={
            200: inline_serializer(
                "Availability",
                {"slots": SlotSerializer(many=True), "timezone": serializers.CharField()},
            )
        },
    )
    def get(self, request):
        # Plain parsing for a query the serializer accepts; the serializer answers any other.
        query = availability_input_parse(request.query_params, request=request, view=self)
        if query is None:
            query = availability_input_of(
                input_validated(self, AvailabilityQuerySerializer, request.query_params)
            )
        result = availability_search(
            session_type=query.session_type,
            date_from=query.date_from,
            date_to=query.date_to,
            now=timezone.now(),
            clinic_id=query.clinic.id if query.clinic else None,
            patient=query.patient,
            staff=query.staff,
            room=query.room,
            step_minutes=query.step,
            earliest=query.earliest_time,
            latest=query.latest_time,
        )
        zone = result.clinic.zone
        # Room names from the clinic's cached setup, where every offered seat comes from.
        rooms = {seat.room_id: seat.room.name for seat in clinic_config(result.clinic).seats}
        slots = []
        for p in result.slots:
            slots.append(
                {
                    "start": local_iso(p.start, zone),
                    "end": local_iso(p.end, zone),
                    "recovery_end": local_iso(p.recovery_end, zone),
                    "room": p.seat.room_id if p.seat else None,
                    "room_name": rooms[p.seat.room_id] if p.seat else None,
                    "seat": p.seat.seat_id if p.seat else None,
                    "seat_label": p.seat.label if p.seat else None,
                    "recovery_seat": p.recovery_seat.seat_id if p.recovery_seat else None,
                    "staff": p.staff.staff_id if p.staff else None,
                    "staff_name": p.staff.name if p.staff else None,
                }
            )
        return Response({"timezone": result.clinic.timezone, "slots": slots})

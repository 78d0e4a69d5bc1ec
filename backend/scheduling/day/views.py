"""Day-of-treatment endpoints: the steps on an appointment, the front-desk board, unconfirmed
rides and REMS paperwork. Thin views: validate, call one service, serialize.

Who may do what (``DAY_ACTION_ROLES``): the front desk, clinicians and managers check
patients in, mark no-shows and change escorts; only clinicians start sessions, move them to
recovery and discharge, and only clinicians file REMS forms. Any role reads.
"""

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.common.fields import local_iso
from backend.common.roles import DAY_ACTION_ROLES, REMS_FILE_ROLES
from backend.common.scoping import ClinicScopedViewMixin
from backend.common.serializers import ErrorSerializer, input_validated
from backend.scheduling.booking.models import Appointment
from backend.scheduling.day.models import RemsForm
from backend.scheduling.day.rems import rems_due_queryset, rems_form_file
from backend.scheduling.day.rules import DischargeChecks
from backend.scheduling.day.serializers import (
    BoardEntrySerializer,
    BoardSerializer,
    DayAppointmentSerializer,
    DayQuerySerializer,
    DischargeSerializer,
    EscortUpdateSerializer,
    RemsDueQuerySerializer,
    RemsFileSerializer,
    RemsFormSerializer,
    RideEntrySerializer,
    RidesQuerySerializer,
    RidesSerializer,
    StepSerializer,
)
from backend.scheduling.day.services import (
    appointment_check_in,
    appointment_discharge,
    appointment_escort_update,
    appointment_no_show,
    appointment_recover,
    appointment_start,
    board_monitoring_alerts,
    clinic_today,
    day_board_fetch,
    rides_unconfirmed_fetch,
)

WRONG_STATE = OpenApiResponse(
    ErrorSerializer, description="The appointment's current state (named) forbids this step."
)
BAD_INPUT = OpenApiResponse(ErrorSerializer, description="Invalid input, naming the field.")


def day_appointment_data(appointment: Appointment) -> dict:
    """Re-read with everything the day shape needs, in a fixed number of queries."""
    fresh = (
        Appointment.objects.with_details()
        .select_related("discharge__clinician", "ride_confirmation", "rems_form__filed_by")
        .get(pk=appointment.pk)
    )
    return DayAppointmentSerializer(fresh).data


def _step_schema(summary: str, request=StepSerializer, extra=None):
    responses = {200: DayAppointmentSerializer, 409: WRONG_STATE, 400: BAD_INPUT}
    responses.update(extra or {})
    return extend_schema(summary=summary, request=request, responses=responses)


# Steps of the day of treatment on appointments/{id}/<step>/, routed beside booking's
# appointment endpoints; each answers the appointment after the step. A comment, not a
# docstring: the schema generator would show a class docstring on every step.
class AppointmentDayViewSet(ClinicScopedViewMixin, viewsets.GenericViewSet):
    queryset = Appointment.objects.with_details()
    serializer_class = DayAppointmentSerializer
    action_roles = DAY_ACTION_ROLES
    filter_backends: list = []
    pagination_class = None

    def _step(self, request, service, **kwargs):
        appointment = self.get_object()
        data = input_validated(self, StepSerializer, request.data)
        done = service(
            actor=request.user,
            appointment=appointment,
            now=timezone.now(),
            note=data["note"],
            **kwargs,
        )
        return Response(day_appointment_data(done))

    @_step_schema("Check the patient in (booked -> checked_in)")
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, pk=None):
        """The patient has arrived. Front desk, clinicians and managers."""
        return self._step(request, appointment_check_in)

    @_step_schema("Start the session: first dose, monitoring starts (checked_in -> in_session)")
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        """The first dose is given: monitoring time counts from now. Clinicians only."""
        return self._step(request, appointment_start)

    @_step_schema("End the in-room part: monitored recovery (in_session -> recovering)")
    @action(detail=True, methods=["post"])
    def recover(self, request, pk=None):
        """The in-room part is over; monitored recovery goes on. Clinicians only."""
        return self._step(request, appointment_recover)

    @_step_schema("Mark a no-show once the start has passed (booked -> no_show); frees the seats")
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request, pk=None):
        """The patient did not come: frees seats and staff (lost capacity), raises `sequence`."""
        return self._step(request, appointment_no_show)

    @_step_schema(
        "Discharge after monitored recovery (in_session or recovering -> discharged)",
        request=DischargeSerializer,
        extra={
            409: OpenApiResponse(
                ErrorSerializer,
                description="Wrong state, or before the minimum monitoring time without an "
                "override_reason (the body gives earliest_discharge).",
            )
        },
    )
    @action(detail=True, methods=["post"])
    def discharge(self, request, pk=None):
        """A clinician discharges the patient, recording the checks they confirmed.

        Refused (400) with a failed check, a score under the clinic's pass mark or, when an
        escort is required, nobody to collect the patient; refused (409) before the minimum
        monitoring time unless `override_reason` is given. Opens the REMS form when the
        session type needs one. Clinicians only."""
        appointment = self.get_object()
        data = input_validated(self, DischargeSerializer, request.data)
        done = appointment_discharge(
            actor=request.user,
            appointment=appointment,
            checks=DischargeChecks(
                vitals_stable=data["vitals_stable"],
                alert_and_oriented=data["alert_and_oriented"],
                score=data["score"],
                collected_by=data["collected_by"],
                override_reason=data["override_reason"],
            ),
            now=timezone.now(),
            notes=data["notes"],
        )
        return Response(day_appointment_data(done))

    @_step_schema("Set the escort who collects the patient", request=EscortUpdateSerializer)
    @action(detail=True, methods=["patch"])
    def escort(self, request, pk=None):
        """Set who collects the patient; only the keys sent change."""
        appointment = self.get_object()
        data = input_validated(self, EscortUpdateSerializer, request.data)
        done = appointment_escort_update(
            actor=request.user,
            appointment=appointment,
            now=timezone.now(),
            name=data.get("name"),
            phone=data.get("phone"),
        )
        return Response(day_appointment_data(done))


class BoardView(APIView):
    """The front desk's day: every appointment with its state, place, escort and flags."""

    @extend_schema(
        summary="Front-desk board of one clinic-local day",
        parameters=[DayQuerySerializer],
        responses={200: BoardSerializer, 400: BAD_INPUT},
    )
    def get(self, request):
        valid = input_validated(self, DayQuerySerializer, request.query_params)
        clinic = valid["clinic"]
        now = timezone.now()
        day = valid.get("date") or clinic_today(clinic, now)
        entries = day_board_fetch(clinic=clinic, day=day, now=now)
        alerts = board_monitoring_alerts(clinic=clinic, day=day, now=now, entries=entries)
        zone = clinic.zone
        return Response(
            {
                "clinic": clinic.id,
                "date": day.isoformat(),
                "timezone": clinic.timezone,
                "now": local_iso(now, zone),
                "appointments": BoardEntrySerializer(entries, many=True).data,
                "monitoring_alerts": [
                    {
                        "start": local_iso(a.start, zone),
                        "end": local_iso(a.end, zone),
                        "recovering": a.recovering,
                        "monitors": a.monitors,
                        "recovering_per_monitor": a.ratio,
                    }
                    for a in alerts
                ],
            }
        )


class RidesView(APIView):
    """Rides home still unconfirmed on a day (tomorrow by default), for the front desk to call."""

    @extend_schema(
        summary="Unconfirmed rides of one clinic-local day (default: tomorrow)",
        parameters=[RidesQuerySerializer],
        responses={200: RidesSerializer, 400: BAD_INPUT},
    )
    def get(self, request):
        valid = input_validated(self, RidesQuerySerializer, request.query_params)
        clinic = valid["clinic"]
        day = valid.get("date") or clinic_today(clinic, timezone.now()) + timedelta(days=1)
        rides = rides_unconfirmed_fetch(clinic=clinic, day=day)
        return Response(
            {
                "clinic": clinic.id,
                "date": day.isoformat(),
                "timezone": clinic.timezone,
                "rides": RideEntrySerializer(rides, many=True).data,
            }
        )


class RemsFormViewSet(ClinicScopedViewMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """REMS patient monitoring forms: what is due, and filing them (clinicians)."""

    queryset = RemsForm.objects.select_related(
        "appointment__clinic", "appointment__patient", "appointment__session_type", "filed_by"
    )
    serializer_class = RemsFormSerializer
    action_roles = {"file": REMS_FILE_ROLES}
    filter_backends: list = []

    @extend_schema(
        summary="Unfiled REMS forms of a clinic, soonest deadline first",
        parameters=[RemsDueQuerySerializer],
        responses={200: RemsFormSerializer(many=True), 400: BAD_INPUT},
    )
    @action(detail=False, methods=["get"])
    def due(self, request):
        valid = input_validated(self, RemsDueQuerySerializer, request.query_params)
        clinic = valid["clinic"]
        today = clinic_today(clinic, timezone.now())
        overdue = valid.get("overdue")
        forms = rems_due_queryset(clinic=clinic, overdue_on=today if overdue else None)
        if overdue is False:
            forms = forms.filter(due_on__gte=today)
        page = self.paginate_queryset(forms)
        data = RemsFormSerializer(page, many=True, context={"today": today}).data
        return self.get_paginated_response(data)

    def retrieve(self, request, *args, **kwargs):
        form = self.get_object()
        today = clinic_today(form.appointment.clinic, timezone.now())
        return Response(RemsFormSerializer(form, context={"today": today}).data)

    @extend_schema(
        summary="Mark a REMS form filed (once)",
        request=RemsFileSerializer,
        responses={
            200: RemsFormSerializer,
            409: OpenApiResponse(ErrorSerializer, description="Already filed."),
        },
    )
    @action(detail=True, methods=["post"])
    def file(self, request, pk=None):
        form = self.get_object()
        valid = input_validated(self, RemsFileSerializer, request.data)
        now = timezone.now()
        filed = rems_form_file(actor=request.user, form=form, now=now, reference=valid["reference"])
        fresh = self.get_queryset().get(pk=filed.pk)
        today = clinic_today(fresh.appointment.clinic, now)
        return Response(RemsFormSerializer(fresh, context={"today": today}).data)

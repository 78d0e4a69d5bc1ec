"""Plan endpoints, and an appointment's reschedule: thin views over backend.plans.services."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response

from backend.common.errors import Conflict
from backend.common.fields import local_iso
from backend.common.roles import BOOKING_ROLES, Role
from backend.common.scoping import ClinicScopedViewMixin, access_of
from backend.common.serializers import ErrorSerializer, input_validated
from backend.plans.api.serializers import (
    BuiltinCopySerializer,
    PlanBookSerializer,
    PlanCancelSerializer,
    PlanCreateSerializer,
    PlanExtendSerializer,
    PlanSerializer,
    PlanTemplateSerializer,
    PreviewSerializer,
    RescheduleResultSerializer,
    RescheduleSerializer,
    plan_queryset,
)
from backend.plans.models import PlanTemplate
from backend.plans.services.plans import (
    PlanBooking,
    PlanPreview,
    plan_book,
    plan_cancel,
    plan_create,
    plan_extend,
    plan_preview,
)
from backend.plans.services.reschedule import plan_session_reschedule
from backend.plans.services.templates import plan_template_copy
from backend.scheduling.booking.idempotency import IDEMPOTENCY_HEADER, idempotent
from backend.scheduling.booking.models import Appointment
from backend.scheduling.booking.serializers import AppointmentSerializer
from backend.scheduling.resources.access_log import PatientAccessLogMixin
from backend.scheduling.resources.models import Room

BookingResult = inline_serializer(
    "PlanBooking",
    {"plan": PlanSerializer(), "appointments": AppointmentSerializer(many=True)},
)


RESPONSES_TEMPLATE_EDIT = {
    200: PlanTemplateSerializer,
    201: OpenApiResponse(
        PlanTemplateSerializer,
        description="A built-in template was edited: this is the clinic's new copy.",
    ),
    400: OpenApiResponse(ErrorSerializer, description="Invalid input, naming the field."),
    403: OpenApiResponse(ErrorSerializer, description="Not a manager of the clinic."),
    404: OpenApiResponse(ErrorSerializer, description="No such template or clinic."),
    409: OpenApiResponse(ErrorSerializer, description="The clinic has its own copy already."),
}


class PlanTemplateViewSet(ClinicScopedViewMixin, viewsets.ModelViewSet):
    """Protocols as data. Managers edit; every role reads.

    The built-in templates are shared by every clinic: a manager's edit of one makes their
    clinic's own copy (201, the copy), and the other clinics keep the built-in.
    """

    serializer_class = PlanTemplateSerializer
    filterset_fields = ["slug", "active"]
    builtin_edits_copy = True

    @extend_schema(responses=RESPONSES_TEMPLATE_EDIT)
    def update(self, request, *args, **kwargs):
        template = self.get_object()
        if template.clinic_id is not None or access_of(request.user).is_superuser:
            return super().update(request, *args, **kwargs)
        with transaction.atomic():
            target = BuiltinCopySerializer(data=request.data, context=self.get_serializer_context())
            target.is_valid(raise_exception=True)
            copy = plan_template_copy(template=template, clinic=target.validated_data["clinic"])
            form = self.get_serializer(
                copy, data=request.data, partial=kwargs.get("partial", False)
            )
            form.is_valid(raise_exception=True)
            form.save()
        return Response(form.data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=RESPONSES_TEMPLATE_EDIT)
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    @extend_schema(
        responses={
            204: None,
            409: OpenApiResponse(
                ErrorSerializer,
                description="A built-in template, or one that plans still use: set "
                '"active" to false to retire it instead.',
            ),
        }
    )
    def destroy(self, request, *args, **kwargs):
        # Built-ins are refused before the role check, which would otherwise answer 403
        # as if another role could: nobody deletes them (a plan in use is the handler's
        # 409, backend.common.errors).
        template = get_object_or_404(self.filter_queryset(self.get_queryset()), **kwargs)
        if template.clinic_id is None:
            raise Conflict(
                f"{template.name} is a built-in template: it cannot be deleted. To stop "
                'offering it, edit it with "active" false (that makes your clinic\'s copy).',
                conflicts=[{"model": "plantemplate", "builtin": True}],
            )
        return super().destroy(request, *args, **kwargs)

    def base_queryset(self):
        queryset = PlanTemplate.objects.prefetch_related("phases")
        clinic = self.request.query_params.get("clinic")
        if clinic and clinic.isdigit():
            queryset = queryset.filter(Q(clinic_id=int(clinic)) | Q(clinic=None))
        return queryset


def preview_data(preview: PlanPreview) -> dict:
    plan, world = preview.plan, preview.world
    zone = world.clinic.zone
    names = {p.key: p.name for p in world.template.phases.all()}
    room_ids = {s.placement.seat.room_id for s in preview.slots if s.placement and s.placement.seat}
    rooms = dict(Room.objects.filter(id__in=room_ids).values_list("id", "name"))
    sessions, unplaced = [], []
    for slot in preview.slots:
        booked = preview.fixed.get(slot.ordinal) if slot.fixed else None
        if booked is not None:
            start, end, recovery_end = booked.start, booked.end, booked.recovery_end
            room, seat = booked.room_id, booked.seat_id
            room_name = booked.room.name if booked.room else None
            staff = booked.staff_id
            staff_name = booked.staff.name if booked.staff else None
        elif slot.placement is not None:
            p = slot.placement
            start, end, recovery_end = p.start, p.end, p.recovery_end
            room = p.seat.room_id if p.seat else None  # None: a video visit
            seat = p.seat.seat_id if p.seat else None
            room_name = rooms.get(room, "") if p.seat else None
            staff = p.staff.staff_id if p.staff else None
            staff_name = p.staff.name if p.staff else None
        else:
            unplaced.append(
                {"ordinal": slot.ordinal, "phase": slot.phase_key, "reason": slot.reason}
            )
            continue
        local_start = start.astimezone(zone)
        sessions.append(
            {
                "ordinal": slot.ordinal,
                "phase": slot.phase_key,
                "phase_name": names.get(slot.phase_key, slot.phase_key),
                "session_type": slot.session_type_id,
                "start": local_iso(local_start, zone),
                "end": local_iso(end, zone),
                "recovery_end": local_iso(recovery_end, zone),
                "room": room,
                "room_name": room_name,
                "seat": seat,
                "staff": staff,
                "staff_name": staff_name,
                "week": (local_start.date() - plan.start_date).days // 7 + 1,
                "booked": booked is not None,
                "appointment": booked.id if booked is not None else None,
                "authorization": _cover_data(preview.coverage.get(slot.ordinal)),
            }
        )
    return {
        "plan": plan.id,
        "timezone": world.clinic.timezone,
        "sessions": sessions,
        "unplaced": unplaced,
        "eligibility": preview.eligibility,
    }


def _cover_data(cover) -> dict:
    if cover is None:
        return {"id": None, "covered": True}
    return {"id": cover.authorization_id, "covered": cover.covered}


def booking_data(booking: PlanBooking) -> dict:
    plan = plan_queryset().get(pk=booking.plan.pk)
    appointments = Appointment.objects.with_details().filter(
        pk__in=[a.pk for a in booking.appointments]
    )
    return {
        "plan": PlanSerializer(plan).data,
        "appointments": AppointmentSerializer(appointments, many=True).data,
    }


def _pins(request, view) -> dict:
    data = input_validated(view, PlanBookSerializer, request.data or {})
    return {pin["ordinal"]: pin["start"] for pin in data.get("sessions", [])}


# Reading a course (one, or a list) is recorded in the patient access log.
class PlanViewSet(
    PatientAccessLogMixin,
    ClinicScopedViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = PlanSerializer
    filterset_fields = ["patient", "status", "clinic", "template"]
    write_roles = BOOKING_ROLES
    action_roles = {
        "preview": Role.ALL,
        "book": BOOKING_ROLES,
        "cancel": BOOKING_ROLES,
        "extend": BOOKING_ROLES,
    }

    def base_queryset(self):
        return plan_queryset()

    @extend_schema(request=PlanCreateSerializer, responses={201: PlanSerializer})
    def create(self, request, *args, **kwargs):
        data = input_validated(self, PlanCreateSerializer, request.data)
        prefs = data.get("preferences", {})
        plan = plan_create(
            actor=request.user,
            patient=data["patient"],
            template=data["template"],
            start_date=data["start_date"],
            now=timezone.now(),
            weekdays=prefs.get("weekdays"),
            earliest=prefs.get("earliest_time"),
            latest=prefs.get("latest_time"),
            staff=prefs.get("staff"),
            notes=data.get("notes", ""),
        )
        return Response(
            PlanSerializer(self.get_queryset().get(pk=plan.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=PlanBookSerializer, responses={200: PreviewSerializer})
    @action(detail=True, methods=["post"])
    def preview(self, request, pk=None):
        """The course as it would be booked now; writes nothing. Pins may be tried."""
        plan = self.get_object()
        preview = plan_preview(plan=plan, now=timezone.now(), pins=_pins(request, self))
        return Response(preview_data(preview))

    @extend_schema(
        request=PlanBookSerializer,
        responses={201: BookingResult},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def book(self, request, pk=None):
        """Book every session not booked yet, all or nothing (409 lists what no longer fits)."""
        plan = self.get_object()
        data = input_validated(self, PlanBookSerializer, request.data or {})
        booking = plan_book(
            actor=request.user,
            plan=plan,
            now=timezone.now(),
            pins={pin["ordinal"]: pin["start"] for pin in data.get("sessions", [])},
            authorization=data["authorization"],
        )
        return Response(booking_data(booking), status=status.HTTP_201_CREATED)

    @extend_schema(request=PlanCancelSerializer, responses={200: PlanSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel the plan and every appointment of it that has not started."""
        plan = self.get_object()
        valid = input_validated(self, PlanCancelSerializer, request.data)
        plan_cancel(actor=request.user, plan=plan, reason=valid["reason"], now=timezone.now())
        return Response(PlanSerializer(self.get_queryset().get(pk=plan.pk)).data)

    @extend_schema(
        request=PlanExtendSerializer,
        responses={201: BookingResult},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def extend(self, request, pk=None):
        """Book the open-ended phase (maintenance) further ahead by some weeks."""
        plan = self.get_object()
        data = input_validated(self, PlanExtendSerializer, request.data)
        booking = plan_extend(
            actor=request.user,
            plan=plan,
            weeks=data["weeks"],
            now=timezone.now(),
            authorization=data["authorization"],
        )
        return Response(booking_data(booking), status=status.HTTP_201_CREATED)


# Reschedule on appointments/{id}/reschedule/, routed beside scheduling's appointment
# endpoints: with ``cascade`` the later sessions of the appointment's plan move too, and
# plans, which depends on scheduling, is the layer that can coordinate both. A comment, not
# a docstring: the schema generator would show a class docstring as the description.
class AppointmentRescheduleViewSet(ClinicScopedViewMixin, viewsets.GenericViewSet):
    queryset = Appointment.objects.with_details()
    serializer_class = RescheduleResultSerializer
    action_roles = {"reschedule": BOOKING_ROLES}
    filter_backends: list = []
    pagination_class = None

    @extend_schema(
        request=RescheduleSerializer,
        responses={200: RescheduleResultSerializer},
        parameters=[IDEMPOTENCY_HEADER],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def reschedule(self, request, pk=None):
        appointment = self.get_object()
        data = input_validated(self, RescheduleSerializer, request.data)
        moved, cascaded = plan_session_reschedule(
            actor=request.user,
            appointment=appointment,
            start=data["start"],
            now=timezone.now(),
            staff=data.get("staff"),
            room=data.get("room"),
            cascade=data["cascade"],
            dry_run=data["dry_run"],
        )
        if data["dry_run"]:
            # Nothing was written: render the objects as computed, not as re-read.
            context = {"moved": cascaded, "dry_run": True}
            return Response(RescheduleResultSerializer(moved, context=context).data)
        fresh = Appointment.objects.with_details().get(pk=moved.pk)
        others = Appointment.objects.with_details().filter(pk__in=[a.pk for a in cascaded])
        return Response(RescheduleResultSerializer(fresh, context={"moved": list(others)}).data)

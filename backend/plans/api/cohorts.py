"""``cohorts/``: create a group template's series, read it with its roster, enrol all or
nothing. Thin views over ``plans.services.cohorts``."""

from django.db.models import F, Q
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from backend.common.roles import BOOKING_ROLES
from backend.common.scoping import ClinicScopedViewMixin
from backend.common.serializers import (
    ErrorSerializer,
    ScopedPrimaryKeyRelatedField,
    id_or_none,
    input_validated,
)
from backend.plans.api.serializers import TemplateRefField
from backend.plans.models import Cohort, PlanTemplate
from backend.plans.services.cohorts import (
    DEFAULT_START,
    cohort_create,
    cohort_enroll,
    cohort_roster,
    cohort_session_reschedule,
)
from backend.scheduling.booking.idempotency import IDEMPOTENCY_HEADER, idempotent
from backend.scheduling.booking.models import Appointment
from backend.scheduling.booking.serializers import AppointmentSerializer
from backend.scheduling.groups.models import GroupSession
from backend.scheduling.groups.serializers import (
    EnrollSerializer,
    GroupSessionRescheduleSerializer,
    GroupSessionSerializer,
)
from backend.scheduling.groups.services import group_sessions_view
from backend.scheduling.resources.models import Clinic, Room, Staff

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Invalid input, naming the field."),
    403: OpenApiResponse(ErrorSerializer, description="Your role may not do this."),
    404: OpenApiResponse(ErrorSerializer, description="No such cohort (or reference)."),
    409: OpenApiResponse(ErrorSerializer, description="A session cannot be placed or booked."),
}


class CohortTemplateRefField(TemplateRefField):
    """A template by slug (the named clinic's own copy first, then the built-in) or id."""

    def to_internal_value(self, data):
        if isinstance(data, str) and not data.isdigit() and data:
            clinic_id = id_or_none(self.parent.initial_data.get("clinic") if self.parent else None)
            visible = PlanTemplate.objects.for_user(self.context["request"].user)
            found = (
                visible.filter(
                    Q(clinic_id=clinic_id) | Q(clinic=None),
                    slug=data,
                )
                .order_by(F("clinic_id").asc(nulls_last=True))
                .first()
            )
            if found is None:
                self.fail("unknown", value=data)
            return found
        return super().to_internal_value(data)


class CohortCreateSerializer(serializers.Serializer):
    template = CohortTemplateRefField()
    clinic = ScopedPrimaryKeyRelatedField(queryset=Clinic.objects.all())
    start_date = serializers.DateField()
    start_time = serializers.TimeField(
        required=False, default=DEFAULT_START, help_text="Local start of every session."
    )
    room = ScopedPrimaryKeyRelatedField(queryset=Room.objects.all())
    staff = ScopedPrimaryKeyRelatedField(queryset=Staff.objects.all(), many=True)


class RosterEntrySerializer(serializers.Serializer):
    patient = serializers.IntegerField()
    patient_name = serializers.CharField()
    attendance = serializers.DictField(
        child=serializers.CharField(), help_text="Group session id -> appointment status."
    )


class CohortSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    clinic = serializers.IntegerField(source="clinic_id")
    template = serializers.CharField(source="template.slug")
    start_date = serializers.DateField()
    room = serializers.IntegerField(source="room_id")
    group_sessions = serializers.SerializerMethodField()
    roster = serializers.SerializerMethodField()

    @extend_schema_field(GroupSessionSerializer(many=True))
    def get_group_sessions(self, cohort) -> list:
        groups = _groups(cohort)
        return GroupSessionSerializer(group_sessions_view(groups), many=True).data

    @extend_schema_field(RosterEntrySerializer(many=True))
    def get_roster(self, cohort) -> list:
        return cohort_roster(cohort)


def _groups(cohort: Cohort) -> list[GroupSession]:
    return list(
        GroupSession.objects.filter(cohort_session__cohort=cohort)
        .select_related("clinic", "session_type", "room")
        .prefetch_related("room__seats", "staff")
        .order_by("start", "id")
    )


class CohortViewSet(ClinicScopedViewMixin, viewsets.GenericViewSet):
    queryset = Cohort.objects.select_related("clinic", "template", "room")
    serializer_class = CohortSerializer
    write_roles = BOOKING_ROLES
    action_roles = {"enroll": BOOKING_ROLES}
    filter_backends: list = []

    @extend_schema(
        summary="Cohorts of the caller's clinics", responses={200: CohortSerializer(many=True)}
    )
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset().order_by("-start_date", "-id"))
        return self.get_paginated_response(CohortSerializer(page, many=True).data)

    @extend_schema(
        summary="One cohort, its group sessions and roster",
        responses={200: CohortSerializer, 404: ERRORS[404]},
    )
    def retrieve(self, request, pk=None):
        return Response(CohortSerializer(self.get_object()).data)

    @extend_schema(
        summary="Create a cohort: the whole series of group sessions from a start date",
        request=CohortCreateSerializer,
        responses={201: CohortSerializer, **ERRORS},
    )
    def create(self, request):
        data = input_validated(self, CohortCreateSerializer, request.data)
        cohort = cohort_create(
            actor=request.user,
            template=data["template"],
            clinic=data["clinic"],
            start_date=data["start_date"],
            room=data["room"],
            staff=list(data["staff"]),
            start_time=data["start_time"],
            now=timezone.now(),
        )
        fresh = self.get_queryset().get(pk=cohort.pk)
        return Response(CohortSerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Enrol a patient in every session of the cohort, all or nothing",
        request=EnrollSerializer,
        responses={
            201: inline_serializer(
                "CohortEnrolment", {"appointments": AppointmentSerializer(many=True)}
            ),
            **ERRORS,
        },
        parameters=[IDEMPOTENCY_HEADER],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def enroll(self, request, pk=None):
        cohort = self.get_object()
        data = input_validated(self, EnrollSerializer, request.data)
        appointments = cohort_enroll(
            actor=request.user, cohort=cohort, patient=data["patient"], now=timezone.now()
        )
        fresh = Appointment.objects.with_details().filter(pk__in=[a.pk for a in appointments])
        return Response(
            {"appointments": AppointmentSerializer(fresh.order_by("start"), many=True).data},
            status=status.HTTP_201_CREATED,
        )


RESCHEDULE_DESCRIPTION = """\
Move the group session to a new start (optionally another room of its kind, other
facilitators), and every booked place in it with it, all or nothing. The same checks as
scheduling the session and enrolling each patient: opening hours, closures and the past
(400 naming `start`); facilitators working and free, a prescriber on site when the type
needs one, a seat and recovery for every participant, each participant free, and the
monitoring ratio with all of them recovering together (409 naming each clash, with the
participant's `appointment` id where it is theirs). Refused once any participant has
checked in. Each moved appointment gets an audit entry and an `appointment.rescheduled`
event, as a single move does.

A session of a cohort moves only within the cohort's cadence: a new date that breaks
the gap to the session before or after it (as the cohort's template sets it) is a 409
of kind `cadence`. The other sessions of the cohort do not move.
"""


class GroupSessionRescheduleViewSet(ClinicScopedViewMixin, viewsets.GenericViewSet):
    """``group-sessions/{id}/reschedule/``: served by plans, which keeps a cohort's cadence."""

    queryset = GroupSession.objects.select_related(
        "clinic", "session_type", "room"
    ).prefetch_related("room__seats", "staff")
    serializer_class = GroupSessionSerializer
    action_roles = {"reschedule": BOOKING_ROLES}
    filter_backends: list = []
    pagination_class = None

    @extend_schema(
        summary="Move a group session with everyone in it",
        description=RESCHEDULE_DESCRIPTION,
        request=GroupSessionRescheduleSerializer,
        responses={
            200: GroupSessionSerializer,
            **ERRORS,
            404: OpenApiResponse(
                ErrorSerializer, description="No such group session (or reference)."
            ),
            409: OpenApiResponse(
                ErrorSerializer,
                description="A clash (facilitator, seat, monitoring, prescriber, patient), "
                "the cohort's cadence, too few places, a participant checked in, or cancelled.",
            ),
        },
        parameters=[IDEMPOTENCY_HEADER],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def reschedule(self, request, pk=None):
        group = self.get_object()
        data = input_validated(self, GroupSessionRescheduleSerializer, request.data)
        moved = cohort_session_reschedule(
            actor=request.user,
            group=group,
            start=data["start"],
            now=timezone.now(),
            room=data.get("room"),
            staff=data.get("staff"),
        )
        fresh = self.get_queryset().get(pk=moved.group.pk)
        return Response(GroupSessionSerializer(group_sessions_view([fresh])[0]).data)

"""Feed endpoints, routed beside the resource and appointment endpoints they extend.

``POST {patients,rooms,staff}/{id}/feed/`` issues a new feed URL and revokes the previous
one; ``DELETE`` on the same path revokes it. ``GET appointments/{id}/ics/`` downloads one
appointment as the patient sees it, to attach to an email.

Who may manage feeds: the front desk and managers for patients, managers for rooms and
staff, and every staff member for their own feed (a nurse putting their schedule on their
phone needs nobody's help).
"""

import json
from typing import ClassVar

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import BasePermission
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from backend.common.permissions import user_roles
from backend.common.roles import PATIENT_FEED_ROLES, ROOM_FEED_ROLES, STAFF_FEED_ROLES
from backend.common.scoping import ClinicScopedViewMixin
from backend.scheduling.booking.models import Appointment
from backend.scheduling.feeds.links import feed_links_for
from backend.scheduling.feeds.serializers import FeedLinksSerializer
from backend.scheduling.feeds.services import (
    appointment_ics,
    feed_name,
    feed_token_issue,
    feed_token_revoke,
)
from backend.scheduling.resources.models import Patient, Room, Staff

CALENDAR_TYPE = "text/calendar; charset=utf-8"


class FeedPermission(BasePermission):
    """The view's ``feed_roles`` may manage any owner's feed; with ``feed_self_service``
    a user may also manage the feed of the owner linked to their account."""

    message = "Your role does not allow managing this calendar feed."

    def _by_role(self, request, view) -> bool:
        return bool(user_roles(request.user) & set(view.feed_roles))

    def has_permission(self, request, view) -> bool:
        if not user_roles(request.user):
            return False
        return self._by_role(request, view) or view.feed_self_service

    def has_object_permission(self, request, view, obj) -> bool:
        if self._by_role(request, view):
            return True
        owner_user_id = getattr(obj, "user_id", None)
        return (
            view.feed_self_service
            and owner_user_id is not None
            and (owner_user_id == request.user.id)
        )


class FeedActions:
    feed_roles: ClassVar[tuple[str, ...]] = ()
    feed_self_service: ClassVar[bool] = False

    @extend_schema(
        methods=["POST"],
        request=None,
        responses={201: FeedLinksSerializer},
        summary="Issue a calendar feed URL (the previous URL stops working)",
        description="The token in the URL is the only key to the feed and is shown only "
        "in this response. Issuing again revokes the previous URL.",
    )
    @extend_schema(
        methods=["DELETE"],
        request=None,
        responses={204: OpenApiResponse(description="Revoked: the feed URL answers 404.")},
        summary="Revoke the calendar feed URL",
        description="The feed URL and its subscribe page answer 404 from now on. Succeeds "
        "(204) also when no URL is live.",
    )
    @action(
        detail=True,
        methods=["post", "delete"],
        url_path="feed",
        url_name="feed",
        permission_classes=[FeedPermission],
    )
    def feed(self, request, pk=None):
        owner = self.get_object()
        if request.method == "DELETE":
            feed_token_revoke(owner=owner, actor=request.user, now=timezone.now())
            return Response(status=status.HTTP_204_NO_CONTENT)
        _, raw = feed_token_issue(owner=owner, actor=request.user, now=timezone.now())
        links = feed_links_for(request, raw, name=feed_name(owner))
        data = FeedLinksSerializer(
            {
                "url": links.url,
                "webcal_url": links.webcal_url,
                "subscribe_page": links.subscribe_page,
            }
        ).data
        # The body holds a credential: no cache may keep it.
        return Response(data, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})


class PatientFeedViewSet(ClinicScopedViewMixin, FeedActions, viewsets.GenericViewSet):
    queryset = Patient.objects.all()
    feed_roles = PATIENT_FEED_ROLES


class RoomFeedViewSet(ClinicScopedViewMixin, FeedActions, viewsets.GenericViewSet):
    queryset = Room.objects.all()
    feed_roles = ROOM_FEED_ROLES


class StaffFeedViewSet(ClinicScopedViewMixin, FeedActions, viewsets.GenericViewSet):
    queryset = Staff.objects.all()
    feed_roles = STAFF_FEED_ROLES
    feed_self_service = True


class ICalendarRenderer(BaseRenderer):
    """Lets a client ask for ``Accept: text/calendar``; errors still come out as JSON."""

    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        if isinstance(data, bytes):
            return data
        return json.dumps(data).encode()


class AppointmentIcsViewSet(ClinicScopedViewMixin, viewsets.GenericViewSet):
    queryset = Appointment.objects.with_details()

    @extend_schema(
        responses={(200, "text/calendar"): OpenApiTypes.BINARY},
        summary="Download one appointment as an .ics file",
        description="The event exactly as the patient's feed shows it (same UID, generic "
        "title, instructions, reminders), for attaching to an email.",
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="ics",
        url_name="ics",
        renderer_classes=[JSONRenderer, ICalendarRenderer],
    )
    def ics(self, request, pk=None):
        appointment = self.get_object()
        response = HttpResponse(appointment_ics(appointment, now=timezone.now()), CALENDAR_TYPE)
        response["Content-Disposition"] = f'attachment; filename="appointment-{appointment.pk}.ics"'
        response["Cache-Control"] = "private, no-store"
        return response

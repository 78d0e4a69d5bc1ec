"""Webhook endpoints of a clinic, their delivery log and redelivery: managers only.

Every route goes through the scoped queryset of endpoints in clinics the caller manages,
so another clinic's endpoint (or one of a clinic where the caller is front desk) is a 404.
"""

from typing import ClassVar

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework import serializers as drf_serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from backend.common.roles import MANAGER_ONLY
from backend.common.scoping import ClinicScopedViewMixin
from backend.common.serializers import ErrorSerializer
from backend.interop.webhooks.models import DeliveryStatus, WebhookEndpoint
from backend.interop.webhooks.serializers import (
    WebhookDeliverySerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointUpdateSerializer,
)
from backend.interop.webhooks.services import (
    webhook_endpoint_create,
    webhook_endpoint_update,
    webhook_redeliver,
)

BAD_INPUT = OpenApiResponse(ErrorSerializer, description="Invalid input (a URL not allowed).")


@extend_schema_view(
    list=extend_schema(summary="List webhook endpoints"),
    retrieve=extend_schema(summary="Get one webhook endpoint"),
    create=extend_schema(
        summary="Register a webhook endpoint",
        description="Answers with the signing secret, which is shown only here.",
        request=WebhookEndpointSerializer,
        responses={201: WebhookEndpointCreatedSerializer, 400: BAD_INPUT},
    ),
    partial_update=extend_schema(
        summary="Change a webhook endpoint (url, events, description, active)",
        request=WebhookEndpointUpdateSerializer,
        responses={200: WebhookEndpointSerializer, 400: BAD_INPUT},
    ),
    destroy=extend_schema(summary="Delete a webhook endpoint and its delivery log"),
)
class WebhookEndpointViewSet(
    ClinicScopedViewMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """A clinic's webhook endpoints (managers of the clinic only).

    Every change of interest (appointment booked, rescheduled, cancelled, checked in,
    discharged, no-show; plan booked or cancelled) is delivered to each active endpoint
    subscribed to its type, signed per Standard Webhooks (``webhook-id``,
    ``webhook-timestamp``, ``webhook-signature``), at least once, retried with backoff for
    24 hours. The body is ``{"type", "timestamp", "data"}`` with ids, times, status and
    sequence only.
    """

    serializer_class = WebhookEndpointSerializer
    filter_backends: ClassVar[list] = []
    # Reads too: endpoints and their logs are a manager's business.
    action_roles: ClassVar[dict[str, tuple[str, ...]]] = dict.fromkeys(
        ("list", "retrieve", "create", "partial_update", "destroy", "deliveries", "redeliver"),
        MANAGER_ONLY,
    )

    def base_queryset(self):
        return (
            WebhookEndpoint.objects.for_user(self.request.user, MANAGER_ONLY)
            .select_related("clinic")
            .order_by("id")
        )

    def create(self, request, *args, **kwargs):
        serializer = WebhookEndpointSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        endpoint = webhook_endpoint_create(
            actor=request.user,
            clinic=data["clinic"],
            url=data["url"],
            events=data["events"],
            description=data.get("description", ""),
            active=data.get("active", True),
            now=timezone.now(),
        )
        body = WebhookEndpointCreatedSerializer(endpoint, context=self.get_serializer_context())
        return Response(body.data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        endpoint = self.get_object()
        serializer = WebhookEndpointUpdateSerializer(
            endpoint, data=request.data, partial=True, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        endpoint = webhook_endpoint_update(
            endpoint=endpoint, now=timezone.now(), **serializer.validated_data
        )
        return Response(
            WebhookEndpointSerializer(endpoint, context=self.get_serializer_context()).data
        )

    @extend_schema(
        summary="The endpoint's delivery log (newest first)",
        parameters=[
            OpenApiParameter(
                "status", str, enum=DeliveryStatus.values, description="Only this status."
            )
        ],
        responses={200: WebhookDeliverySerializer(many=True)},
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request, *args, **kwargs):
        endpoint = self.get_object()
        deliveries = endpoint.deliveries.select_related("event", "endpoint__clinic").order_by("-id")
        wanted = request.query_params.get("status")
        if wanted:
            if wanted not in DeliveryStatus.values:
                raise drf_serializers.ValidationError(
                    {"status": [f"Choose one of: {', '.join(DeliveryStatus.values)}."]}
                )
            deliveries = deliveries.filter(status=wanted)
        page = self.paginate_queryset(deliveries)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)

    @extend_schema(
        summary="Send a delivery again (same webhook-id, fresh 24-hour retry window)",
        request=None,
        parameters=[OpenApiParameter("delivery_id", int, OpenApiParameter.PATH)],
        responses={
            202: WebhookDeliverySerializer,
            409: OpenApiResponse(ErrorSerializer, description="The endpoint is disabled."),
        },
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"deliveries/(?P<delivery_id>[0-9]+)/redeliver",
    )
    def redeliver(self, request, delivery_id=None, *args, **kwargs):
        endpoint = self.get_object()
        delivery = get_object_or_404(
            endpoint.deliveries.select_related("event", "endpoint__clinic"), pk=delivery_id
        )
        delivery = webhook_redeliver(delivery=delivery, now=timezone.now())
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

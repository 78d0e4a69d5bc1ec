"""Webhook operations: register endpoints, fan outbox events out to them, deliver, retry.

Delivery is at least once and survives any process dying at any moment:

1. ``webhooks_fan_out`` takes undispatched outbox events (row-locked with SKIP LOCKED on
   PostgreSQL, so several workers share them) and, in one transaction, writes one
   ``WebhookDelivery`` per matching active endpoint and marks the events dispatched.
2. ``delivery_claim`` takes a due delivery with one conditional UPDATE on the delivery row
   alone (attempt number + 1, a lease in ``locked_until``): of two workers, one wins.
3. The POST goes out with no transaction open; ``delivery_record`` then writes the
   outcome only if this attempt still holds the claim. A worker killed mid-attempt leaves
   its lease to expire, and the next sweep tries again with the same ``webhook-id``.
4. A failure schedules the next attempt with exponential backoff and jitter until the
   retry window (24 h) closes. An endpoint that keeps failing is disabled, and the
   clinic's managers get an email.
"""

import json
import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from backend.common.errors import Conflict, InvalidInput
from backend.common.fields import local_iso
from backend.common.roles import Role
from backend.interop.webhooks import backoff, sender
from backend.interop.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from backend.interop.webhooks.signing import secret_new, signed_headers
from backend.interop.webhooks.urlcheck import UrlPolicy, url_problem
from backend.scheduling.outbox.models import EventType, OutboxEvent
from backend.scheduling.resources.models import Clinic, Membership

logger = logging.getLogger(__name__)

# Keys of an event's data that hold instants (stored in UTC, sent in the clinic's zone).
DATETIME_KEYS = ("start", "end", "expires_at")


@dataclass(frozen=True)
class DeliveryConfig:
    timeout: float
    retry_window: timedelta
    retry_base: timedelta
    retry_cap: timedelta
    disable_after_failures: int
    disable_after: timedelta
    policy: UrlPolicy = field(default_factory=UrlPolicy)

    @property
    def lease(self) -> timedelta:
        """How long a claimed attempt may take before another worker may try again."""
        return timedelta(seconds=max(3 * self.timeout, 3))

    @classmethod
    def from_settings(cls) -> "DeliveryConfig":
        return cls(
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            retry_window=timedelta(hours=settings.WEBHOOK_RETRY_HOURS),
            retry_base=timedelta(seconds=settings.WEBHOOK_RETRY_BASE_SECONDS),
            retry_cap=timedelta(seconds=settings.WEBHOOK_RETRY_CAP_SECONDS),
            disable_after_failures=settings.WEBHOOK_DISABLE_AFTER_FAILURES,
            disable_after=timedelta(hours=settings.WEBHOOK_DISABLE_AFTER_HOURS),
            policy=UrlPolicy.from_settings(),
        )


# --- Endpoints ---------------------------------------------------------------------------


def _events_clean(events: list[str]) -> list[str]:
    if not events:
        raise InvalidInput("events", "Choose at least one event type.")
    unknown = sorted(set(events) - set(EventType.values))
    if unknown:
        raise InvalidInput("events", f"Unknown event type(s): {', '.join(unknown)}.")
    return sorted(set(events))


def _url_clean(url: str) -> str:
    problem = url_problem(url)
    if problem:
        raise InvalidInput("url", problem)
    return url


def webhook_endpoint_create(
    *,
    actor,
    clinic: Clinic,
    url: str,
    events: list[str],
    description: str,
    now: datetime,
    active: bool = True,
) -> WebhookEndpoint:
    """Register an endpoint; the answer is the only time its secret is shown."""
    return WebhookEndpoint.objects.create(
        clinic=clinic,
        url=_url_clean(url),
        events=_events_clean(events),
        description=description,
        secret=secret_new(),
        active=active,
        disabled_at=None if active else now,
        created_by=actor if actor is not None and actor.is_authenticated else None,
        created_at=now,
    )


def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    now: datetime,
    url: str | None = None,
    events: list[str] | None = None,
    description: str | None = None,
    active: bool | None = None,
) -> WebhookEndpoint:
    """Change an endpoint; enabling a disabled one clears its failure record."""
    fields = ["updated_at"]
    if url is not None and url != endpoint.url:
        endpoint.url = _url_clean(url)
        fields.append("url")
    if events is not None:
        endpoint.events = _events_clean(events)
        fields.append("events")
    if description is not None:
        endpoint.description = description
        fields.append("description")
    if active is not None and active != endpoint.active:
        endpoint.active = active
        fields.append("active")
        if active:
            endpoint.failure_count = 0
            endpoint.failing_since = None
            endpoint.disabled_at = None
            endpoint.disabled_reason = ""
            fields += ["failure_count", "failing_since", "disabled_at", "disabled_reason"]
        else:
            endpoint.disabled_at = now
            endpoint.disabled_reason = "Disabled by a manager."
            fields += ["disabled_at", "disabled_reason"]
    endpoint.save(update_fields=fields)
    return endpoint


# --- Fan-out -----------------------------------------------------------------------------


def webhooks_fan_out(*, now: datetime, config: DeliveryConfig, batch: int = 200) -> int:
    """One delivery per (undispatched event, matching active endpoint); returns how many."""
    created = 0
    while True:
        with transaction.atomic():
            events = list(
                OutboxEvent.objects.undispatched()
                .select_for_update(skip_locked=True)
                .order_by("id")[:batch]
            )
            if not events:
                return created
            endpoints = list(
                WebhookEndpoint.objects.filter(
                    clinic_id__in={e.clinic_id for e in events}, active=True
                )
            )
            deliveries = [
                WebhookDelivery(
                    endpoint=endpoint,
                    event=event,
                    next_attempt_at=now,
                    retry_until=now + config.retry_window,
                    created_at=now,
                )
                for event in events
                for endpoint in endpoints
                if endpoint.clinic_id == event.clinic_id
                and event.type in endpoint.events
                # An endpoint hears of changes made after it was registered.
                and endpoint.created_at <= event.created_at
            ]
            WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
            OutboxEvent.objects.filter(id__in=[e.id for e in events]).update(dispatched_at=now)
            created += len(deliveries)
        if len(events) < batch:
            return created


# --- Delivery ----------------------------------------------------------------------------


def _lease_free(now: datetime) -> Q:
    return Q(locked_until__isnull=True) | Q(locked_until__lt=now)


def deliveries_due(*, now: datetime, limit: int = 50) -> list[int]:
    return list(
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=now, endpoint__active=True
        )
        .filter(_lease_free(now))
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )


def delivery_claim(
    delivery_id: int, *, now: datetime, config: DeliveryConfig
) -> WebhookDelivery | None:
    """Take one due delivery for this worker, or None if another worker has it.

    The UPDATE's conditions are on the delivery row's own columns (the endpoint's state
    is a subquery, not a join), so PostgreSQL re-checks them after waiting for a
    concurrent claim's lock: only one claim can succeed.
    """
    claimed = (
        WebhookDelivery.objects.filter(
            pk=delivery_id,
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=now,
            endpoint_id__in=WebhookEndpoint.objects.filter(active=True).values("id"),
        )
        .filter(_lease_free(now))
        .update(attempts=F("attempts") + 1, locked_until=now + config.lease, last_attempt_at=now)
    )
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("endpoint__clinic", "event").get(pk=delivery_id)


def webhook_body(event: OutboxEvent, zone) -> bytes:
    """``{"type", "timestamp", "data"}``, instants in the clinic's zone, written as the
    API writes them (``common.fields.local_iso``)."""
    data = dict(event.data)
    for key in DATETIME_KEYS:
        if data.get(key):
            data[key] = local_iso(datetime.fromisoformat(data[key]), zone)
    body = {
        "type": event.type,
        "timestamp": local_iso(event.created_at, zone),
        "data": data,
    }
    return json.dumps(body, separators=(",", ":")).encode()


def delivery_send(delivery: WebhookDelivery, *, config: DeliveryConfig) -> sender.Answer:
    """POST one claimed delivery, signed; no transaction is open meanwhile."""
    endpoint = delivery.endpoint
    body = webhook_body(delivery.event, endpoint.clinic.zone)
    headers = signed_headers(
        endpoint.secret,
        msg_id=delivery.message_id,
        timestamp=int(timezone.now().timestamp()),
        body=body,
    )
    return sender.post(
        endpoint.url, body=body, headers=headers, timeout=config.timeout, policy=config.policy
    )


def delivery_record(
    delivery: WebhookDelivery,
    answer: sender.Answer,
    *,
    now: datetime,
    config: DeliveryConfig,
    jitter: float | None = None,
) -> str | None:
    """Write an attempt's outcome; None if the attempt had lost its claim meanwhile."""
    jitter = random.random() if jitter is None else jitter
    with transaction.atomic():
        endpoint = (
            WebhookEndpoint.objects.select_for_update().filter(pk=delivery.endpoint_id).first()
        )
        if endpoint is None:
            return None  # deleted while the attempt was in flight
        mine = WebhookDelivery.objects.filter(
            pk=delivery.pk, attempts=delivery.attempts, status=DeliveryStatus.PENDING
        )
        common = {
            "response_code": answer.status,
            "latency_ms": answer.latency_ms,
            "locked_until": None,
        }
        if answer.ok:
            if not mine.update(
                status=DeliveryStatus.DELIVERED,
                delivered_at=now,
                next_attempt_at=None,
                last_error="",
                **common,
            ):
                return None
            if endpoint.failure_count or endpoint.failing_since:
                endpoint.failure_count = 0
                endpoint.failing_since = None
                endpoint.save(update_fields=["failure_count", "failing_since", "updated_at"])
            return DeliveryStatus.DELIVERED
        retry_at = backoff.next_attempt(
            attempt=delivery.attempts,
            now=now,
            retry_until=delivery.retry_until,
            base=config.retry_base,
            cap=config.retry_cap,
            jitter=jitter,
        )
        status = DeliveryStatus.PENDING if retry_at is not None else DeliveryStatus.FAILED
        if not mine.update(
            status=status, next_attempt_at=retry_at, last_error=answer.error[:500], **common
        ):
            return None
        endpoint.failure_count += 1
        endpoint.failing_since = endpoint.failing_since or now
        fields = ["failure_count", "failing_since", "updated_at"]
        if endpoint.active and backoff.should_disable(
            failures=endpoint.failure_count,
            failing_since=endpoint.failing_since,
            now=now,
            min_failures=config.disable_after_failures,
            min_duration=config.disable_after,
        ):
            endpoint.active = False
            endpoint.disabled_at = now
            endpoint.disabled_reason = (
                f"Disabled after {endpoint.failure_count} failed attempts in a row since "
                f"{endpoint.failing_since:%Y-%m-%d %H:%M} UTC. Last error: {answer.error}"
            )[:300]
            fields += ["active", "disabled_at", "disabled_reason"]
            transaction.on_commit(lambda: endpoint_disabled_notify(endpoint), robust=True)
        endpoint.save(update_fields=fields)
        return status


def managers_emails(clinic_id: int) -> list[str]:
    """The addresses of the clinic's managers (including managers of every clinic)."""
    return sorted(
        set(
            Membership.objects.filter(role=Role.MANAGER, user__is_active=True)
            .filter(Q(clinic_id=clinic_id) | Q(clinic__isnull=True))
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )
    )


def endpoint_disabled_notify(endpoint: WebhookEndpoint) -> None:
    """Tell the clinic's managers that an endpoint stopped receiving events."""
    recipients = managers_emails(endpoint.clinic_id)
    if not recipients:
        logger.warning("Webhook endpoint %s disabled; no manager has an email", endpoint.id)
        return
    clinic = Clinic.objects.get(pk=endpoint.clinic_id)
    body = (
        f"The webhook endpoint {endpoint.url} of {clinic.name} kept failing and has been "
        f"disabled; it receives no events until a manager enables it again.\n\n"
        f"{endpoint.disabled_reason}\n\n"
        f"Once the receiver works, enable the endpoint again (PATCH /api/v1/webhooks/"
        f'{endpoint.id}/ with {{"active": true}}, or in the admin) and redeliver the '
        f"deliveries it missed from its delivery log.\n"
    )
    try:
        send_mail(
            subject=f"Webhook endpoint disabled at {clinic.name}",
            message=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=recipients,
        )
    except Exception:
        logger.exception("Could not email managers about webhook endpoint %s", endpoint.id)


def webhook_redeliver(*, delivery: WebhookDelivery, now: datetime) -> WebhookDelivery:
    """Send a delivery again (same ``webhook-id``), with a fresh retry window."""
    if not delivery.endpoint.active:
        raise Conflict(
            'This endpoint is disabled; enable it ("active": true) before redelivering.',
            extra={"active": False},
        )
    config = DeliveryConfig.from_settings()
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.PENDING,
            next_attempt_at=now,
            retry_until=now + config.retry_window,
        )
        transaction.on_commit(_wake, robust=True)
    delivery.refresh_from_db()
    return delivery


def _wake() -> None:
    from backend.interop.webhooks.tasks import webhooks_wake

    webhooks_wake()


# --- The pump: what the worker runs ---------------------------------------------------------


@dataclass
class PumpRun:
    fanned_out: int = 0
    delivered: int = 0
    failed: int = 0
    more: bool = False

    def as_dict(self) -> dict:
        return {
            "fanned_out": self.fanned_out,
            "delivered": self.delivered,
            "failed": self.failed,
            "more": self.more,
        }


def webhooks_pump(
    *, budget: timedelta = timedelta(seconds=60), config: DeliveryConfig | None = None
) -> PumpRun:
    """Fan out new events, then deliver what is due until nothing is or time runs out."""
    config = config or DeliveryConfig.from_settings()
    run = PumpRun()
    started = timezone.now()
    run.fanned_out = webhooks_fan_out(now=started, config=config)
    while True:
        now = timezone.now()
        if now - started >= budget:
            run.more = bool(deliveries_due(now=now, limit=1))
            return run
        due = deliveries_due(now=now)
        if not due:
            return run
        progressed = False
        for delivery_id in due:
            delivery = delivery_claim(delivery_id, now=timezone.now(), config=config)
            if delivery is None:
                continue
            progressed = True
            answer = delivery_send(delivery, config=config)
            outcome = delivery_record(delivery, answer, now=timezone.now(), config=config)
            if outcome == DeliveryStatus.DELIVERED:
                run.delivered += 1
            elif outcome is not None:
                run.failed += 1
            if timezone.now() - started >= budget:
                break
        if not progressed:
            return run

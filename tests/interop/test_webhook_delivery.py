"""Fan-out, signed delivery over real HTTP, retries, leases and disabling, in-process.

The pump runs in the test's own thread here (the end-to-end tests run a real worker
process); the receiver is a real HTTP server on loopback.
"""

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from backend.common.roles import Role
from backend.interop.webhooks import urlcheck
from backend.interop.webhooks.models import DeliveryStatus, WebhookDelivery
from backend.interop.webhooks.sender import Answer
from backend.interop.webhooks.services import (
    DeliveryConfig,
    delivery_claim,
    delivery_record,
    webhooks_fan_out,
    webhooks_pump,
)
from backend.scheduling.booking.services import appointment_book
from backend.scheduling.outbox.models import OutboxEvent
from backend.scheduling.outbox.services import outbox_emit
from tests.factories import ClinicFactory, UserFactory
from tests.interop.webhook_kit import HANG, REDIRECT, SLOW, Receiver, endpoint_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def development(settings):
    settings.WEBHOOK_ALLOW_INSECURE = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 1


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


def emit(clinic, type="appointment.booked", *, now=None, **data):
    now = now or timezone.now()
    return outbox_emit(
        clinic_id=clinic.id,
        type=type,
        data={"clinic": clinic.id, "appointment": 7, "start": now.isoformat(), **data},
        now=now,
    )


def config() -> DeliveryConfig:
    return DeliveryConfig.from_settings()


def test_fan_out_writes_one_delivery_per_matching_active_endpoint(clinic):
    every = endpoint_for(clinic, "https://a.example.org/")
    plans_only = endpoint_for(clinic, "https://b.example.org/", events=["plan.booked"])
    endpoint_for(clinic, "https://c.example.org/", active=False)
    elsewhere = endpoint_for(ClinicFactory(), "https://d.example.org/")
    event = emit(clinic)
    # Registered after the change: it hears only of later ones.
    endpoint_for(clinic, "https://e.example.org/", created_at=timezone.now() + timedelta(seconds=1))

    first = webhooks_fan_out(now=timezone.now(), config=config())
    again = webhooks_fan_out(now=timezone.now(), config=config())

    assert (first, again) == (1, 0)
    assert list(WebhookDelivery.objects.values_list("endpoint_id", "event_id")) == [
        (every.id, event.id)
    ]
    assert OutboxEvent.objects.get().dispatched_at is not None
    assert not WebhookDelivery.objects.filter(endpoint__in=[plans_only, elsewhere]).exists()


def test_a_booking_reaches_a_real_receiver_signed_with_ids_and_clinic_times(
    world, front_desk_user, receiver
):
    endpoint = endpoint_for(world.clinic, receiver.url)
    now = timezone.now()
    appointment = appointment_book(
        actor=front_desk_user,
        patient=world.patients[0],
        session_type=world.spravato,
        start=world.at(9),
        now=now,
    )

    run = webhooks_pump()

    assert (run.fanned_out, run.delivered, run.failed) == (1, 1, 0)
    [request] = receiver.wait_for(1)
    body = Webhook(endpoint.secret).verify(request.body, request.headers)
    assert request.path == "/hooks/kap"
    assert request.headers["content-type"] == "application/json"
    assert body == {
        "type": "appointment.booked",
        "timestamp": now.astimezone(world.zone).isoformat(),
        "data": {
            "clinic": world.clinic.id,
            "appointment": appointment.id,
            "patient": world.patients[0].id,
            "plan": None,
            "start": world.at(9).isoformat(),
            "end": world.at(9, 15).isoformat(),
            "status": "booked",
            "sequence": 0,
        },
    }
    text = request.body.decode()
    for name in (world.patients[0].first_name, world.patients[0].last_name):
        assert name not in text
    delivery = WebhookDelivery.objects.get()
    assert request.headers["webhook-id"] == delivery.message_id
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("delivered", 1, 204)
    assert delivery.latency_ms is not None and delivery.delivered_at is not None


def test_a_failed_attempt_is_retried_after_the_backoff_with_the_same_webhook_id(
    clinic, receiver, time_machine
):
    endpoint = endpoint_for(clinic, receiver.url)
    receiver.answer(500)
    emit(clinic)
    before = timezone.now()

    first = webhooks_pump()
    delivery = WebhookDelivery.objects.get()
    endpoint.refresh_from_db()

    assert (first.failed, first.delivered) == (1, 0)
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("pending", 1, 500)
    assert delivery.last_error == "The receiver answered HTTP 500."
    # The first retry waits 10 s, give or take a quarter.
    assert before + timedelta(seconds=7.5) <= delivery.next_attempt_at
    assert delivery.next_attempt_at <= timezone.now() + timedelta(seconds=12.5)
    assert (endpoint.failure_count, endpoint.failing_since is not None) == (1, True)
    assert webhooks_pump().delivered == 0  # not due yet
    assert len(receiver.received) == 1

    time_machine.move_to(delivery.next_attempt_at + timedelta(seconds=1))
    second = webhooks_pump()

    assert second.delivered == 1
    one, two = receiver.wait_for(2)
    assert one.headers["webhook-id"] == two.headers["webhook-id"] == delivery.message_id
    assert one.body == two.body
    Webhook(endpoint.secret).verify(two.body, two.headers)
    delivery.refresh_from_db()
    endpoint.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("delivered", 2, "")
    assert (endpoint.failure_count, endpoint.failing_since) == (0, None)


def test_no_answer_within_the_timeout_is_a_failed_attempt(clinic, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    slow = Receiver(slow_seconds=2).start()
    try:
        endpoint_for(clinic, slow.url)
        slow.answer(SLOW)
        emit(clinic)

        run = webhooks_pump()
    finally:
        slow.stop()

    delivery = WebhookDelivery.objects.get()
    assert run.failed == 1
    assert (delivery.status, delivery.response_code) == ("pending", None)
    assert delivery.last_error == "No answer within 0.5 s."
    assert 400 <= delivery.latency_ms < 2000


def test_a_redirect_is_not_followed(clinic, receiver):
    endpoint_for(clinic, receiver.url)
    receiver.answer(REDIRECT)
    emit(clinic)

    webhooks_pump()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.response_code) == ("pending", 302)
    assert len(receiver.received) == 1


def test_a_refused_connection_is_a_failed_attempt(clinic):
    gone = Receiver()  # never started: nothing listens on its port
    endpoint_for(clinic, gone.url)
    emit(clinic)

    webhooks_pump()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_error) == ("pending", "Connection refused.")


def test_the_sender_connects_to_the_address_it_checked(clinic, receiver, monkeypatch):
    # A name real DNS does not know: the delivery can only arrive through the checked address.
    dns = {"receiver.kap.test": ["127.0.0.1"]}
    monkeypatch.setattr(urlcheck, "resolve", lambda host, port: dns[host])
    endpoint_for(clinic, f"http://receiver.kap.test:{receiver.port}/hooks/kap")
    emit(clinic)

    delivered = webhooks_pump()
    dns["receiver.kap.test"] = ["10.0.0.7"]  # the name now points into a private network
    emit(clinic)
    refused = webhooks_pump()

    assert (delivered.delivered, refused.failed) == (1, 1)
    assert len(receiver.received) == 1
    assert receiver.received[0].headers["host"] == f"receiver.kap.test:{receiver.port}"
    last = WebhookDelivery.objects.order_by("-id").first()
    assert "private network" in last.last_error


def test_a_delivery_gives_up_when_its_retry_window_closes(clinic, receiver):
    endpoint_for(clinic, receiver.url)
    receiver.default = 503
    emit(clinic)
    webhooks_fan_out(now=timezone.now(), config=config())
    WebhookDelivery.objects.update(retry_until=timezone.now() - timedelta(seconds=1))

    run = webhooks_pump()

    delivery = WebhookDelivery.objects.get()
    assert run.failed == 1
    assert (delivery.status, delivery.next_attempt_at) == ("failed", None)
    assert webhooks_pump().failed == 0  # never tried again


def test_an_endpoint_that_keeps_failing_is_disabled_and_its_managers_are_told(
    clinic, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    settings.WEBHOOK_DISABLE_AFTER_HOURS = 0
    other = ClinicFactory()
    UserFactory(email="manager@clinic.example", memberships=[(clinic, Role.MANAGER)])
    UserFactory(email="ops@group.example", roles=[Role.MANAGER])  # every clinic
    UserFactory(email="desk@clinic.example", memberships=[(clinic, Role.FRONT_DESK)])
    UserFactory(email="manager@other.example", memberships=[(other, Role.MANAGER)])
    UserFactory(email="", memberships=[(clinic, Role.MANAGER)])
    endpoint = endpoint_for(clinic, receiver.url)
    receiver.default = 503
    for _ in range(4):
        emit(clinic)

    with django_capture_on_commit_callbacks(execute=True):
        run = webhooks_pump()
    emit(clinic)
    later = webhooks_pump()

    endpoint.refresh_from_db()
    # The third failure disabled it: the fourth delivery waits, the fifth event is not
    # fanned out to it.
    assert run.failed == 3
    assert len(receiver.received) == 3
    assert (endpoint.active, endpoint.failure_count) == (False, 3)
    assert endpoint.disabled_at is not None
    assert "3 failed attempts" in endpoint.disabled_reason
    assert (later.fanned_out, later.failed) == (0, 0)
    assert WebhookDelivery.objects.filter(attempts=0).count() == 1
    [message] = mail.outbox
    assert sorted(message.to) == ["manager@clinic.example", "ops@group.example"]
    assert receiver.url in message.body
    assert "disabled" in message.subject


def test_only_one_claim_wins_and_an_expired_lease_is_claimed_again(clinic, time_machine):
    endpoint_for(clinic, "https://hooks.example.org/kap")
    emit(clinic)
    webhooks_fan_out(now=timezone.now(), config=config())
    delivery_id = WebhookDelivery.objects.get().id
    now = timezone.now()

    first = delivery_claim(delivery_id, now=now, config=config())
    second = delivery_claim(delivery_id, now=now, config=config())
    time_machine.move_to(now + config().lease + timedelta(seconds=1))
    after_lease = delivery_claim(delivery_id, now=timezone.now(), config=config())
    # The first attempt answers late: its claim is gone, so nothing is written.
    late = delivery_record(first, Answer(True, 200, 5), now=timezone.now(), config=config())

    assert first is not None and first.attempts == 1
    assert second is None
    assert after_lease is not None and after_lease.attempts == 2
    assert late is None
    assert WebhookDelivery.objects.get().status == DeliveryStatus.PENDING


def test_a_hanging_receiver_is_cut_off_and_retried(clinic, receiver):
    endpoint_for(clinic, receiver.url)
    receiver.answer(HANG)
    emit(clinic)

    run = webhooks_pump()
    receiver.release.set()

    assert run.failed == 1
    assert WebhookDelivery.objects.get().last_error == "No answer within 1 s."


def test_plan_and_appointment_events_share_the_body_shape(clinic, receiver):
    endpoint = endpoint_for(clinic, receiver.url)
    emit(clinic, "plan.cancelled", plan=3, status="cancelled", appointments=[7, 8])

    webhooks_pump()

    [request] = receiver.wait_for(1)
    body = json.loads(request.body)
    assert set(body) == {"type", "timestamp", "data"}
    assert body["type"] == "plan.cancelled"
    assert body["data"]["appointments"] == [7, 8]
    Webhook(endpoint.secret).verify(request.body, request.headers)

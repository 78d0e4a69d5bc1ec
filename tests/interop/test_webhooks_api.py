"""The webhook endpoints API: managers only, scoped to their clinics, secret shown once."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from backend.common.roles import Role
from backend.interop.webhooks import urlcheck
from backend.interop.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from backend.interop.webhooks.services import DeliveryConfig, webhooks_fan_out
from backend.scheduling.outbox.services import outbox_emit
from tests.factories import ClinicFactory, UserFactory
from tests.interop.webhook_kit import endpoint_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks/"
PUBLIC = "93.184.215.14"


@pytest.fixture(autouse=True)
def dns(monkeypatch):
    """Every host resolves to a public address unless a test says otherwise."""
    answers = {"hooks.example.org": [PUBLIC], "localhost": ["127.0.0.1"]}
    monkeypatch.setattr(
        urlcheck, "resolve", lambda host, port: answers.get(host, answers["hooks.example.org"])
    )
    return answers


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def manager(clinic):
    return UserFactory(memberships=[(clinic, Role.MANAGER)])


@pytest.fixture
def other_clinic():
    return ClinicFactory(with_hours=True, name="Other clinic")


def register(client, clinic, **body):
    payload = {
        "clinic": clinic.id,
        "url": "https://hooks.example.org/kap",
        "events": ["appointment.booked", "appointment.cancelled"],
        "description": "EHR sync",
        **body,
    }
    return client.post(URL, payload, format="json")


def a_delivery(endpoint) -> WebhookDelivery:
    now = timezone.now()
    outbox_emit(
        clinic_id=endpoint.clinic_id,
        type="appointment.booked",
        data={"clinic": endpoint.clinic_id, "appointment": 1, "start": now.isoformat()},
        now=now,
    )
    webhooks_fan_out(now=now, config=DeliveryConfig.from_settings())
    return WebhookDelivery.objects.get(endpoint=endpoint)


def test_a_manager_registers_an_endpoint_and_sees_its_secret_only_once(manager, clinic):
    client = client_for(manager)

    created = register(client, clinic)
    detail = client.get(f"{URL}{created.json()['id']}/")
    listed = client.get(URL)

    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert body["events"] == ["appointment.booked", "appointment.cancelled"]
    assert body["active"] is True
    assert WebhookEndpoint.objects.get().secret == body["secret"]
    assert detail.status_code == 200
    assert "secret" not in detail.json()
    assert [e["id"] for e in listed.json()["results"]] == [body["id"]]
    assert "secret" not in listed.json()["results"][0]
    assert body["secret"] not in detail.content.decode() + listed.content.decode()


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CLINICIAN])
def test_other_roles_may_neither_see_nor_register_endpoints(clinic, role):
    endpoint = endpoint_for(clinic, "https://hooks.example.org/kap")
    client = client_for(UserFactory(memberships=[(clinic, role)]))

    assert register(client, clinic).status_code == 403
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}{endpoint.id}/").status_code == 403
    assert client.get(f"{URL}{endpoint.id}/deliveries/").status_code == 403
    assert WebhookEndpoint.objects.count() == 1


def test_a_manager_of_another_clinic_finds_nothing(clinic, other_clinic):
    endpoint = endpoint_for(clinic, "https://hooks.example.org/kap")
    delivery = a_delivery(endpoint)
    intruder = client_for(UserFactory(memberships=[(other_clinic, Role.MANAGER)]))
    base = f"{URL}{endpoint.id}/"

    answers = [
        intruder.get(base).status_code,
        intruder.patch(base, {"active": False}, format="json").status_code,
        intruder.delete(base).status_code,
        intruder.get(f"{base}deliveries/").status_code,
        intruder.post(f"{base}deliveries/{delivery.id}/redeliver/").status_code,
    ]
    listed = intruder.get(URL).json()["results"]

    assert answers == [404] * 5
    assert listed == []
    endpoint.refresh_from_db()
    assert endpoint.active is True
    delivery.refresh_from_db()
    assert delivery.next_attempt_at is not None and delivery.attempts == 0


def test_a_manager_elsewhere_who_is_front_desk_here_does_not_see_this_clinics_endpoints(
    clinic, other_clinic
):
    endpoint = endpoint_for(clinic, "https://hooks.example.org/kap")
    mixed = client_for(
        UserFactory(memberships=[(other_clinic, Role.MANAGER), (clinic, Role.FRONT_DESK)])
    )

    assert mixed.get(f"{URL}{endpoint.id}/").status_code == 404
    assert mixed.get(URL).json()["results"] == []
    assert register(mixed, clinic).status_code == 403


def test_registering_for_another_clinic_is_refused_naming_the_clinic(manager, other_clinic):
    response = register(client_for(manager), other_clinic)

    assert response.status_code == 404
    assert list(response.json()["errors"]) == ["clinic"]
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.example.org/kap", "Use an https:// URL."),
        ("https://localhost:9000/kap", "loopback"),
        ("https://ehr.clinic.lan/kap", "private network"),
        ("https://user:pw@hooks.example.org/kap", "passwords"),
        ("not a url", "valid URL"),
    ],
)
def test_urls_are_refused_in_production_settings(manager, clinic, dns, url, message):
    dns["ehr.clinic.lan"] = ["192.168.10.20"]

    response = register(client_for(manager), clinic, url=url)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["url"]
    assert message in response.json()["errors"]["url"][0]
    assert WebhookEndpoint.objects.count() == 0


def test_development_settings_allow_http_and_loopback_but_not_private_networks(
    manager, clinic, dns, settings
):
    settings.WEBHOOK_ALLOW_INSECURE = True
    dns["ehr.clinic.lan"] = ["10.20.30.40"]
    client = client_for(manager)

    loopback = register(client, clinic, url="http://localhost:9000/kap")
    private = register(client, clinic, url="https://ehr.clinic.lan/kap")
    settings.WEBHOOK_ALLOW_PRIVATE = True
    allowed = register(client, clinic, url="https://ehr.clinic.lan/kap")

    assert loopback.status_code == 201
    assert private.status_code == 400
    assert allowed.status_code == 201


@pytest.mark.parametrize(
    ("events", "status"),
    [([], 400), (["appointment.exploded"], 400), (["waitlist.offered"], 201)],
)
def test_event_types_are_checked(manager, clinic, events, status):
    response = register(client_for(manager), clinic, events=events)

    assert response.status_code == status
    if status == 400:
        assert list(response.json()["errors"]) == ["events"]


def test_patch_changes_events_and_description_but_never_the_clinic(manager, clinic, other_clinic):
    client = client_for(manager)
    created = register(client, clinic).json()

    response = client.patch(
        f"{URL}{created['id']}/",
        {"events": ["plan.booked"], "description": "Billing", "clinic": other_clinic.id},
        format="json",
    )

    assert response.status_code == 200, response.json()
    assert response.json()["events"] == ["plan.booked"]
    assert response.json()["description"] == "Billing"
    assert WebhookEndpoint.objects.get().clinic_id == clinic.id


def test_patch_checks_a_new_url(manager, clinic):
    client = client_for(manager)
    created = register(client, clinic).json()

    response = client.patch(
        f"{URL}{created['id']}/", {"url": "http://hooks.example.org/x"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["url"]
    assert WebhookEndpoint.objects.get().url == "https://hooks.example.org/kap"


def test_enabling_a_disabled_endpoint_clears_its_failure_record(manager, clinic):
    endpoint = endpoint_for(
        clinic,
        "https://hooks.example.org/kap",
        active=False,
        failure_count=12,
        failing_since=timezone.now() - timedelta(days=1),
        disabled_at=timezone.now(),
        disabled_reason="Disabled after 12 failed attempts",
    )

    response = client_for(manager).patch(f"{URL}{endpoint.id}/", {"active": True}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert (body["active"], body["failure_count"], body["disabled_at"]) == (True, 0, None)
    assert body["disabled_reason"] == ""


def test_delete_removes_the_endpoint_and_its_log(manager, clinic):
    endpoint = endpoint_for(clinic, "https://hooks.example.org/kap")
    a_delivery(endpoint)

    response = client_for(manager).delete(f"{URL}{endpoint.id}/")

    assert response.status_code == 204
    assert WebhookEndpoint.objects.count() == 0
    assert WebhookDelivery.objects.count() == 0


def test_the_delivery_log_and_redeliver_keep_the_webhook_id(manager, clinic):
    endpoint = endpoint_for(clinic, "https://hooks.example.org/kap")
    delivery = a_delivery(endpoint)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.DELIVERED,
        attempts=1,
        response_code=204,
        latency_ms=12,
        delivered_at=timezone.now(),
        next_attempt_at=None,
    )
    client = client_for(manager)

    log = client.get(f"{URL}{endpoint.id}/deliveries/")
    redone = client.post(f"{URL}{endpoint.id}/deliveries/{delivery.id}/redeliver/")
    pending = client.get(f"{URL}{endpoint.id}/deliveries/", {"status": "pending"})
    bad_filter = client.get(f"{URL}{endpoint.id}/deliveries/", {"status": "lost"})
    unknown = client.post(f"{URL}{endpoint.id}/deliveries/999999/redeliver/")

    assert log.status_code == 200
    row = log.json()["results"][0]
    assert row["webhook_id"] == f"msg_{delivery.event.uid.hex}"
    assert (row["type"], row["status"], row["attempts"]) == ("appointment.booked", "delivered", 1)
    assert (row["response_code"], row["latency_ms"]) == (204, 12)
    assert redone.status_code == 202
    assert redone.json()["webhook_id"] == row["webhook_id"]
    assert redone.json()["status"] == "pending"
    assert [r["id"] for r in pending.json()["results"]] == [delivery.id]
    assert bad_filter.status_code == 400
    assert unknown.status_code == 404
    delivery.refresh_from_db()
    assert delivery.retry_until > timezone.now() + timedelta(hours=23)


def test_redeliver_to_a_disabled_endpoint_is_a_conflict(manager, clinic):
    endpoint = endpoint_for(clinic, "https://hooks.example.org/kap")
    delivery = a_delivery(endpoint)
    endpoint.active = False
    endpoint.save()

    response = client_for(manager).post(f"{URL}{endpoint.id}/deliveries/{delivery.id}/redeliver/")

    assert response.status_code == 409
    assert "disabled" in response.json()["detail"]

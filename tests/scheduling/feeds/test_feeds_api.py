"""Issuing and revoking feed URLs, and downloading one appointment, through the API."""

import json
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from backend.common.roles import Role
from backend.scheduling.feeds.models import FeedToken
from backend.scheduling.feeds.services import feed_uid_domain
from tests.factories import StaffFactory, UserFactory
from tests.scheduling.feeds.strict import events_by_uid, parse_strictly

pytestmark = pytest.mark.django_db

OWNERS = {
    "patients": lambda w: w.patient,
    "rooms": lambda w: w.dosing_room,
    "staff": lambda w: w.nurse,
}
ISSUERS = {
    "patients": {Role.FRONT_DESK, Role.MANAGER},
    "rooms": {Role.MANAGER},
    "staff": {Role.MANAGER},
}


def feed_path(resource: str, owner) -> str:
    return f"/api/v1/{resource}/{owner.id}/feed/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def fetch(url: str):
    parts = urlsplit(url)
    return Client().get(parts.path)


@pytest.mark.parametrize("method", ["post", "delete"])
@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CLINICIAN, Role.MANAGER])
@pytest.mark.parametrize("resource", list(OWNERS))
def test_who_may_issue_and_revoke_feeds(feed_world, resource, role, method):
    client = client_for(UserFactory(roles=[role]))
    path = feed_path(resource, OWNERS[resource](feed_world))

    response = getattr(client, method)(path)

    allowed = role in ISSUERS[resource]
    expected = {"post": 201, "delete": 204}[method] if allowed else 403
    assert response.status_code == expected


@pytest.mark.parametrize("resource", list(OWNERS))
def test_anonymous_users_cannot_issue_feeds(feed_world, api, resource):
    response = api.post(feed_path(resource, OWNERS[resource](feed_world)))

    assert response.status_code == 401


def test_staff_member_may_manage_their_own_feed_only(feed_world, clinician_user):
    feed_world.nurse.user = clinician_user
    feed_world.nurse.save()
    colleague = StaffFactory(clinic=feed_world.clinic)
    client = client_for(clinician_user)

    own = client.post(feed_path("staff", feed_world.nurse))
    other = client.post(feed_path("staff", colleague))
    revoke = client.delete(feed_path("staff", feed_world.nurse))

    assert (own.status_code, other.status_code, revoke.status_code) == (201, 403, 204)


def test_issue_answers_the_feed_urls(feed_world, front_desk_api):
    feed_world.appointment(feed_world.at(9))

    response = front_desk_api.post(feed_path("patients", feed_world.patient))

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"url", "webcal_url", "subscribe_page"}
    assert body["url"].startswith(("http://", "https://"))
    assert body["url"].endswith(".ics")
    assert body["webcal_url"] == "webcal://" + body["url"].split("://", 1)[1]
    assert body["subscribe_page"].startswith(("http://", "https://"))
    assert response["Cache-Control"] == "no-store"
    feed = fetch(body["url"])
    assert feed.status_code == 200
    assert len(parse_strictly(feed.content).walk("VEVENT")) == 1
    assert fetch(body["subscribe_page"]).status_code == 200


def test_issue_uses_the_configured_public_origin(feed_world, front_desk_api, settings):
    settings.FEED_BASE_URL = "https://scheduler.example.org"

    body = front_desk_api.post(feed_path("patients", feed_world.patient)).json()

    assert body["url"].startswith("https://scheduler.example.org/feeds/")
    assert body["webcal_url"].startswith("webcal://scheduler.example.org/feeds/")


def test_token_in_the_url_is_not_stored(feed_world, front_desk_api):
    body = front_desk_api.post(feed_path("patients", feed_world.patient)).json()

    raw = urlsplit(body["url"]).path.removeprefix("/feeds/").removesuffix(".ics")
    assert len(raw) >= 43
    assert not FeedToken.objects.filter(token_hash__contains=raw).exists()


def test_issuing_again_makes_the_old_url_answer_404(feed_world, front_desk_api):
    first = front_desk_api.post(feed_path("patients", feed_world.patient)).json()

    second = front_desk_api.post(feed_path("patients", feed_world.patient)).json()

    assert fetch(first["url"]).status_code == 404
    assert fetch(first["subscribe_page"]).status_code == 404
    assert fetch(second["url"]).status_code == 200


def test_revoke_makes_the_url_answer_404(feed_world, manager_api):
    body = manager_api.post(feed_path("rooms", feed_world.dosing_room)).json()

    response = manager_api.delete(feed_path("rooms", feed_world.dosing_room))

    assert response.status_code == 204
    assert fetch(body["url"]).status_code == 404
    assert manager_api.delete(feed_path("rooms", feed_world.dosing_room)).status_code == 204


def test_issue_for_a_missing_owner_is_404(feed_world, manager_api):
    response = manager_api.post("/api/v1/rooms/999999/feed/")

    assert response.status_code == 404


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CLINICIAN, Role.MANAGER])
def test_staff_download_one_appointment_as_ics(feed_world, role):
    appointment = feed_world.appointment(feed_world.at(9))
    client = client_for(UserFactory(roles=[role]))

    response = client.get(f"/api/v1/appointments/{appointment.id}/ics/")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="appointment-{appointment.id}.ics"'
    )
    calendar = parse_strictly(response.content)
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"appointment-{appointment.id}@{feed_uid_domain()}"
    assert str(event["SUMMARY"]) == "Appointment at Harbor Wellness"
    assert len(event.walk("VALARM")) == 2
    assert b"REFRESH-INTERVAL" not in response.content


def test_download_matches_the_patients_feed_event(feed_world, front_desk_api):
    appointment = feed_world.appointment(feed_world.at(9))
    feed = front_desk_api.post(feed_path("patients", feed_world.patient)).json()

    single = front_desk_api.get(f"/api/v1/appointments/{appointment.id}/ics/")

    uid = f"appointment-{appointment.id}@{feed_uid_domain()}"
    in_feed = events_by_uid(parse_strictly(fetch(feed["url"]).content))[uid]
    downloaded = events_by_uid(parse_strictly(single.content))[uid]
    for name in ("DTSTART", "DTEND", "SEQUENCE", "STATUS", "SUMMARY", "DESCRIPTION", "LOCATION"):
        assert downloaded[name] == in_feed[name]


def test_download_honours_accept_text_calendar(feed_world, front_desk_api):
    appointment = feed_world.appointment(feed_world.at(9))

    response = front_desk_api.get(
        f"/api/v1/appointments/{appointment.id}/ics/", HTTP_ACCEPT="text/calendar"
    )

    assert response.status_code == 200


def test_anonymous_users_cannot_download(feed_world, api):
    appointment = feed_world.appointment(feed_world.at(9))

    assert api.get(f"/api/v1/appointments/{appointment.id}/ics/").status_code == 401


def test_schema_documents_the_feed_endpoints_without_warnings(tmp_path, capsys):
    target = tmp_path / "openapi.json"

    call_command("spectacular", "--validate", "--format", "openapi-json", "--file", target)

    # Other apps' warnings are the project-wide schema test's business; none may be ours.
    warnings = [line for line in capsys.readouterr().err.splitlines() if "Warning" in line]
    assert [line for line in warnings if "feed" in line.lower() or "ics" in line] == []
    paths = json.loads(target.read_text())["paths"]
    for resource in OWNERS:
        operations = paths[f"/api/v1/{resource}/{{id}}/feed/"]
        assert set(operations) == {"post", "delete"}
        assert "application/json" in operations["post"]["responses"]["201"]["content"]
        assert "204" in operations["delete"]["responses"]
    ics = paths["/api/v1/appointments/{id}/ics/"]["get"]["responses"]["200"]["content"]
    assert "text/calendar" in ics

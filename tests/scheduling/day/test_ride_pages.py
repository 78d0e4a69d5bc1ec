"""The patient's ride-confirmation link: no login, works once, reveals nothing when wrong."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from backend.scheduling.booking.models import AppointmentEvent, AppointmentStatus
from backend.scheduling.day.models import RideConfirmation
from backend.scheduling.day.reminders import reminders_send, ride_token_issue

pytestmark = pytest.mark.django_db


def page(token: str) -> str:
    return f"/ride/{token}/"


def assert_private(response) -> None:
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["Cache-Control"] == "no-store"


@pytest.fixture
def booked(live):
    return live.appointment(start=live.at(10, day=live.day + timedelta(days=1)))


@pytest.fixture
def token(booked):
    return ride_token_issue(booked, now=timezone.now())


def test_ride_page_get_shows_a_confirm_button_and_confirms_nothing(client, booked, token):
    response = client.get(page(token))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Confirm your ride home" in html
    assert '<form method="post">' in html
    assert "Harbor Clinic" in html
    assert "12:15 PM" in html  # pickup: the end of recovery, in the clinic's zone
    assert_private(response)
    assert RideConfirmation.objects.get(appointment=booked).confirmed_at is None


def test_ride_post_confirms_once_and_records_it(client, booked, token):
    response = client.post(page(token))

    assert response.status_code == 200
    assert "Thank you: your ride is confirmed" in response.content.decode()
    assert_private(response)
    confirmation = RideConfirmation.objects.get(appointment=booked)
    assert confirmation.confirmed_at is not None
    event = AppointmentEvent.objects.get(appointment=booked, action="ride_confirmed")
    assert (event.actor, event.at) == (None, confirmation.confirmed_at)


def test_ride_link_used_twice_says_it_was_already_confirmed(client, booked, token):
    client.post(page(token))
    first = RideConfirmation.objects.get(appointment=booked).confirmed_at

    again = client.post(page(token))
    viewed = client.get(page(token))

    assert again.status_code == viewed.status_code == 200
    assert "Your ride was already confirmed" in again.content.decode()
    assert "Your ride was already confirmed" in viewed.content.decode()
    assert RideConfirmation.objects.get(appointment=booked).confirmed_at == first
    assert AppointmentEvent.objects.filter(action="ride_confirmed").count() == 1


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    "bad", ["not-a-real-token", "A" * 43, "x" * 500], ids=["short", "right-length", "long"]
)
def test_ride_bad_token_is_404_revealing_nothing(client, token, method, bad):
    response = getattr(client, method)(page(bad))

    assert response.status_code == 404
    html = response.content.decode()
    assert "This link is not valid" in html
    assert "Harbor Clinic" not in html
    assert_private(response)
    assert not RideConfirmation.objects.filter(confirmed_at__isnull=False).exists()


def test_ride_post_needs_no_csrf_token_or_login(booked, token):
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(page(token))

    assert response.status_code == 200
    assert RideConfirmation.objects.get(appointment=booked).confirmed_at is not None


def test_ride_link_of_a_cancelled_appointment_confirms_nothing(client, booked, token):
    booked.status = AppointmentStatus.CANCELLED
    booked.save()

    response = client.post(page(token))

    assert response.status_code == 200
    assert "There is nothing to confirm" in response.content.decode()
    assert RideConfirmation.objects.get(appointment=booked).confirmed_at is None


def test_ride_link_reissued_replaces_the_old_one(client, booked, token):
    newer = ride_token_issue(booked, now=timezone.now())

    assert client.get(page(token)).status_code == 404
    assert client.get(page(newer)).status_code == 200


def test_ride_page_other_methods_are_refused(client, token):
    assert client.put(page(token)).status_code == 405


def test_ride_link_from_the_reminder_email_confirms_the_board_ride(
    client, front_desk_api, live, booked
):
    reminders_send(now=booked.start - timedelta(hours=20))
    link = re.search(r"http://127\.0\.0\.1:8000(/ride/[A-Za-z0-9_-]+/)", mail.outbox[0].body)
    tomorrow = (live.day + timedelta(days=1)).isoformat()
    before = front_desk_api.get("/api/v1/board/rides/", {"clinic": live.clinic.id}).json()

    client.post(link.group(1))

    board = front_desk_api.get("/api/v1/board/", {"clinic": live.clinic.id, "date": tomorrow})
    after = front_desk_api.get("/api/v1/board/rides/", {"clinic": live.clinic.id}).json()
    assert [r["id"] for r in before["rides"]] == [booked.id]
    assert before["rides"][0]["reminder_sent_at"] is not None
    assert after["rides"] == []
    (entry,) = board.json()["appointments"]
    assert entry["escort"]["ride_confirmed"] is True
    assert entry["flags"] == []

from datetime import timedelta

import pytest
from django.utils import timezone

from backend.scheduling.booking.idempotency import idempotency_claim, request_fingerprint
from backend.scheduling.booking.models import Appointment, IdempotencyKey

pytestmark = pytest.mark.django_db

URL = "/api/v1/appointments/"


def body_for(world, patient_index=0, hour=9):
    return {
        "patient": world.patients[patient_index].id,
        "session_type": world.spravato.id,
        "start": world.at(hour).isoformat(),
    }


def post(client, body, key):
    return client.post(URL, body, format="json", headers={"Idempotency-Key": key})


def test_same_key_and_body_returns_the_first_response_and_books_once(front_desk_api, world):
    first = post(front_desk_api, body_for(world), "key-1")

    second = post(front_desk_api, body_for(world), "key-1")

    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Appointment.objects.count() == 1


def test_same_key_with_another_body_is_422_and_books_nothing(front_desk_api, world):
    post(front_desk_api, body_for(world), "key-1")

    response = post(front_desk_api, body_for(world, hour=13), "key-1")

    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["errors"]
    assert Appointment.objects.count() == 1


def test_retry_while_the_first_request_runs_is_409(front_desk_api, front_desk_user, world):
    body = body_for(world)
    idempotency_claim(
        user=front_desk_user,
        key="key-1",
        endpoint=f"POST {URL}",
        fingerprint=request_fingerprint("POST", URL, body),
        now=timezone.now(),
    )

    response = post(front_desk_api, body, "key-1")

    assert response.status_code == 409
    assert "still being processed" in response.json()["detail"]
    assert Appointment.objects.count() == 0


def test_a_conflict_answer_is_replayed_too(front_desk_api, world):
    post(front_desk_api, body_for(world, 0), "a")
    post(front_desk_api, body_for(world, 1), "b")
    first = post(front_desk_api, body_for(world, 2), "c")

    again = post(front_desk_api, body_for(world, 2), "c")

    assert first.status_code == again.status_code == 409
    assert again.json() == first.json()


def test_keys_are_per_user(front_desk_api, manager_api, world):
    post(front_desk_api, body_for(world, 0), "shared")

    response = post(manager_api, body_for(world, 1), "shared")

    assert response.status_code == 201
    assert Appointment.objects.count() == 2


def test_a_key_older_than_a_day_can_be_used_again(front_desk_api, world):
    post(front_desk_api, body_for(world, 0), "old")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))

    response = post(front_desk_api, body_for(world, 1), "old")

    assert response.status_code == 201
    assert Appointment.objects.count() == 2


def test_a_key_kept_for_23_hours_still_replays(front_desk_api, world):
    first = post(front_desk_api, body_for(world, 0), "recent")
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=23))

    response = post(front_desk_api, body_for(world, 0), "recent")

    assert response.json()["id"] == first.json()["id"]
    assert Appointment.objects.count() == 1


def test_an_overlong_key_is_400(front_desk_api, world):
    response = post(front_desk_api, body_for(world), "k" * 300)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["errors"]
    assert IdempotencyKey.objects.count() == 0


def test_reschedule_honours_the_key(front_desk_api, world):
    created = front_desk_api.post(URL, body_for(world), format="json").json()
    url = f"{URL}{created['id']}/reschedule/"
    body = {"start": world.at(13).isoformat()}

    first = front_desk_api.post(url, body, format="json", headers={"Idempotency-Key": "mv"})
    second = front_desk_api.post(url, body, format="json", headers={"Idempotency-Key": "mv"})

    assert first.status_code == second.status_code == 200
    assert second.json()["sequence"] == 1
    assert Appointment.objects.get(pk=created["id"]).sequence == 1


def test_a_claim_abandoned_by_a_dead_worker_can_be_retried(front_desk_api, front_desk_user, world):
    body = body_for(world)
    idempotency_claim(
        user=front_desk_user,
        key="key-1",
        endpoint=f"POST {URL}",
        fingerprint=request_fingerprint("POST", URL, body),
        now=timezone.now() - timedelta(minutes=10),
    )

    response = post(front_desk_api, body, "key-1")

    assert response.status_code == 201
    assert Appointment.objects.count() == 1

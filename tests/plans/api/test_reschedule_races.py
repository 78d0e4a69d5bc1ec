"""Cascades of two courses in one clinic at the same moment, with real threads."""

import itertools
import threading
from datetime import datetime, timedelta

import pytest
from django.db import connection
from rest_framework.test import APIClient

from backend.scheduling.booking.models import Appointment, AppointmentStatus
from tests.scheduling.booking.holds import overlapping_active_holds

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("builtins_restored")]


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def book_course(client, world, patient) -> list[dict]:
    created = client.post(
        "/api/v1/plans/",
        {"patient": patient.id, "template": "spravato-trd", "start_date": str(world.monday)},
        format="json",
    )
    assert created.status_code == 201, created.json()
    plan = created.json()
    booked = client.post(f"/api/v1/plans/{plan['id']}/book/", {}, format="json")
    assert booked.status_code == 201, booked.json()
    return booked.json()["appointments"]


def test_two_courses_cascading_at_once_both_move_and_never_share_a_seat(
    plan_world, front_desk_user
):
    client = client_for(front_desk_user)
    courses = [book_course(client, plan_world, p) for p in plan_world.patients[:2]]
    moves = []
    for first, second, *_ in courses:
        start = datetime.fromisoformat(first["start"])
        days = (datetime.fromisoformat(second["start"]) - start).days - 1
        moves.append((first["id"], (start + timedelta(days=days)).isoformat()))
    barrier = threading.Barrier(len(moves))
    answers: dict[int, tuple[int, dict]] = {}

    def move(appointment_id: int, start: str) -> None:
        try:
            racer = client_for(front_desk_user)
            barrier.wait()
            response = racer.post(
                f"/api/v1/appointments/{appointment_id}/reschedule/",
                {"start": start, "cascade": True},
                format="json",
            )
            answers[appointment_id] = (response.status_code, response.json())
        finally:
            connection.close()

    threads = [threading.Thread(target=move, args=m) for m in moves]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # Three recliners and two nurses hold both courses: each cascade waits for the other's
    # locks, then moves; neither is refused, neither deadlocks.
    assert {i: status for i, (status, _) in answers.items()} == {i: 200 for i, _ in moves}
    assert all(body["moved"] for _, body in answers.values())
    assert overlapping_active_holds() == []
    for patient in plan_world.patients[:2]:
        booked = Appointment.objects.filter(
            patient=patient, status=AppointmentStatus.BOOKED
        ).order_by("ordinal")
        days = [a.start.astimezone(plan_world.clinic.zone).date() for a in booked][:8]
        assert all((b - a).days >= 3 for a, b in itertools.pairwise(days))

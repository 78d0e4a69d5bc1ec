"""POST /api/v1/appointments/{id}/reschedule/, served by plans: roles, error bodies, replays."""

from datetime import datetime, timedelta

import pytest

from backend.scheduling.booking.models import Appointment, AppointmentEvent
from tests.factories import ClosureFactory

pytestmark = pytest.mark.django_db


def book_course(client, world) -> list[dict]:
    plan = client.post(
        "/api/v1/plans/",
        {
            "patient": world.patients[0].id,
            "template": "spravato-trd",
            "start_date": str(world.monday),
        },
        format="json",
    ).json()
    booked = client.post(f"/api/v1/plans/{plan['id']}/book/", {}, format="json")
    assert booked.status_code == 201, booked.json()
    return booked.json()["appointments"]


def url(appointment: dict) -> str:
    return f"/api/v1/appointments/{appointment['id']}/reschedule/"


def day_before(appointment: dict, later: dict) -> datetime:
    """The first one's time of day on the day before ``later``: ``later`` breaks its gap."""
    start = datetime.fromisoformat(appointment["start"])
    return start + timedelta(days=(datetime.fromisoformat(later["start"]) - start).days - 1)


def calendar_rows():
    return (
        list(Appointment.objects.order_by("id").values_list("id", "start", "sequence")),
        AppointmentEvent.objects.count(),
    )


def test_a_cascade_that_cannot_keep_the_cadence_is_409_naming_the_sessions(
    front_desk_api, plan_world
):
    first, second, *_ = book_course(front_desk_api, plan_world)
    second_day = datetime.fromisoformat(second["start"]).date()
    ClosureFactory(
        clinic=plan_world.clinic, start_date=second_day, end_date=second_day + timedelta(days=90)
    )
    before = calendar_rows()

    response = front_desk_api.post(
        url(first), {"start": day_before(first, second).isoformat(), "cascade": True}, format="json"
    )

    assert response.status_code == 409, response.json()
    body = response.json()
    assert "out of their cadence" in body["detail"]
    assert body["errors"] == {}
    assert body["conflicts"][0]["ordinal"] == 2
    assert set(body["conflicts"][0]) == {"ordinal", "phase", "reason"}
    assert calendar_rows() == before


def test_a_cancelled_session_cannot_be_moved_409_with_its_status(front_desk_api, plan_world):
    first, *_ = book_course(front_desk_api, plan_world)
    front_desk_api.post(
        f"/api/v1/appointments/{first['id']}/cancel/", {"reason": "Sick"}, format="json"
    )

    response = front_desk_api.post(
        url(first), {"start": first["start"], "cascade": True}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["status"] == "cancelled"


def test_reschedule_as_clinician_is_403_and_moves_nothing(
    front_desk_api, clinician_api, plan_world
):
    first, second, *_ = book_course(front_desk_api, plan_world)
    before = calendar_rows()

    response = clinician_api.post(
        url(first), {"start": day_before(first, second).isoformat(), "cascade": True}, format="json"
    )

    assert response.status_code == 403
    assert calendar_rows() == before


def test_reschedule_of_an_unknown_appointment_is_404(front_desk_api, plan_world):
    start = plan_world.at(plan_world.monday, 10).isoformat()

    response = front_desk_api.post(url({"id": 999_999}), {"start": start}, format="json")

    assert response.status_code == 404


def test_a_cascade_repeated_with_its_idempotency_key_replays_and_moves_nothing_more(
    front_desk_api, plan_world
):
    first, second, *_ = book_course(front_desk_api, plan_world)
    body = {"start": day_before(first, second).isoformat(), "cascade": True}
    headers = {"HTTP_IDEMPOTENCY_KEY": "move-first-session"}

    done = front_desk_api.post(url(first), body, format="json", **headers)
    after = calendar_rows()
    again = front_desk_api.post(url(first), body, format="json", **headers)

    assert done.status_code == 200, done.json()
    assert [a["ordinal"] for a in done.json()["moved"]][:1] == [2]
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == done.json()
    assert calendar_rows() == after

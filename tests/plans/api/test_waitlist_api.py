"""The waitlist over the API: entries, offers made by the background run, accept,
decline, expiry and withdrawal, and the offered seat's hold against other bookings."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from backend.plans.models import PlannedSession
from backend.scheduling.booking.models import Appointment, AppointmentStatus, Hold
from backend.scheduling.outbox.models import OutboxEvent
from backend.scheduling.waitlist.models import WaitlistEntry, WaitlistEvent
from backend.scheduling.waitlist.services import waitlist_run
from tests.scheduling.booking.holds import overlapping_active_holds

pytestmark = pytest.mark.django_db

WAITLIST = "/api/v1/waitlist/"
APPOINTMENTS = "/api/v1/appointments/"


@pytest.fixture
def full_nine(world, time_machine):
    """Both recliners taken at 09:00 on the world's day; the clock at 07:00 that day."""
    taken = [world.appointment(world.at(9), patient=p) for p in world.patients[2:4]]
    time_machine.move_to(world.at(7), tick=False)
    return taken


def add(client, world, patient, **extra):
    body = {
        "patient": patient.id,
        "session_type": world.spravato.id,
        "date_from": str(world.day),
        "date_to": str(world.day),
        "preferences": {"earliest_time": "09:00", "latest_time": "09:00"},
        **extra,
    }
    response = client.post(WAITLIST, body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def entry(client, entry_id):
    return client.get(f"{WAITLIST}{entry_id}/").json()


def cancel(client, appointment):
    response = client.post(
        f"{APPOINTMENTS}{appointment.id}/cancel/", {"reason": "ill"}, format="json"
    )
    assert response.status_code == 200
    return response


def run():
    return waitlist_run(now=timezone.now())


def test_new_entry_is_waiting_and_nothing_is_offered_while_the_seats_are_full(
    front_desk_api, world, full_nine
):
    first = add(front_desk_api, world, world.patients[0])

    result = run()

    assert first["status"] == "waiting"
    assert result == {"expired": 0, "offered": 0}
    assert entry(front_desk_api, first["id"])["offer"] is None


def test_two_entries_one_freed_seat_offers_it_to_the_first_and_holds_it(
    front_desk_api, world, full_nine
):
    first = add(front_desk_api, world, world.patients[0])
    second = add(front_desk_api, world, world.patients[1])
    cancel(front_desk_api, full_nine[0])

    result = run()

    assert result["offered"] == 1
    offered, waiting = entry(front_desk_api, first["id"]), entry(front_desk_api, second["id"])
    assert offered["status"] == "offered"
    assert offered["offer"]["start"] == world.at(9).isoformat()
    assert offered["offer"]["seat"] == full_nine[0].seat_id
    assert offered["offer"]["expires_at"] == world.at(9).isoformat()
    assert waiting["status"] == "waiting"
    held = Appointment.objects.get(pk=offered["offer"]["appointment"])
    assert held.status == AppointmentStatus.OFFERED
    assert Hold.objects.filter(appointment=held, active=True).count() >= 2
    assert OutboxEvent.objects.filter(type="waitlist.offered").count() == 1
    assert overlapping_active_holds() == []


def test_the_offered_seat_is_held_against_a_direct_booking(front_desk_api, world, full_nine):
    add(front_desk_api, world, world.patients[0])
    cancel(front_desk_api, full_nine[0])
    run()
    outsider = world.patients[1]

    response = front_desk_api.post(
        APPOINTMENTS,
        {"patient": outsider.id, "session_type": world.spravato.id, "start": world.at(9)},
        format="json",
    )

    assert response.status_code == 409, response.json()


def test_accept_books_the_held_appointment(front_desk_api, world, full_nine):
    first = add(front_desk_api, world, world.patients[0])
    cancel(front_desk_api, full_nine[0])
    run()
    held = entry(front_desk_api, first["id"])["offer"]["appointment"]

    response = front_desk_api.post(f"{WAITLIST}{first['id']}/accept/")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["id"] == held
    assert body["status"] == "booked"
    assert body["start"] == world.at(9).isoformat()
    after = entry(front_desk_api, first["id"])
    assert after["status"] == "booked"
    assert after["booked_appointment"] == held
    assert OutboxEvent.objects.filter(type="waitlist.accepted").count() == 1
    actions = list(
        WaitlistEvent.objects.filter(entry_id=first["id"]).values_list("action", flat=True)
    )
    assert actions == ["created", "offered", "accepted"]
    again = front_desk_api.post(f"{WAITLIST}{first['id']}/accept/")
    assert again.status_code == 409


def test_decline_passes_the_seat_to_the_next_entry(front_desk_api, world, full_nine):
    first = add(front_desk_api, world, world.patients[0])
    second = add(front_desk_api, world, world.patients[1])
    cancel(front_desk_api, full_nine[0])
    run()

    declined = front_desk_api.post(f"{WAITLIST}{first['id']}/decline/", {"reason": "busy"})
    run()

    assert declined.status_code == 200, declined.json()
    assert declined.json()["status"] == "waiting"
    assert entry(front_desk_api, first["id"])["status"] == "waiting"
    assert entry(front_desk_api, second["id"])["status"] == "offered"
    assert overlapping_active_holds() == []


def test_expiry_passes_the_seat_on_and_a_late_accept_is_409(
    front_desk_api, world, full_nine, time_machine
):
    world.clinic.waitlist_offer_minutes = 30
    world.clinic.save(update_fields=["waitlist_offer_minutes"])
    first = add(front_desk_api, world, world.patients[0])
    second = add(front_desk_api, world, world.patients[1])
    cancel(front_desk_api, full_nine[0])
    run()
    assert entry(front_desk_api, first["id"])["offer"]["expires_at"] == world.at(7, 30).isoformat()

    time_machine.move_to(world.at(7, 31), tick=False)
    late = front_desk_api.post(f"{WAITLIST}{first['id']}/accept/")
    result = run()

    assert late.status_code == 409
    assert result == {"expired": 1, "offered": 1}
    assert entry(front_desk_api, first["id"])["status"] == "expired"
    assert entry(front_desk_api, second["id"])["status"] == "offered"


def test_withdraw_releases_the_offer(front_desk_api, world, full_nine):
    first = add(front_desk_api, world, world.patients[0])
    cancel(front_desk_api, full_nine[0])
    run()
    held = entry(front_desk_api, first["id"])["offer"]["appointment"]

    response = front_desk_api.delete(f"{WAITLIST}{first['id']}/")

    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    assert Appointment.objects.get(pk=held).status == AppointmentStatus.CANCELLED
    assert not Hold.objects.filter(appointment_id=held, active=True).exists()
    assert front_desk_api.delete(f"{WAITLIST}{first['id']}/").status_code == 404
    assert front_desk_api.get(f"{WAITLIST}{first['id']}/").status_code == 404
    listed = front_desk_api.get(WAITLIST, {"status": "withdrawn"}).json()["results"]
    assert [e["id"] for e in listed] == [first["id"]]


def test_the_management_command_makes_the_same_offers(front_desk_api, world, full_nine, capsys):
    first = add(front_desk_api, world, world.patients[0])
    cancel(front_desk_api, full_nine[0])

    call_command("waitlist_offers")

    assert "1 offered" in capsys.readouterr().out
    assert entry(front_desk_api, first["id"])["status"] == "offered"


def test_list_filters_by_clinic_and_status(front_desk_api, world, full_nine):
    first = add(front_desk_api, world, world.patients[0])
    add(front_desk_api, world, world.patients[1])
    cancel(front_desk_api, full_nine[0])
    run()

    offered = front_desk_api.get(WAITLIST, {"clinic": world.clinic.id, "status": "offered"})
    waiting = front_desk_api.get(WAITLIST, {"status": "waiting"})

    assert [e["id"] for e in offered.json()["results"]] == [first["id"]]
    assert waiting.json()["count"] == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"date_to": "2020-01-01", "date_from": "2019-12-01"}, "date_to", id="past"),
        pytest.param({"date_from": "2031-02-01", "date_to": "2031-01-01"}, "date_to", id="order"),
        pytest.param({"preferences": {"weekdays": [9]}}, "preferences", id="weekday"),
    ],
)
def test_bad_entries_are_400_naming_the_field(front_desk_api, world, change, field):
    body = {
        "patient": world.patient.id,
        "session_type": world.spravato.id,
        "date_from": str(world.day),
        "date_to": str(world.day),
        **change,
    }

    response = front_desk_api.post(WAITLIST, body, format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert WaitlistEntry.objects.count() == 0


def test_urgent_entry_is_offered_first(front_desk_api, world, full_nine):
    add(front_desk_api, world, world.patients[0])
    urgent = add(front_desk_api, world, world.patients[1], urgent=True)
    cancel(front_desk_api, full_nine[0])

    run()

    assert entry(front_desk_api, urgent["id"])["status"] == "offered"


def test_offer_of_a_type_needing_authorization_uses_a_unit(front_desk_api, world, full_nine):
    from tests.scheduling.authorizations.conftest import authorize

    world.spravato.requires_authorization = True
    world.spravato.save(update_fields=["requires_authorization"])
    first = add(front_desk_api, world, world.patients[0])
    unauthorized = add(front_desk_api, world, world.patients[1])
    authorization = authorize(world, units=1, patient=world.patients[1])
    cancel(front_desk_api, full_nine[0])

    run()

    assert entry(front_desk_api, first["id"])["status"] == "waiting"
    held = entry(front_desk_api, unauthorized["id"])["offer"]["appointment"]
    assert Appointment.objects.get(pk=held).authorization_id == authorization.id


def plan_entry(front_desk_api, plan_world, *, days_earlier):
    """A booked Spravato course on Mondays and Fridays, and an entry that would bring its
    second session (a Friday) ``days_earlier`` days forward."""
    from tests.plans.api.test_plans_api import PLANS, create_plan

    plan = create_plan(front_desk_api, plan_world, preferences={"weekdays": [0, 4]}).json()
    booked = front_desk_api.post(f"{PLANS}{plan['id']}/book/", {}, format="json")
    assert booked.status_code == 201, booked.json()
    session = PlannedSession.objects.select_related("appointment").get(
        plan_id=plan["id"], ordinal=2
    )
    friday = session.appointment.start.astimezone(plan_world.zone).date()
    assert friday.weekday() == 4
    day = friday - timedelta(days=days_earlier)
    created = add(
        front_desk_api,
        plan_world,
        plan_world.patients[0],
        session_type=session.session_type_id,
        date_from=str(day),
        date_to=str(day),
        preferences={},
        planned_session=session.id,
    )
    run()
    return plan, session.appointment, entry(front_desk_api, created["id"])


def test_accepting_an_entry_for_a_plan_session_moves_it_earlier_keeping_the_cadence(
    front_desk_api, plan_world
):
    from tests.plans.api.test_plans_api import PLANS

    plan, target, offered = plan_entry(front_desk_api, plan_world, days_earlier=1)
    assert offered["status"] == "offered", offered

    response = front_desk_api.post(f"{WAITLIST}{offered['id']}/accept/")

    assert response.status_code == 201, response.json()
    assert response.json()["id"] == target.id
    assert response.json()["start"] == offered["offer"]["start"]
    assert Appointment.objects.get(pk=target.id).start < target.start
    held = Appointment.objects.get(pk=offered["offer"]["appointment"])
    assert held.status == AppointmentStatus.CANCELLED
    after = front_desk_api.get(f"{PLANS}{plan['id']}/").json()["sessions"]
    assert all(s["status"] == "booked" for s in after)
    assert entry(front_desk_api, offered["id"])["booked_appointment"] == target.id
    assert overlapping_active_holds() == []


def test_accepting_a_move_that_breaks_the_cadence_is_409_and_keeps_the_offer(
    front_desk_api, plan_world
):
    # Tuesday is one day after the first session: below the 3-day minimum gap.
    _, target, offered = plan_entry(front_desk_api, plan_world, days_earlier=3)
    assert offered["status"] == "offered", offered

    response = front_desk_api.post(f"{WAITLIST}{offered['id']}/accept/")

    assert response.status_code == 409, response.json()
    assert Appointment.objects.get(pk=target.id).start == target.start
    assert entry(front_desk_api, offered["id"])["status"] == "offered"
    held = Appointment.objects.get(pk=offered["offer"]["appointment"])
    assert held.status == AppointmentStatus.OFFERED


def test_the_offer_event_renders_its_times_in_the_clinics_zone(front_desk_api, world, full_nine):
    import json

    from backend.interop.webhooks.services import webhook_body

    first = add(front_desk_api, world, world.patients[0])
    cancel(front_desk_api, full_nine[0])
    run()
    event = OutboxEvent.objects.get(type="waitlist.offered")

    data = json.loads(webhook_body(event, world.zone))["data"]

    assert data["waitlist_entry"] == first["id"]
    assert data["start"] == world.at(9).isoformat()
    assert data["expires_at"] == world.at(9).isoformat()
    assert data["status"] == "offered"
    assert "patient_name" not in data

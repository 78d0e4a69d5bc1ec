"""Clinic set-up for managers: hours, closures previewed against bookings, rooms and seats
(retiring one with future bookings is refused), staff and their weekly hours."""

import itertools
from datetime import time, timedelta

import pytest

from backend.plans.services.plans import plan_book, plan_create
from backend.scheduling.booking.models import Appointment
from backend.scheduling.resources.models import Closure, OpeningHours, Room, Seat, Staff
from tests.console.console_html import field_errors, text

pytestmark = pytest.mark.django_db


def closure_body(first, last, **extra) -> dict:
    return {
        "closure-start_date": first,
        "closure-end_date": last,
        "closure-reason": "Holiday",
        **extra,
    }


def test_only_managers_reach_set_up(browsers, world, now):
    assert browsers["manager"].get("/setup/").status_code == 200
    assert browsers["front_desk"].get("/setup/").status_code == 403
    assert (
        browsers["clinician"]
        .post("/setup/rooms/", {"room-name": "X", "room-kind": "dosing"})
        .status_code
        == 403
    )
    assert not Room.objects.filter(name="X").exists()


def test_saving_opening_hours_replaces_the_weekly_windows(manager, world, now):
    body = {
        "hours-from_0": "09:00",
        "hours-to_0": "17:00",
        "hours-from_5": "10:00",
        "hours-to_5": "14:00",
    }

    response = manager.post("/setup/hours/", body)

    assert response.status_code == 302
    hours = sorted((h.weekday, h.opens, h.closes) for h in world.clinic.opening_hours.all())
    assert hours == [(0, time(9), time(17)), (5, time(10), time(14))]


def test_hours_ending_before_they_start_are_refused_next_to_the_field(manager, world, now):
    response = manager.post("/setup/hours/", {"hours-from_0": "17:00", "hours-to_0": "09:00"})

    assert response.status_code == 400
    assert "Must be after the start." in text(response)
    assert world.clinic.opening_hours.count() == 5


def test_a_closure_on_free_days_is_saved_at_once(manager, world, now):
    day = now.date() + timedelta(days=7)

    response = manager.post("/setup/closures/", closure_body(day, day))

    assert response.status_code == 302
    assert Closure.objects.get().reason == "Holiday"


def test_a_closure_over_booked_sessions_is_previewed_and_not_saved(manager, world, now):
    day = now.date() + timedelta(days=1)
    booked = world.book(world.at(day, 11))

    response = manager.post("/setup/closures/", closure_body(day, day))

    assert response.status_code == 200
    page = text(response)
    assert 'id="closure-preview"' in page
    assert f"/appointments/{booked.id}/" in page
    assert not Closure.objects.exists()


def test_saving_and_moving_puts_the_sessions_on_the_next_open_day(manager, world, now):
    day = now.date() + timedelta(days=1)
    booked = world.book(world.at(day, 11))

    response = manager.post("/setup/closures/", closure_body(day, day, action="move"))

    assert response.status_code == 302
    assert Closure.objects.count() == 1
    booked.refresh_from_db()
    assert booked.start.astimezone(world.zone).date() == day + timedelta(days=1)


def test_moving_a_course_session_keeps_the_cadence_through_the_cascade(
    manager, manager_user, world, now
):
    plan = plan_create(
        actor=manager_user,
        patient=world.patient,
        template=world.template,
        start_date=now.date() + timedelta(days=5),
        now=now,
    )
    plan_book(actor=manager_user, plan=plan, now=now)
    sessions = list(Appointment.objects.filter(plan_id=plan.id).order_by("start"))
    first_day = sessions[0].start.astimezone(world.zone).date()

    response = manager.post("/setup/closures/", closure_body(first_day, first_day, action="move"))

    assert response.status_code == 302
    moved = list(Appointment.objects.filter(plan_id=plan.id).order_by("start"))
    assert moved[0].start.astimezone(world.zone).date() > first_day
    for earlier, later in itertools.pairwise(moved):
        assert later.start > earlier.start
        assert (
            later.start.astimezone(world.zone).date() != earlier.start.astimezone(world.zone).date()
        )


def test_deactivating_a_seat_with_future_bookings_is_refused_listing_them(manager, world, now):
    day = now.date() + timedelta(days=1)
    booked = world.book(world.at(day, 11))
    seat = Seat.objects.get(pk=booked.seat_id)

    response = manager.post(f"/seats/{seat.id}/active/", {"active": "0"})

    assert response.status_code == 409
    page = text(response)
    assert "future booking" in page
    assert world.patient.full_name in page
    seat.refresh_from_db()
    assert seat.active


def test_deactivating_a_free_seat_works_and_takes_it_off_the_schedule(manager, world, now):
    seat = world.recliners[1]

    response = manager.post(f"/seats/{seat.id}/active/", {"active": "0"})

    assert response.status_code == 302
    seat.refresh_from_db()
    assert not seat.active
    assert '"/visits/new/?start=' in text(manager.get("/schedule/"))
    assert f"seat={seat.id}" not in text(manager.get("/schedule/"))


def test_adding_a_room_and_a_seat(manager, world, now):
    manager.post("/setup/rooms/", {"room-name": "Ketamine Suite", "room-kind": "dosing"})
    room = Room.objects.get(name="Ketamine Suite")

    response = manager.post(
        "/setup/seats/", {"seat-room": room.id, "seat-name": "Bed 1", "seat-kind": "bed"}
    )

    assert response.status_code == 302
    assert room.seats.get().name == "Bed 1"


def test_a_duplicate_room_name_is_refused_like_the_api(manager, world, now):
    response = manager.post("/setup/rooms/", {"room-name": "Spravato Room", "room-kind": "dosing"})

    assert response.status_code == 400
    assert field_errors(response.content, "room-name") or "already" in text(response)
    assert Room.objects.filter(name="Spravato Room").count() == 1


def test_adding_a_staff_member_with_weekly_hours(manager, world, now):
    response = manager.post(
        "/staff/new/",
        {
            "staff-name": "Nurse New",
            "staff-role": "nurse",
            "staff-email": "",
            "staff-active": "on",
            "hours-from_1": "08:00",
            "hours-to_1": "12:00",
        },
    )

    assert response.status_code == 302
    staff = Staff.objects.get(name="Nurse New")
    assert staff.clinic == world.clinic
    assert [(w.weekday, w.starts, w.ends) for w in staff.working_hours.all()] == [
        (1, time(8), time(12))
    ]


def test_a_day_with_a_lunch_break_keeps_both_windows(manager, world, now):
    body = {
        "hours-from_0": "08:00",
        "hours-to_0": "12:00",
        "hours-from2_0": "13:00",
        "hours-to2_0": "18:00",
    }

    response = manager.post("/setup/hours/", body)
    page = text(manager.get("/setup/"))

    assert response.status_code == 302
    hours = sorted((h.weekday, h.opens, h.closes) for h in world.clinic.opening_hours.all())
    assert hours == [(0, time(8), time(12)), (0, time(13), time(18))]
    assert 'name="hours-from2_0" value="13:00"' in page


def test_overlapping_windows_are_refused_like_the_api(manager, world, now):
    body = {
        "hours-from_0": "08:00",
        "hours-to_0": "12:00",
        "hours-from2_0": "11:00",
        "hours-to2_0": "18:00",
    }

    response = manager.post("/setup/hours/", body)

    assert response.status_code == 400
    assert "overlaps" in text(response)
    assert world.clinic.opening_hours.count() == 5


def test_hours_with_more_windows_than_the_form_holds_are_not_overwritten(manager, world, now):
    OpeningHours.objects.filter(clinic=world.clinic, weekday=0).delete()
    for opens, closes in ((8, 10), (11, 12), (13, 18)):
        OpeningHours.objects.create(
            clinic=world.clinic, weekday=0, opens=time(opens), closes=time(closes)
        )

    page = text(manager.get("/setup/"))
    response = manager.post("/setup/hours/", {"hours-from_1": "09:00", "hours-to_1": "17:00"})

    assert "more than two windows on Monday" in page
    assert response.status_code == 400
    assert world.clinic.opening_hours.filter(weekday=0).count() == 3

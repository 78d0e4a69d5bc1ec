"""The schedule: seats by room and staff lanes over a day or a week, from one fetch."""

from datetime import timedelta

import pytest

from backend.scheduling.booking.services import appointment_cancel
from backend.scheduling.resources.models import Closure, StaffAbsence
from tests.console.console_html import text
from tests.factories import PatientFactory, SeatFactory

pytestmark = pytest.mark.django_db


def test_day_view_shows_seats_by_room_and_a_lane_per_staff_member(front_desk, world, now):
    page = text(front_desk.get("/schedule/"))

    assert "<strong>Spravato Room</strong>" in page
    assert "Recliner 1" in page and "Recliner 2" in page
    for nurse in world.nurses:
        assert nurse.name in page
    assert "Wednesday 6 May 2026" in page


def test_an_appointment_shows_its_session_and_recovery_as_different_spans(front_desk, world, now):
    tomorrow = now.date() + timedelta(days=1)
    appointment = world.book(world.at(tomorrow, 11))

    page = text(front_desk.get("/schedule/", {"date": tomorrow}))

    link = f'href="/appointments/{appointment.id}/"'
    session = page.split('class="blk blk-session', 1)[1].split("</a>", 1)[0]
    recovery = page.split('class="blk blk-recovery', 1)[1].split("</a>", 1)[0]
    assert link in session and "Eleanor Whitaker" in session
    assert link in recovery and "recovery 11:15-13:15" in recovery
    staff_lane = page.split('class="blk blk-staff', 1)[1].split("</a>", 1)[0]
    assert link in staff_lane


def test_a_free_seat_time_links_to_the_visit_form_with_that_start(front_desk, world, now):
    tomorrow = now.date() + timedelta(days=1)

    page = text(front_desk.get("/schedule/", {"date": tomorrow}))

    seat = world.recliners[0].id
    assert f'href="/visits/new/?start={tomorrow}T09%3A00&amp;seat={seat}"' in page


def test_no_free_cell_is_offered_to_a_clinician_or_in_the_past(clinician, front_desk, world, now):
    assert "blk-free" not in text(clinician.get("/schedule/"))
    today = text(front_desk.get("/schedule/"))
    assert f"start={now.date()}T09%3A45" not in today
    assert f"start={now.date()}T10%3A15" in today


def test_closures_and_staff_absences_show(front_desk, world, now):
    tomorrow = now.date() + timedelta(days=1)
    Closure.objects.create(
        clinic=world.clinic, start_date=tomorrow, end_date=tomorrow, reason="Staff training"
    )
    StaffAbsence.objects.create(
        staff=world.nurse, start=world.at(now.date(), 12), end=world.at(now.date(), 14)
    )

    week = text(front_desk.get("/schedule/", {"view": "week"}))

    assert "Closed: Staff training" in week
    assert 'class="blk blk-absence' in week


def test_board_flags_show_on_the_schedule(front_desk, world, now):
    tomorrow = now.date() + timedelta(days=1)
    appointment = world.book(world.at(tomorrow, 11))
    StaffAbsence.objects.create(
        staff=appointment.staff, start=world.at(tomorrow, 0), end=world.at(tomorrow, 23)
    )

    page = text(front_desk.get("/schedule/", {"date": tomorrow}))

    assert "Staff away: needs attention" in page
    assert "blk-flagged" in page


def _slots(world, now) -> list:
    """Spravato starts over next week: four a day on eight recliners, Monday first."""
    seats = [SeatFactory(room=world.dosing_room, name=f"Extra {i}") for i in range(6)]
    monday = now.date() - timedelta(days=now.date().weekday()) + timedelta(days=7)
    # A Spravato visit holds its recliner 2 h 15 min (session and recovery).
    return [
        (monday + timedelta(days=d), start, seat)
        for d in range(5)
        for start in ((8, 0), (10, 15), (12, 30), (14, 45))
        for seat in world.recliners + seats
    ]


def _book(world, slots) -> None:
    for day, (hour, minute), seat in slots:
        patient = PatientFactory(clinic=world.clinic, cleared=True, rems=True)
        world.appointment(
            world.at(day, hour, minute), patient=patient, seat=seat, session_type=world.spravato
        )


@pytest.mark.parametrize("view", ["day", "week"])
def test_schedule_query_count_is_the_same_at_1_and_30_appointments(
    front_desk, world, now, django_assert_num_queries, django_assert_max_num_queries, view
):
    slots = _slots(world, now)
    params = {"date": slots[0][0], "view": view}
    _book(world, slots[:1])
    front_desk.get("/schedule/", params)
    with django_assert_max_num_queries(16) as one:
        assert front_desk.get("/schedule/", params).status_code == 200

    _book(world, slots[1:30])
    with django_assert_num_queries(len(one.captured_queries)):
        page = text(front_desk.get("/schedule/", params))

    # Monday holds all 30 (four starts on eight recliners), so both views show them.
    assert "30 appointments" in page
    assert page.count('class="blk blk-session') == 30


def test_a_cancelled_visit_is_neither_drawn_nor_counted(front_desk, world, now):
    tomorrow = now.date() + timedelta(days=1)
    world.book(world.at(tomorrow, 9))
    cancelled = world.book(world.at(tomorrow, 11), patient=world.other)
    appointment_cancel(actor=None, appointment=cancelled, reason="Ill", now=now)

    page = text(front_desk.get("/schedule/", {"date": tomorrow}))

    assert "1 appointment." in page
    assert f"/appointments/{cancelled.id}/" not in page

"""Staff absences in the console: record, see what they hit, reassign from "needs attention"."""

from datetime import timedelta

import pytest

from backend.scheduling.booking.models import Appointment
from backend.scheduling.resources.models import StaffAbsence
from tests.console.console_html import field_errors, text

pytestmark = pytest.mark.django_db


def absences_url(staff) -> str:
    return f"/staff/{staff.id}/absences/"


def test_staff_page_lists_the_clinics_staff_with_a_link_to_their_absences(front_desk, world, now):
    page = text(front_desk.get("/staff/"))

    for nurse in world.nurses:
        assert nurse.name in page
        assert absences_url(nurse) in page


def test_recording_a_sick_day_flags_the_nurses_booked_sessions(front_desk, world, now):
    tomorrow = now.date() + timedelta(days=1)
    hit = world.book(world.at(tomorrow, 11))
    nurse = hit.staff

    response = front_desk.post(
        absences_url(nurse),
        {"kind": "absence", "first_day": tomorrow, "last_day": tomorrow, "reason": "Sick"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/attention/"
    absence = StaffAbsence.objects.get()
    assert absence.all_day
    attention = text(front_desk.get("/attention/"))
    assert f'id="attention-{hit.id}"' in attention
    assert f"/appointments/{hit.id}/reassign/" in attention
    board = text(front_desk.get(f"/?date={tomorrow}"))
    assert "Staff away: needs attention" in board


def test_an_absence_form_without_days_or_hours_is_refused_next_to_the_field(front_desk, world, now):
    response = front_desk.post(absences_url(world.nurse), {"kind": "absence"})

    assert response.status_code == 400
    assert field_errors(response.content, "first_day") == ["Give the days away, or the hours."]
    assert not StaffAbsence.objects.exists()


def test_a_clinician_sees_absences_but_cannot_record_them(clinician, world, now):
    tomorrow = now.date() + timedelta(days=1)

    page = clinician.get(absences_url(world.nurse))
    response = clinician.post(
        absences_url(world.nurse), {"kind": "absence", "first_day": tomorrow, "last_day": tomorrow}
    )

    assert page.status_code == 200
    assert "Record time off" not in text(page)
    assert response.status_code == 403
    assert not StaffAbsence.objects.exists()


def test_reassigning_gives_the_session_to_the_nurse_who_is_in(front_desk, world, now):
    tomorrow = now.date() + timedelta(days=1)
    hit = world.book(world.at(tomorrow, 11))
    away, other = hit.staff, next(n for n in world.nurses if n != hit.staff)
    front_desk.post(
        absences_url(away), {"kind": "absence", "first_day": tomorrow, "last_day": tomorrow}
    )

    proposal = text(front_desk.get(f"/appointments/{hit.id}/reassign/"))
    form = proposal.split('<form method="post">', 1)[1]
    start = form.split('name="start" value="', 1)[1].split('"', 1)[0]
    staff = form.split('name="staff" value="', 1)[1].split('"', 1)[0]
    response = front_desk.post(
        f"/appointments/{hit.id}/reassign/", {"start": start, "staff": staff}
    )

    assert f"<strong>{other.name}</strong> is working and free" in proposal
    assert response.status_code == 302
    hit.refresh_from_db()
    assert hit.staff_id == other.id
    assert hit.start == world.at(tomorrow, 11)
    assert "Nothing needs attention." in text(front_desk.get("/attention/"))


def test_reassigning_moves_to_the_nearest_start_when_nobody_is_free(front_desk, world, now):
    tomorrow = now.date() + timedelta(days=1)
    hit = world.book(world.at(tomorrow, 11))
    for nurse in world.nurses:
        front_desk.post(
            absences_url(nurse),
            {
                "kind": "absence",
                "start": world.at(tomorrow, 8).strftime("%Y-%m-%dT%H:%M"),
                "end": world.at(tomorrow, 13).strftime("%Y-%m-%dT%H:%M"),
            },
        )

    proposal = text(front_desk.get(f"/appointments/{hit.id}/reassign/"))
    form = proposal.split('<form method="post">', 1)[1]
    start = form.split('name="start" value="', 1)[1].split('"', 1)[0]
    staff = form.split('name="staff" value="', 1)[1].split('"', 1)[0]
    response = front_desk.post(
        f"/appointments/{hit.id}/reassign/", {"start": start, "staff": staff}
    )

    assert "The nearest start is" in proposal
    assert response.status_code == 302
    hit.refresh_from_db()
    assert hit.start == world.at(tomorrow, 13)


def test_a_stale_reassignment_is_refused_and_changes_nothing(front_desk, world, now):
    tomorrow = now.date() + timedelta(days=1)
    hit = world.book(world.at(tomorrow, 11))
    other = next(n for n in world.nurses if n != hit.staff)
    for nurse in world.nurses:
        front_desk.post(
            absences_url(nurse), {"kind": "absence", "first_day": tomorrow, "last_day": tomorrow}
        )

    response = front_desk.post(
        f"/appointments/{hit.id}/reassign/",
        {"start": world.at(tomorrow, 11).strftime("%Y-%m-%dT%H:%M"), "staff": other.id},
    )

    assert response.status_code == 409
    assert Appointment.objects.get(pk=hit.pk).staff_id == hit.staff_id


def test_deleting_an_absence_clears_the_flag(front_desk, world, now):
    tomorrow = now.date() + timedelta(days=1)
    hit = world.book(world.at(tomorrow, 11))
    front_desk.post(
        absences_url(hit.staff), {"kind": "absence", "first_day": tomorrow, "last_day": tomorrow}
    )
    absence = StaffAbsence.objects.get()

    response = front_desk.post(f"/absences/{absence.id}/delete/")

    assert response.status_code == 302
    assert "Nothing needs attention." in text(front_desk.get("/attention/"))

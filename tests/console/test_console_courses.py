"""The new-course wizard: step 1 with field errors, the week-grid preview with moves and
reasons, booking what was shown, double submits and conflicts that keep the user's pins."""

import re
from datetime import date, datetime

import pytest

from backend.plans.models import PlanStatus, TreatmentPlan
from backend.scheduling.booking.models import Appointment, AppointmentStatus
from tests.console.console_html import (
    field_errors,
    field_value,
    form_posting_to,
    input_value,
    text,
)
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

NEXT_MONDAY = date(2026, 5, 11)


def step_one(world, **changes) -> dict:
    body = {
        "patient": world.patient.id,
        "template": world.template.id,
        "start_date": NEXT_MONDAY.isoformat(),
        "weekdays": ["0", "3"],
        "earliest_time": "09:00",
        "latest_time": "12:00",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def create_plan(client, world, **changes) -> TreatmentPlan:
    response = client.post("/courses/new/", step_one(world, **changes))
    assert response.status_code == 302, text(response)
    return TreatmentPlan.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))


def test_step_one_offers_the_clinic_patients_templates_and_staff(front_desk, world, now):
    page = text(front_desk.get(f"/courses/new/?patient={world.patient.id}"))

    assert "Whitaker, Eleanor (screening cleared, REMS enrolled)" in page
    assert "Esketamine nasal spray (treatment-resistant depression)" in page
    assert "Nurse A" in page
    assert field_value(page, "start_date") == "2026-05-06"
    assert "Screening: <strong>Cleared</strong>" in page


def test_step_one_is_for_booking_roles_only(clinician, world, now):
    assert clinician.get("/courses/new/").status_code == 403
    assert clinician.post("/courses/new/", step_one(world)).status_code == 403
    assert not TreatmentPlan.objects.exists()


def test_step_one_creates_a_draft_and_opens_its_preview(front_desk, world, now):
    response = front_desk.post("/courses/new/", step_one(world))

    plan = TreatmentPlan.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/courses/{plan.id}/"
    assert plan.status == PlanStatus.DRAFT
    assert plan.pref_weekdays == [0, 3]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        pytest.param({"patient": None}, "patient", "This field is required.", id="no-patient"),
        pytest.param(
            {"start_date": "2026-05-01"}, "start_date", "The start date is in the past.", id="past"
        ),
        pytest.param(
            {"earliest_time": "12:00", "latest_time": "09:00"},
            "latest_time",
            "The latest start is before the earliest start.",
            id="window-backwards",
        ),
        pytest.param(
            {"earliest_time": "17:30", "latest_time": "17:45"},
            "weekdays",
            "No allowed day and time window leaves room",
            id="window-too-late",
        ),
    ],
)
def test_step_one_errors_sit_next_to_their_field(front_desk, world, now, changes, field, message):
    response = front_desk.post("/courses/new/", step_one(world, **changes))

    assert response.status_code == 400
    errors = field_errors(text(response), field)
    assert len(errors) == 1
    assert errors[0].startswith(message)
    assert not TreatmentPlan.objects.exists()


def test_step_one_keeps_what_was_entered_after_an_error(front_desk, world, now):
    response = front_desk.post("/courses/new/", step_one(world, start_date="2026-05-01"))

    page = text(response)
    assert field_value(page, "earliest_time") == "09:00"
    checked = re.findall(r'<input type="checkbox" name="weekdays" value="(\d)"[^>]*checked', page)
    assert checked == ["0", "3"]


def test_change_link_prefills_step_one_from_the_draft(front_desk, world, now):
    plan = create_plan(front_desk, world)

    page = text(front_desk.get(f"/courses/new/?from={plan.id}"))

    assert field_value(page, "earliest_time") == "09:00"
    assert field_value(page, "start_date") == NEXT_MONDAY.isoformat()


def test_preview_is_a_week_grid_with_every_session(front_desk, world, now):
    plan = create_plan(front_desk, world)

    page = text(front_desk.get(f"/courses/{plan.id}/"))

    assert '<th scope="col">Mon</th>' in page
    assert "Week 1" in page
    assert 'id="session-1"' in page
    assert "Spravato Room / Recliner 1" in page
    assert "#1</span> Induction" in page
    assert "Not placed" not in page
    book = form_posting_to(page, f"/courses/{plan.id}/book/")
    assert book["start_1"].startswith("2026-05-11T09:00:00-04:00")
    assert "token" in book


def test_preview_shows_times_in_the_clinic_zone(front_desk, world, now, settings):
    settings.TIME_ZONE = "Asia/Kolkata"
    plan = create_plan(front_desk, world)

    page = text(front_desk.get(f"/courses/{plan.id}/"))

    assert "<strong>09:00</strong>" in page
    assert input_value(page, "s1") == "2026-05-11T09:00"


def test_clinicians_see_the_preview_without_move_or_book(clinician, front_desk, world, now):
    plan = create_plan(front_desk, world)

    page = text(clinician.get(f"/courses/{plan.id}/"))

    assert 'id="session-1"' in page
    assert 'name="s1"' not in page
    assert f'action="/courses/{plan.id}/book/"' not in page
    assert clinician.post(f"/courses/{plan.id}/book/", {}).status_code == 403


def test_moving_a_session_pins_it_in_the_next_preview(front_desk, world, now):
    plan = create_plan(front_desk, world)
    query = {"s1": "2026-05-11T10:30", "o1": "2026-05-11T09:00", "s2": "x", "o2": "x"}

    page = text(front_desk.get(f"/courses/{plan.id}/", query))

    assert input_value(page, "s1") == "2026-05-11T10:30"
    assert 'name="p1" value="1" checked' in page
    assert "session-pinned" in page
    assert form_posting_to(page, f"/courses/{plan.id}/book/")["pin_1"] == "2026-05-11T10:30"


def test_unchanged_inputs_are_not_pins(front_desk, world, now):
    plan = create_plan(front_desk, world)

    page = text(
        front_desk.get(f"/courses/{plan.id}/", {"s1": "2026-05-11T09:00", "o1": "2026-05-11T09:00"})
    )

    assert "session-pinned" not in page


def test_a_move_to_an_impossible_time_comes_back_unplaced_with_its_reason(front_desk, world, now):
    plan = create_plan(front_desk, world)

    page = text(front_desk.get(f"/courses/{plan.id}/", {"s1": "2026-05-11T06:00", "o1": "x"}))

    assert "Not placed (1)" in page
    unplaced = page.split('id="unplaced-title"', 1)[1]
    assert "#1 Induction" in unplaced
    assert "opening hours" in unplaced
    assert 'value="2026-05-11T06:00"' in unplaced
    assert "Place every session first." in page


def test_an_ineligible_patient_cannot_be_booked_and_is_told_why(front_desk, world, now):
    plan = create_plan(front_desk, world, patient=world.pending.id)

    page = text(front_desk.get(f"/courses/{plan.id}/"))

    assert "Cannot be booked yet" in page
    assert "Screening for Tyler Brooks is pending" in page
    assert "disabled>Book course" in page


def test_book_books_exactly_what_was_shown(front_desk, world, now):
    plan = create_plan(front_desk, world)
    shown = form_posting_to(
        text(front_desk.get(f"/courses/{plan.id}/")), f"/courses/{plan.id}/book/"
    )

    response = front_desk.post(f"/courses/{plan.id}/book/", shown)

    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.BOOKED
    booked = {
        f"start_{a.ordinal}": a.start.astimezone(world.clinic.zone).isoformat()
        for a in Appointment.objects.filter(plan_id=plan.id)
    }
    assert booked == {k: v for k, v in shown.items() if k.startswith("start_")}
    page = text(front_desk.get(f"/courses/{plan.id}/"))
    assert f"Booked {len(booked)} sessions for Eleanor Whitaker." in page
    assert "Every session of this course is booked." in page


def test_book_with_a_moved_session_books_it_at_the_moved_time(front_desk, world, now):
    plan = create_plan(front_desk, world)
    page = text(front_desk.get(f"/courses/{plan.id}/", {"s1": "2026-05-11T10:30", "o1": "x"}))

    front_desk.post(f"/courses/{plan.id}/book/", form_posting_to(page, f"/courses/{plan.id}/book/"))

    first = Appointment.objects.get(plan_id=plan.id, ordinal=1)
    assert first.start == world.at(NEXT_MONDAY, 10, 30)


def test_a_second_click_on_book_books_nothing_more(front_desk, world, now):
    plan = create_plan(front_desk, world)
    shown = form_posting_to(
        text(front_desk.get(f"/courses/{plan.id}/")), f"/courses/{plan.id}/book/"
    )
    front_desk.post(f"/courses/{plan.id}/book/", shown)
    count = Appointment.objects.count()

    again = front_desk.post(f"/courses/{plan.id}/book/", shown, follow=True)

    assert Appointment.objects.count() == count
    assert "This course was already submitted for booking." in text(again)


def test_a_conflict_at_booking_shows_what_changed_and_keeps_the_pins(front_desk, world, now):
    plan = create_plan(front_desk, world)
    page = text(front_desk.get(f"/courses/{plan.id}/", {"s1": "2026-05-11T10:30", "o1": "x"}))
    shown = form_posting_to(page, f"/courses/{plan.id}/book/")
    # Meanwhile both recliners are taken at the time session 2 was shown.
    taken = datetime.fromisoformat(shown["start_2"])
    for patient in (world.other, PatientFactory(clinic=world.clinic, cleared=True, rems=True)):
        world.book(taken, patient=patient)

    response = front_desk.post(f"/courses/{plan.id}/book/", shown)

    page = text(response)
    assert response.status_code == 409
    assert 'class="alert alert-conflict"' in page
    assert "nothing was booked" in page
    assert '<a href="#session-2"><strong>Session 2</strong></a>' in page
    assert input_value(page, "s1") == "2026-05-11T10:30"
    assert "session-pinned" in page
    assert not Appointment.objects.filter(plan_id=plan.id).exists()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT


def test_booked_course_lists_its_appointments(front_desk, world, now):
    plan = create_plan(front_desk, world)
    shown = form_posting_to(
        text(front_desk.get(f"/courses/{plan.id}/")), f"/courses/{plan.id}/book/"
    )
    front_desk.post(f"/courses/{plan.id}/book/", shown)

    page = text(front_desk.get(f"/courses/{plan.id}/"))

    assert "Appointments of this course" in page
    first = Appointment.objects.get(plan_id=plan.id, ordinal=1)
    assert f'href="/appointments/{first.id}/"' in page
    assert first.status == AppointmentStatus.BOOKED


def test_a_move_that_is_not_a_date_and_time_is_an_error_in_its_cell(front_desk, world, now):
    plan = create_plan(front_desk, world)

    page = text(front_desk.get(f"/courses/{plan.id}/", {"s1": "next tuesday", "o1": "x"}))

    cell = page.split('id="session-1"', 1)[1].split("</details>", 1)[0]
    assert "Enter a date and time." in cell
    assert '<details class="move" open>' in cell
    assert "session-pinned" not in page

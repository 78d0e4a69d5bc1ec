"""The appointment page: details, holds, history, reschedule with preview, cancel, escort."""

from datetime import timedelta

import pytest

from backend.plans.services.plans import plan_book, plan_create
from backend.scheduling.booking.models import Appointment, AppointmentEvent, AppointmentStatus
from tests.console.console_html import field_errors, field_value, forms_on, text
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def url(appointment, action: str = "") -> str:
    return f"/appointments/{appointment.id}/{action + '/' if action else ''}"


def test_page_shows_details_holds_and_history_in_the_clinic_zone(front_desk, world, now, settings):
    settings.TIME_ZONE = "Australia/Sydney"
    appointment = world.book(world.at(now.date() + timedelta(days=1), 9), actor=None)

    page = text(front_desk.get(url(appointment)))

    assert "Thursday 7 May 2026, 09:00" in page
    assert "Spravato Room / Recliner 1" in page
    assert "<td>Session</td>" in page
    assert "<td>Recovery</td>" in page
    assert "Thu 7 May, 09:15" in page  # the recovery hold starts when the session ends
    assert "<strong>booked</strong>" in page
    assert "Harold Whitaker" in page


def test_ics_download_is_linked_and_works_with_the_session(front_desk, world, now):
    appointment = world.book(world.at(now.date() + timedelta(days=1), 9))

    page = text(front_desk.get(url(appointment)))
    ics = front_desk.get(f"/api/v1/appointments/{appointment.id}/ics/")

    assert f'href="/api/v1/appointments/{appointment.id}/ics/" download' in page
    assert ics.status_code == 200
    assert ics["Content-Type"].startswith("text/calendar")


@pytest.mark.parametrize(
    ("role", "offered"),
    [
        ("front_desk", {"reschedule", "cancel", "escort"}),
        ("manager", {"reschedule", "cancel", "escort"}),
        ("clinician", {"escort"}),
    ],
)
def test_forms_are_offered_by_role(browsers, world, now, role, offered):
    appointment = world.book(world.at(now.date() + timedelta(days=1), 9))

    page = text(browsers[role].get(url(appointment)))

    actions = {f["action"] for f in forms_on(page)}
    for name in ("reschedule", "cancel", "escort"):
        assert (url(appointment, name) in actions) is (name in offered)


@pytest.mark.parametrize("action", ["reschedule", "cancel"])
def test_clinicians_may_not_post_booking_changes(clinician, world, now, action):
    appointment = world.book(world.at(now.date() + timedelta(days=1), 9))
    body = {"start": "2026-05-07T10:00", "action": "confirm", "reason": "sick"}

    response = clinician.post(url(appointment, action), body)

    assert response.status_code == 403
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED
    assert appointment.start == world.at(now.date() + timedelta(days=1), 9)


def test_reschedule_preview_lists_the_move_and_writes_nothing(front_desk, world, now):
    appointment = world.book(world.at(now.date() + timedelta(days=1), 9))
    events = AppointmentEvent.objects.count()

    response = front_desk.post(
        url(appointment, "reschedule"), {"start": "2026-05-07T10:30", "action": "preview"}
    )

    page = text(response)
    assert response.status_code == 200
    assert "What would move" in page
    assert "<td>Thu 7 May, 09:00</td><td><strong>Thu 7 May, 10:30</strong></td>" in page
    assert field_value(page, "start") == "2026-05-07T10:30"
    assert 'value="confirm"' in page
    appointment.refresh_from_db()
    assert appointment.start == world.at(now.date() + timedelta(days=1), 9)
    assert AppointmentEvent.objects.count() == events


def test_reschedule_confirm_moves_the_appointment(front_desk, world, now):
    appointment = world.book(world.at(now.date() + timedelta(days=1), 9))

    response = front_desk.post(
        url(appointment, "reschedule"), {"start": "2026-05-07T10:30", "action": "confirm"}
    )

    assert response.status_code == 302
    appointment.refresh_from_db()
    assert appointment.start == world.at(now.date() + timedelta(days=1), 10, 30)
    assert "Appointment moved." in text(front_desk.get(url(appointment)))


def test_cascade_preview_shows_the_later_sessions_that_move(
    front_desk, front_desk_user, world, now
):
    plan = plan_create(
        actor=front_desk_user,
        patient=world.patient,
        template=world.template,
        start_date=now.date() + timedelta(days=5),
        now=now,
    )
    booking = plan_book(actor=front_desk_user, plan=plan, now=now)
    first = min(booking.appointments, key=lambda a: a.ordinal)
    second = next(a for a in booking.appointments if a.ordinal == 2)
    later = first.start.astimezone(world.clinic.zone).date() + timedelta(days=1)

    response = front_desk.post(
        url(first, "reschedule"),
        {"start": f"{later.isoformat()}T09:00", "cascade": "on", "action": "preview"},
    )

    page = text(response)
    assert response.status_code == 200, page
    moved = page.split('id="moves"', 1)[1].split("</table>", 1)[0]
    assert "<td>#1</td>" in moved
    assert "<td>#2</td>" in moved
    assert Appointment.objects.get(pk=second.pk).start == second.start


def test_reschedule_outside_hours_is_an_error_next_to_the_start(front_desk, world, now):
    appointment = world.book(world.at(now.date() + timedelta(days=1), 9))

    response = front_desk.post(
        url(appointment, "reschedule"), {"start": "2026-05-07T06:00", "action": "preview"}
    )

    assert response.status_code == 400
    errors = field_errors(text(response), "start")
    assert len(errors) == 1
    assert "opening hours" in errors[0]
    assert field_value(text(response), "start") == "2026-05-07T06:00"


def test_reschedule_with_a_garbled_time_is_a_field_error(front_desk, world, now):
    appointment = world.book(world.at(now.date() + timedelta(days=1), 9))

    response = front_desk.post(url(appointment, "reschedule"), {"start": "soon"})

    assert response.status_code == 400
    assert field_errors(text(response), "start") == ["Enter a date and time."]


def test_reschedule_conflict_lists_what_is_in_the_way_and_keeps_the_input(front_desk, world, now):
    day = now.date() + timedelta(days=1)
    appointment = world.book(world.at(day, 9))
    for seat_holder in (world.other, PatientFactory(clinic=world.clinic, cleared=True, rems=True)):
        world.book(world.at(day, 12), patient=seat_holder)

    response = front_desk.post(
        url(appointment, "reschedule"), {"start": "2026-05-07T12:00", "action": "confirm"}
    )

    page = text(response)
    assert response.status_code == 409
    assert 'class="alert alert-conflict"' in page
    assert "This time is not free" in page
    assert "The next free start is" in page
    assert field_value(page, "start") == "2026-05-07T12:00"
    appointment.refresh_from_db()
    assert appointment.start == world.at(day, 9)


def test_cancel_needs_a_reason_next_to_its_field(front_desk, world, now):
    appointment = world.book(world.at(now.date() + timedelta(days=1), 9))

    response = front_desk.post(url(appointment, "cancel"), {"reason": ""})

    assert response.status_code == 400
    assert field_errors(text(response), "reason") == ["This field is required."]
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED


def test_cancel_keeps_the_row_with_its_reason(front_desk, world, now):
    appointment = world.book(world.at(now.date() + timedelta(days=1), 9))

    response = front_desk.post(url(appointment, "cancel"), {"reason": "Patient has a cold"})

    assert response.status_code == 302
    page = text(front_desk.get(url(appointment)))
    assert "Patient has a cold" in page
    assert url(appointment, "cancel") not in {f["action"] for f in forms_on(page)}
    assert url(appointment, "reschedule") not in {f["action"] for f in forms_on(page)}


def test_cancelling_a_discharged_appointment_is_a_conflict_box(
    front_desk, clinician_user, world, now
):
    appointment = world.discharged(world.at(now.date(), 8), clinician=clinician_user)

    response = front_desk.post(url(appointment, "cancel"), {"reason": "typo"})

    assert response.status_code == 409
    assert "is discharged and cannot be cancelled" in text(response)


def test_escort_can_be_changed_by_any_role(clinician, world, now):
    appointment = world.book(world.at(now.date() + timedelta(days=1), 9))

    response = clinician.post(url(appointment, "escort"), {"name": "Ruth", "phone": "555-0000"})

    assert response.status_code == 302
    appointment.refresh_from_db()
    assert (appointment.escort_name, appointment.escort_phone) == ("Ruth", "555-0000")


def test_day_steps_are_offered_on_the_appointment_page(clinician, world, now):
    appointment = world.book(world.at(now.date(), 11))

    page = text(clinician.get(url(appointment)))

    assert url(appointment, "check-in") in {f["action"] for f in forms_on(page)}


def test_unknown_appointment_is_not_found(front_desk, world, now):
    assert front_desk.get("/appointments/999999/").status_code == 404

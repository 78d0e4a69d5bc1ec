"""One-off visits: free starts from availability, booking through the booking service,
conflicts answered as the API answers them."""

from datetime import timedelta

import pytest

from backend.scheduling.booking.models import Appointment
from tests.console.console_html import field_errors, text

pytestmark = pytest.mark.django_db


def local(dt) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M")


def test_a_free_cell_prefills_the_start_and_seat(front_desk, world, now):
    tomorrow = now.date() + timedelta(days=1)
    seat = world.recliners[1]

    page = text(front_desk.get("/visits/new/", {"start": f"{tomorrow}T09:00", "seat": seat.id}))

    assert f'value="{tomorrow}T09:00"' in page
    assert f'<option value="{seat.id}" selected>' in page


def test_free_starts_come_from_availability_with_seat_and_staff(front_desk, world, now):
    tomorrow = now.date() + timedelta(days=1)

    page = text(
        front_desk.get(
            "/visits/new/",
            {
                "patient": world.patient.id,
                "session_type": world.spravato.id,
                "start": f"{tomorrow}T08:00",
            },
        )
    )

    slots = page.split('class="slot-list"', 1)[1].split("</ul>", 1)[0]
    assert "Thu 7 May, 08:00" in slots
    assert "Spravato Room / Recliner 1" in slots
    assert "Nurse A" in slots


def test_booking_a_visit_with_escort_details_opens_the_appointment(front_desk, world, now):
    tomorrow = now.date() + timedelta(days=1)

    response = front_desk.post(
        "/visits/new/",
        {
            "patient": world.patient.id,
            "session_type": world.spravato.id,
            "start": local(world.at(tomorrow, 9)),
            "seat": world.recliners[1].id,
            "escort_name": "Kim Driver",
            "escort_phone": "(212) 555-0188",
        },
    )

    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/appointments/{appointment.id}/"
    assert appointment.start == world.at(tomorrow, 9)
    assert appointment.seat_id == world.recliners[1].id
    assert (appointment.escort_name, appointment.escort_phone) == ("Kim Driver", "+12125550188")
    assert appointment.plan_id is None


def test_a_taken_seat_answers_409_with_what_clashes_and_the_next_free_start(front_desk, world, now):
    tomorrow = now.date() + timedelta(days=1)
    world.book(world.at(tomorrow, 9), patient=world.other)

    response = front_desk.post(
        "/visits/new/",
        {
            "patient": world.patient.id,
            "session_type": world.spravato.id,
            "start": local(world.at(tomorrow, 9)),
            "seat": world.recliners[0].id,
        },
    )

    assert response.status_code == 409
    page = text(response)
    assert 'id="conflict"' in page
    assert "Recliner 1 is taken" in page
    assert "The next free start is" in page
    assert Appointment.objects.count() == 1


def test_a_visit_without_a_start_is_refused_next_to_the_field(front_desk, world, now):
    response = front_desk.post(
        "/visits/new/", {"patient": world.patient.id, "session_type": world.spravato.id}
    )

    assert response.status_code == 400
    assert field_errors(response.content, "start")
    assert not Appointment.objects.exists()


def test_a_clinician_may_not_book_a_visit(clinician, world, now):
    response = clinician.post(
        "/visits/new/",
        {
            "patient": world.patient.id,
            "session_type": world.spravato.id,
            "start": local(world.at(now.date() + timedelta(days=1), 9)),
        },
    )

    assert response.status_code == 403
    assert not Appointment.objects.exists()

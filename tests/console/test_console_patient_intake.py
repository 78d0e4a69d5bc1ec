"""Registering and editing patients in the console: E.164 phones, duplicates shown before
saving, deactivation instead of deletion, search by name, date of birth or phone."""

from datetime import date, timedelta

import pytest

from backend.scheduling.resources.models import Patient
from tests.console.console_html import field_errors, text

pytestmark = pytest.mark.django_db


def registration(**overrides) -> dict:
    body = {
        "first_name": "Ana",
        "last_name": "López",
        "date_of_birth": "1980-03-04",
        "phone": "(212) 555-0142",
        "email": "ana@example.org",
        "email_consent": "on",
        "sms_consent": "on",
        "escort_name": "Luis López",
        "escort_phone": "+44 20 7946 0958",
        "screening_status": "cleared",
        "screening_date": "2026-04-01",
        "rems_enrolled_on": "",
    }
    body.update(overrides)
    return body


def test_registering_a_patient_stores_phones_in_e164_and_opens_the_record(front_desk, world, now):
    response = front_desk.post("/patients/new/", registration())

    patient = Patient.objects.get(last_name="López")
    assert response.status_code == 302
    assert response["Location"] == f"/patients/{patient.id}/"
    assert (patient.phone, patient.escort_phone) == ("+12125550142", "+442079460958")
    assert patient.clinic == world.clinic
    assert patient.sms_consent and patient.email_consent
    assert patient.date_of_birth == date(1980, 3, 4)
    page = text(front_desk.get(response["Location"]))
    assert "(212) 555-0142" in page
    assert "SMS agreed" in page


def test_an_invalid_phone_is_refused_next_to_the_field(front_desk, world, now):
    response = front_desk.post("/patients/new/", registration(phone="555-0100"))

    assert response.status_code == 400
    assert field_errors(response.content, "phone")
    assert not Patient.objects.filter(last_name="López").exists()


def test_a_cleared_screening_without_its_date_is_refused_like_the_api(front_desk, world, now):
    response = front_desk.post("/patients/new/", registration(screening_date=""))

    assert response.status_code == 400
    assert field_errors(response.content, "screening_date") == [
        "A cleared screening needs the date it was done."
    ]


def test_a_possible_duplicate_is_shown_before_saving_and_saved_only_when_confirmed(
    front_desk, world, now
):
    first = front_desk.post("/patients/new/", registration())
    assert first.status_code == 302

    again = front_desk.post(
        "/patients/new/", registration(first_name=" ana ", last_name="LÓPEZ", phone="")
    )
    confirmed = front_desk.post(
        "/patients/new/",
        registration(first_name="Ana", last_name="López", phone="", save_anyway="on"),
    )

    assert again.status_code == 409
    page = text(again)
    assert 'id="duplicates"' in page
    assert "save anyway" in page.lower()
    assert confirmed.status_code == 302
    assert Patient.objects.filter(last_name__iexact="lópez").count() == 2


def test_editing_keeps_the_record_and_does_not_flag_itself_as_a_duplicate(front_desk, world, now):
    patient = world.patient
    body = registration(
        first_name=patient.first_name,
        last_name=patient.last_name,
        date_of_birth="1970-01-01",
        screening_date="2026-01-05",
    )

    response = front_desk.post(f"/patients/{patient.id}/edit/", body)

    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.phone == "+12125550142"


def test_deactivating_hides_the_patient_from_the_list_but_keeps_the_record(front_desk, world, now):
    patient = world.patient

    response = front_desk.post(f"/patients/{patient.id}/active/", {"active": "0"})

    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.active is False
    assert "Whitaker" not in text(front_desk.get("/patients/")).split("<tbody>", 1)[1]
    everyone = text(front_desk.get("/patients/", {"inactive": "on"}))
    assert "Whitaker, Eleanor" in everyone
    assert front_desk.get(f"/patients/{patient.id}/").status_code == 200


def test_a_clinician_may_not_register_or_deactivate(clinician, world, now):
    assert clinician.post("/patients/new/", registration()).status_code == 403
    assert (
        clinician.post(f"/patients/{world.patient.id}/active/", {"active": "0"}).status_code == 403
    )
    assert not Patient.objects.filter(last_name="López").exists()
    world.patient.refresh_from_db()
    assert world.patient.active


@pytest.mark.parametrize(
    ("query", "found"),
    [
        pytest.param("1980-03-04", True, id="date-of-birth"),
        pytest.param("03/04/1980", True, id="us-date"),
        pytest.param("212 555 0142", True, id="phone"),
        pytest.param("+44 20 7946 0958", True, id="escort-phone"),
        pytest.param("1980-03-05", False, id="other-date"),
        pytest.param("lóp", True, id="name"),
    ],
)
def test_search_finds_a_patient_by_name_date_of_birth_or_phone(
    front_desk, world, now, query, found
):
    front_desk.post("/patients/new/", registration())

    rows = text(front_desk.get("/patients/", {"q": query})).split("<tbody>", 1)[1]

    assert ("López, Ana" in rows) is found


def test_a_field_error_is_tied_to_its_input_for_screen_readers(front_desk, world, now):
    page = text(front_desk.post("/patients/new/", registration(phone="555-0100")))

    phone_input = page.split('name="phone"', 1)[1].split(">", 1)[0]
    assert 'aria-invalid="true"' in phone_input
    assert 'aria-describedby="id_phone_helptext id_phone_error"' in phone_input
    assert '<ul class="errorlist" id="id_phone_error">' in page
    assert '<label for="id_phone">' in page


def test_deactivating_a_patient_with_sessions_ahead_says_so(front_desk, world, now):
    world.book(world.at(now.date() + timedelta(days=1), 9))

    response = front_desk.post(
        f"/patients/{world.patient.id}/active/", {"active": "0"}, follow=True
    )

    assert "1 booked appointment still ahead" in text(response)

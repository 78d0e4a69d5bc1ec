import datetime as dt

import pytest
from django.utils import timezone

from backend.scheduling.resources.models import Patient
from tests.factories import AppointmentFactory, ClinicFactory, PatientFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/patients/"


def local_today(clinic):
    return timezone.now().astimezone(clinic.zone).date()


def patient_payload(clinic, **overrides):
    payload = {
        "clinic": clinic.id,
        "first_name": "Avery",
        "last_name": "Lindqvist",
        "date_of_birth": "1984-02-29",
        "email": "avery@example.org",
        "phone": "+1 212 555 0142",
        "escort_name": "Jo Lindqvist",
        "escort_phone": "+1 212 555 0143",
    }
    payload.update(overrides)
    return payload


def test_patient_create_defaults_to_pending_screening(front_desk_api, clinic):
    response = front_desk_api.post(URL, patient_payload(clinic), format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["full_name"] == "Avery Lindqvist"
    assert body["screening_status"] == "pending"
    assert body["screening_date"] is None
    assert body["active"] is True


def test_patient_cleared_with_a_date_is_accepted(front_desk_api, clinic):
    payload = patient_payload(clinic, screening_status="cleared", screening_date="2026-01-05")

    response = front_desk_api.post(URL, payload, format="json")

    assert response.status_code == 201
    assert response.json()["screening_status"] == "cleared"


def test_patient_cleared_without_a_date_is_refused(front_desk_api, clinic):
    payload = patient_payload(clinic, screening_status="cleared")

    response = front_desk_api.post(URL, payload, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "screening_date": ["A cleared screening needs the date it was done."]
    }
    assert Patient.objects.count() == 0


def test_patient_patch_to_cleared_uses_the_stored_date(front_desk_api, clinic):
    patient = PatientFactory(clinic=clinic, screening_date=dt.date(2026, 1, 5))

    response = front_desk_api.patch(
        f"{URL}{patient.id}/", {"screening_status": "cleared"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["screening_status"] == "cleared"


def test_patient_patch_to_cleared_without_any_date_is_refused(front_desk_api, clinic):
    patient = PatientFactory(clinic=clinic)

    response = front_desk_api.patch(
        f"{URL}{patient.id}/", {"screening_status": "cleared"}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["screening_date"]
    patient.refresh_from_db()
    assert patient.screening_status == "pending"


def test_patient_removing_the_date_of_a_cleared_screening_is_refused(front_desk_api, clinic):
    patient = PatientFactory(clinic=clinic, cleared=True)

    response = front_desk_api.patch(f"{URL}{patient.id}/", {"screening_date": None}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["screening_date"]


@pytest.mark.parametrize("field", ["screening_date", "rems_enrolled_on", "date_of_birth"])
def test_patient_date_in_the_future_is_refused(front_desk_api, clinic, field):
    tomorrow = local_today(clinic) + dt.timedelta(days=1)
    payload = patient_payload(clinic, **{field: tomorrow.isoformat()})

    response = front_desk_api.post(URL, payload, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        field: [
            f"Cannot be in the future (today is {local_today(clinic).isoformat()} at the clinic)."
        ]
    }
    assert Patient.objects.count() == 0


def test_patient_future_is_judged_by_the_clinic_calendar(front_desk_api):
    # Kiritimati (UTC+14) is always one or two calendar days ahead of Pago Pago (UTC-11).
    ahead = ClinicFactory(timezone="Pacific/Kiritimati")
    behind = ClinicFactory(timezone="Pacific/Pago_Pago")
    day = local_today(ahead).isoformat()

    accepted = front_desk_api.post(URL, patient_payload(ahead, rems_enrolled_on=day), format="json")
    refused = front_desk_api.post(URL, patient_payload(behind, rems_enrolled_on=day), format="json")

    assert accepted.status_code == 201
    assert refused.status_code == 400
    assert list(refused.json()["errors"]) == ["rems_enrolled_on"]


def test_patient_stored_past_dates_do_not_block_other_edits(front_desk_api, clinic):
    patient = PatientFactory(clinic=clinic, cleared=True, rems=True)

    response = front_desk_api.patch(
        f"{URL}{patient.id}/", {"phone": "+1 212 555 0999"}, format="json"
    )

    assert response.status_code == 200


def test_patient_invalid_email_is_refused(front_desk_api, clinic):
    response = front_desk_api.post(
        URL, patient_payload(clinic, email="not-an-email"), format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["email"]


def test_patient_cannot_move_to_another_clinic(front_desk_api, clinic):
    patient = PatientFactory(clinic=clinic)

    response = front_desk_api.patch(
        f"{URL}{patient.id}/", {"clinic": ClinicFactory().id}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["clinic"]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        pytest.param("avery", ["Bernard Avery", "Avery Lindqvist"], id="first-or-last-name"),
        pytest.param("LINDQ", ["Avery Lindqvist"], id="part-of-last-name-uppercase"),
        pytest.param("lind", ["Al Lindberg", "Avery Lindqvist"], id="prefix"),
        pytest.param("ber", ["Bernard Avery", "Al Lindberg"], id="inside-names"),
        pytest.param("avery lindqvist", ["Avery Lindqvist"], id="first-last"),
        pytest.param("  Avery   Lind ", ["Avery Lindqvist"], id="extra-spaces"),
        pytest.param("Lindqvist, Avery", ["Avery Lindqvist"], id="last-comma-first"),
        pytest.param("carmen", ["Carmen Oyelaran"], id="inactive-patients-too"),
        pytest.param("zed", [], id="no-match"),
    ],
)
def test_patient_search_by_name(clinician_api, clinic, search, expected):
    PatientFactory(clinic=clinic, first_name="Avery", last_name="Lindqvist")
    PatientFactory(clinic=clinic, first_name="Bernard", last_name="Avery")
    PatientFactory(clinic=clinic, first_name="Al", last_name="Lindberg")
    PatientFactory(clinic=clinic, first_name="Carmen", last_name="Oyelaran", active=False)

    response = clinician_api.get(URL, {"search": search})

    assert [p["full_name"] for p in response.json()["results"]] == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param({"screening_status": "cleared"}, ["Cleared Patient"], id="screening"),
        pytest.param({"active": "false"}, ["Former Patient"], id="inactive"),
    ],
)
def test_patient_filters(clinician_api, clinic, query, expected):
    PatientFactory(clinic=clinic, first_name="Cleared", last_name="Patient", cleared=True)
    PatientFactory(clinic=clinic, first_name="Former", last_name="Patient", active=False)
    PatientFactory(clinic=clinic, first_name="Pending", last_name="Patient")

    response = clinician_api.get(URL, query)

    assert [p["full_name"] for p in response.json()["results"]] == expected


def test_patient_filter_by_clinic(clinician_api, clinic):
    mine = PatientFactory(clinic=clinic)
    PatientFactory()

    response = clinician_api.get(URL, {"clinic": clinic.id})

    assert [p["id"] for p in response.json()["results"]] == [mine.id]


def test_patient_with_appointments_cannot_be_deleted(front_desk_api, clinic):
    appointment = AppointmentFactory(clinic=clinic)

    response = front_desk_api.delete(f"{URL}{appointment.patient_id}/")

    assert response.status_code == 409
    assert "active" in response.json()["detail"]
    assert Patient.objects.filter(pk=appointment.patient_id).exists()


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("(212) 555-0142", "+12125550142"),
        ("+44 20 7946 0958", "+442079460958"),
        ("", ""),
    ],
    ids=["national", "abroad", "none"],
)
def test_patient_phone_is_stored_in_e164(front_desk_api, clinic, given, stored):
    response = front_desk_api.post(URL, patient_payload(clinic, phone=given), format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["phone"] == stored


@pytest.mark.parametrize("field", ["phone", "escort_phone"])
def test_patient_invalid_phone_is_refused_naming_the_field(front_desk_api, clinic, field):
    response = front_desk_api.post(
        URL, patient_payload(clinic, **{field: "555-0100"}), format="json"
    )

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]

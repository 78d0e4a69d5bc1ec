"""The Django admin: every model has a working page; bookings are read-only."""

import datetime as dt

import pytest
from django.urls import reverse

from backend.scheduling.booking.models import Hold
from backend.scheduling.resources.models import Patient
from tests.factories import (
    AppointmentEventFactory,
    ClinicFactory,
    ClosureFactory,
    HoldFactory,
    IdempotencyKeyFactory,
    OpeningHoursFactory,
    PatientFactory,
    RoomFactory,
    SeatFactory,
    SessionTypeFactory,
    StaffFactory,
    WorkingHoursFactory,
)

pytestmark = pytest.mark.django_db

FACTORIES = {
    "clinic": ClinicFactory,
    "openinghours": OpeningHoursFactory,
    "closure": ClosureFactory,
    "room": lambda: RoomFactory(seats=2),
    "seat": SeatFactory,
    "staff": StaffFactory,
    "workinghours": WorkingHoursFactory,
    "sessiontype": SessionTypeFactory,
    "patient": PatientFactory,
    "appointment": lambda: HoldFactory().appointment,
    "hold": HoldFactory,
    "appointmentevent": AppointmentEventFactory,
    "idempotencykey": IdempotencyKeyFactory,
}
READ_ONLY = {"appointment", "hold", "appointmentevent", "idempotencykey"}


@pytest.mark.parametrize("model", FACTORIES)
def test_admin_changelist_and_search(admin_client, model):
    FACTORIES[model]()
    url = reverse(f"admin:scheduling_{model}_changelist")

    listing = admin_client.get(url)
    searched = admin_client.get(url, {"q": "a"})

    assert listing.status_code == 200
    assert searched.status_code == 200


@pytest.mark.parametrize("model", FACTORIES)
def test_admin_change_page(admin_client, model):
    obj = FACTORIES[model]()

    response = admin_client.get(reverse(f"admin:scheduling_{model}_change", args=[obj.pk]))

    assert response.status_code == 200


@pytest.mark.parametrize("model", FACTORIES)
def test_admin_add_page_only_for_editable_models(admin_client, model):
    response = admin_client.get(reverse(f"admin:scheduling_{model}_add"))

    assert response.status_code == (403 if model in READ_ONLY else 200)


def test_admin_hold_cannot_be_changed(admin_client):
    hold = HoldFactory()
    url = reverse("admin:scheduling_hold_change", args=[hold.pk])

    response = admin_client.post(url, {"active": ""})

    assert response.status_code == 403
    hold.refresh_from_db()
    assert hold.active is True


def test_admin_appointment_cannot_be_deleted(admin_client):
    appointment = HoldFactory().appointment
    url = reverse("admin:scheduling_appointment_delete", args=[appointment.pk])

    response = admin_client.post(url, {"post": "yes"})

    assert response.status_code == 403
    assert Hold.objects.count() == 1


def test_admin_patient_cleared_without_date_is_refused(admin_client):
    patient = PatientFactory()
    url = reverse("admin:scheduling_patient_change", args=[patient.pk])
    data = {
        "clinic": patient.clinic_id,
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "screening_status": "cleared",
        "screening_date": "",
        "active": "on",
    }

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["screening_date"] == [
        "A cleared screening needs the date it was done."
    ]
    assert Patient.objects.get(pk=patient.pk).screening_status == "pending"


def test_admin_patient_saved_with_valid_data(admin_client):
    patient = PatientFactory()
    url = reverse("admin:scheduling_patient_change", args=[patient.pk])
    data = {
        "clinic": patient.clinic_id,
        "first_name": "Renamed",
        "last_name": patient.last_name,
        "screening_status": "cleared",
        "screening_date": "2026-01-05",
        "active": "on",
    }

    response = admin_client.post(url, data)

    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.first_name, patient.screening_date) == ("Renamed", dt.date(2026, 1, 5))

"""REMS paperwork: what is due and overdue, and filing each form once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from backend.common.errors import Conflict
from backend.scheduling.booking.models import AppointmentEvent, AppointmentStatus
from backend.scheduling.day.models import RemsForm
from backend.scheduling.day.rems import rems_form_file
from tests.factories import ClinicFactory
from tests.worlds import api_time

pytestmark = pytest.mark.django_db

DUE = "/api/v1/rems/due/"


def discharged(live, *, days_ago: int, patient=None):
    start = live.at(9, day=live.day - timedelta(days=days_ago))
    return live.appointment(
        start=start,
        status=AppointmentStatus.DISCHARGED,
        session_started_at=start,
        discharged_at=start + timedelta(minutes=125),
        patient=patient or live.patients[0],
    )


@pytest.fixture
def form_for(rems_form_factory):
    def make(live, *, days_ago: int, **kwargs):
        appointment = discharged(live, days_ago=days_ago, **kwargs)
        local_day = appointment.start.astimezone(live.zone).date()
        return rems_form_factory(appointment=appointment, due_on=local_day + timedelta(days=7))

    return make


def test_due_lists_unfiled_forms_soonest_first_with_overdue_flags(
    form_for, rems_form_factory, front_desk_api, live
):
    overdue = form_for(live, days_ago=8, patient=live.patients[0])
    due_today = form_for(live, days_ago=7, patient=live.patients[1])
    fresh = form_for(live, days_ago=1, patient=live.patients[2])
    filed = form_for(live, days_ago=3, patient=live.patients[3])
    filed.filed_at = timezone.now()
    filed.save()
    rems_form_factory(appointment__clinic=ClinicFactory())

    response = front_desk_api.get(DUE, {"clinic": live.clinic.id})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [(r["id"], r["due_on"], r["overdue"]) for r in body["results"]] == [
        (overdue.id, (live.day - timedelta(days=1)).isoformat(), True),
        (due_today.id, live.day.isoformat(), False),
        (fresh.id, (live.day + timedelta(days=6)).isoformat(), False),
    ]
    first = body["results"][0]
    appointment = overdue.appointment
    assert first == {
        "id": overdue.id,
        "appointment": appointment.id,
        "patient": live.patients[0].id,
        "patient_name": live.patients[0].full_name,
        "session_type_name": "Spravato",
        "session_start": api_time(appointment.start, live.zone),
        "discharged_at": api_time(appointment.discharged_at, live.zone),
        "due_on": (live.day - timedelta(days=1)).isoformat(),
        "overdue": True,
        "filed_at": None,
        "filed_by": None,
        "reference": "",
    }


@pytest.mark.parametrize(("overdue", "expected"), [("true", [0]), ("false", [1])])
def test_due_can_show_only_overdue_or_only_not_yet_overdue(
    form_for, front_desk_api, live, overdue, expected
):
    forms = [form_for(live, days_ago=9), form_for(live, days_ago=2, patient=live.patients[1])]

    body = front_desk_api.get(DUE, {"clinic": live.clinic.id, "overdue": overdue}).json()

    assert [r["id"] for r in body["results"]] == [forms[i].id for i in expected]


def test_due_needs_a_clinic(front_desk_api, live):
    response = front_desk_api.get(DUE)

    assert response.status_code == 400
    assert "clinic" in response.json()["errors"]


@pytest.mark.parametrize("count", [1, 3])
def test_due_query_count_does_not_grow(
    form_for, front_desk_api, live, count, django_assert_num_queries
):
    for i in range(count):
        form_for(live, days_ago=i + 1, patient=live.patients[i])

    # roles, clinic, count, forms (with appointment, clinic, patient, session type)
    with django_assert_num_queries(4):
        response = front_desk_api.get(DUE, {"clinic": live.clinic.id})

    assert response.json()["count"] == count


def test_clinician_files_a_form_once(form_for, clinician_api, live):
    form = form_for(live, days_ago=2)

    filed = clinician_api.post(f"/api/v1/rems/{form.id}/file/", {"reference": " R-1234 "})
    again = clinician_api.post(f"/api/v1/rems/{form.id}/file/", {})

    assert filed.status_code == 200
    body = filed.json()
    assert (body["filed_by"], body["reference"], body["overdue"]) == ("clinician", "R-1234", False)
    assert body["filed_at"] is not None
    assert again.status_code == 409
    assert again.json()["detail"].startswith("This REMS form was already filed on ")
    assert again.json()["detail"].endswith(" by clinician.")
    assert again.json()["filed_at"] == body["filed_at"]
    assert RemsForm.objects.get().reference == "R-1234"
    event = AppointmentEvent.objects.get(action="rems_form_filed")
    assert (event.appointment_id, event.actor.username) == (form.appointment_id, "clinician")


def test_filed_form_leaves_the_due_list(form_for, clinician_api, live):
    form = form_for(live, days_ago=2)

    clinician_api.post(f"/api/v1/rems/{form.id}/file/", {})

    assert clinician_api.get(DUE, {"clinic": live.clinic.id}).json()["results"] == []


@pytest.mark.parametrize("client_name", ["front_desk_api", "manager_api"])
def test_only_clinicians_file_forms(form_for, request, live, client_name):
    form = form_for(live, days_ago=2)

    response = request.getfixturevalue(client_name).post(f"/api/v1/rems/{form.id}/file/", {})

    assert response.status_code == 403
    assert RemsForm.objects.get().filed_at is None


def test_file_unknown_form_is_404(clinician_api, live):
    assert clinician_api.post("/api/v1/rems/999999/file/", {}).status_code == 404


def test_retrieve_a_form(form_for, manager_api, live):
    form = form_for(live, days_ago=10)

    response = manager_api.get(f"/api/v1/rems/{form.id}/")

    assert response.status_code == 200
    assert response.json()["overdue"] is True


def test_rems_form_file_service_refuses_a_second_filing(day, clinician_user, rems_form_factory):
    form = rems_form_factory(appointment=day.appointment(start=day.at(9)))
    rems_form_file(actor=clinician_user, form=form, now=day.at(15), reference="A")

    with pytest.raises(Conflict) as refused:
        rems_form_file(actor=clinician_user, form=form, now=day.at(16), reference="B")

    assert refused.value.detail == (
        "This REMS form was already filed on 2026-05-06 15:00 by clinician."
    )
    assert RemsForm.objects.values_list("filed_at", "reference").get() == (day.at(15), "A")

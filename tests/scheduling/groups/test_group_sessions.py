"""Group sessions over HTTP: schedule, enrol one by one, capacity, cancel, and races."""

import threading
from collections import Counter

import pytest
from django.db import connection
from rest_framework.test import APIClient

from backend.scheduling.booking.models import (
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    Hold,
    HoldKind,
)
from backend.scheduling.groups.models import GroupSession
from backend.scheduling.resources.models import SessionType
from tests.factories import PatientFactory
from tests.worlds import build_clinic_world

GROUPS = "/api/v1/group-sessions/"


def group_world(clinic, **changes):
    """Six recliners, two therapists (the facilitators), two nurses for the recovery."""
    layout = {"recliners": 6, "therapists": 2, "nurses": 2, "patients": 8, **changes}
    return build_clinic_world(clinic, **layout)


def dosing_type():
    return SessionType.objects.get(clinic=None, slug="kap-group-dosing")


def create_group(client, world, start=None):
    body = {
        "session_type": dosing_type().id,
        "room": world.dosing_room.id,
        "start": (start or world.at(9)).isoformat(),
        "staff": [t.id for t in world.therapists],
    }
    return client.post(GROUPS, body, format="json")


def enroll(client, group_id, patient, **headers):
    return client.post(
        f"{GROUPS}{group_id}/enroll/", {"patient": patient.id}, format="json", headers=headers
    )


@pytest.mark.django_db
def test_a_group_session_holds_its_facilitators_and_counts_places(front_desk_api, clinic):
    w = group_world(clinic)

    response = create_group(front_desk_api, w)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["capacity"], body["enrolled"], body["places_left"]) == (6, 0, 6)
    assert body["staff"] == sorted(t.id for t in w.therapists)
    held = Hold.objects.filter(group_session_id=body["id"], kind=HoldKind.STAFF, active=True)
    assert sorted(held.values_list("staff_id", flat=True)) == sorted(t.id for t in w.therapists)


@pytest.mark.django_db
def test_capacity_is_bounded_by_the_rooms_active_seats(front_desk_api, clinic):
    w = group_world(clinic)
    w.recliners[0].active = False
    w.recliners[0].save()

    response = create_group(front_desk_api, w)

    assert response.json()["capacity"] == 5


@pytest.mark.django_db
def test_too_few_facilitators_is_refused_naming_staff(front_desk_api, clinic):
    w = group_world(clinic)
    body = {
        "session_type": dosing_type().id,
        "room": w.dosing_room.id,
        "start": w.at(9).isoformat(),
        "staff": [w.therapists[0].id],
    }

    response = front_desk_api.post(GROUPS, body, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["staff"]
    assert GroupSession.objects.count() == 0


@pytest.mark.django_db
def test_a_busy_facilitator_is_a_409(front_desk_api, clinic):
    w = group_world(clinic)
    assert create_group(front_desk_api, w).status_code == 201

    response = create_group(front_desk_api, w, start=w.at(10))

    assert response.status_code == 409
    assert {c["resource"] for c in response.json()["conflicts"]} == {"staff"}


@pytest.mark.django_db
def test_each_enrolment_is_an_appointment_with_its_own_holds(front_desk_api, clinic):
    w = group_world(clinic)
    group = create_group(front_desk_api, w).json()

    first = enroll(front_desk_api, group["id"], w.patients[0])
    second = enroll(front_desk_api, group["id"], w.patients[1])

    assert first.status_code == 201, first.json()
    assert first.json()["group_session"] == group["id"]
    seats = {first.json()["seat"], second.json()["seat"]}
    assert len(seats) == 2
    kinds = sorted(h["kind"] for h in first.json()["holds"])
    assert kinds == ["recovery", "session"]
    listed = front_desk_api.get(GROUPS, {"clinic": clinic.id}).json()["results"]
    assert (listed[0]["enrolled"], listed[0]["places_left"]) == (2, 4)


@pytest.mark.django_db
def test_a_full_group_answers_409_and_a_cancelled_enrolment_frees_a_place(front_desk_api, clinic):
    w = group_world(clinic)
    group = create_group(front_desk_api, w).json()
    appointments = [enroll(front_desk_api, group["id"], p).json() for p in w.patients[:6]]

    full = enroll(front_desk_api, group["id"], w.patients[6])
    front_desk_api.post(
        f"/api/v1/appointments/{appointments[0]['id']}/cancel/", {"reason": "ill"}, format="json"
    )
    again = enroll(front_desk_api, group["id"], w.patients[6])

    assert full.status_code == 409
    assert "full" in full.json()["detail"]
    assert again.status_code == 201


@pytest.mark.django_db
def test_enrolment_honours_the_idempotency_key(front_desk_api, clinic):
    w = group_world(clinic)
    group = create_group(front_desk_api, w).json()

    first = enroll(front_desk_api, group["id"], w.patients[0], **{"Idempotency-Key": "k1"})
    second = enroll(front_desk_api, group["id"], w.patients[0], **{"Idempotency-Key": "k1"})

    assert first.status_code == second.status_code == 201
    assert first.json()["id"] == second.json()["id"]
    assert Appointment.objects.filter(group_session_id=group["id"]).count() == 1


@pytest.mark.django_db
def test_an_uncleared_patient_cannot_enrol(front_desk_api, clinic):
    w = group_world(clinic)
    group = create_group(front_desk_api, w).json()
    pending = PatientFactory(clinic=clinic)

    response = enroll(front_desk_api, group["id"], pending)

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["patient"]


@pytest.mark.django_db
def test_the_monitoring_ratio_limits_the_group(front_desk_api, clinic):
    clinic.recovering_per_monitor = 2
    clinic.save()
    w = group_world(clinic, nurses=1)
    group = create_group(front_desk_api, w).json()
    for p in w.patients[:2]:
        assert enroll(front_desk_api, group["id"], p).status_code == 201

    third = enroll(front_desk_api, group["id"], w.patients[2])

    assert third.status_code == 409
    assert [c["resource"] for c in third.json()["conflicts"]] == ["monitoring"]


@pytest.mark.django_db
def test_cancelling_the_group_cancels_every_enrolment_with_the_reason(front_desk_api, clinic):
    w = group_world(clinic)
    group = create_group(front_desk_api, w).json()
    ids = [enroll(front_desk_api, group["id"], p).json()["id"] for p in w.patients[:3]]

    response = front_desk_api.post(
        f"{GROUPS}{group['id']}/cancel/", {"reason": "Facilitator ill"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    rows = Appointment.objects.filter(id__in=ids)
    assert {a.status for a in rows} == {AppointmentStatus.CANCELLED}
    assert all("Facilitator ill" in a.cancel_reason for a in rows)
    assert AppointmentEvent.objects.filter(appointment_id__in=ids, action="cancelled").count() == 3
    assert not Hold.objects.filter(group_session_id=group["id"], active=True).exists()


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_enrolments_for_six_places(clinic, front_desk_user, builtins_restored):
    w = group_world(clinic, patients=0)
    patients = [PatientFactory(clinic=clinic, cleared=True, escort_name="E") for _ in range(20)]
    client = APIClient()
    client.force_authenticate(front_desk_user)
    group = create_group(client, w).json()
    barrier = threading.Barrier(len(patients))
    statuses, lock = [], threading.Lock()

    def attempt(patient):
        racer = APIClient()
        racer.force_authenticate(front_desk_user)
        try:
            barrier.wait()
            response = enroll(racer, group["id"], patient)
            with lock:
                statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(p,)) for p in patients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert Counter(statuses) == Counter({201: 6, 409: 14})
    assert Appointment.objects.filter(group_session_id=group["id"]).count() == 6

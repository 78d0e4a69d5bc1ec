"""The schedule export: a manager's clinic, streamed as one FHIR Bundle per line."""

import json
from datetime import timedelta

import pytest
from django.db.models import Q
from django.http import StreamingHttpResponse
from rest_framework.test import APIClient

from backend.common.roles import Role
from backend.interop.fhir import services
from backend.interop.fhir.export import schedule_ndjson
from backend.scheduling.booking.models import AppointmentStatus
from backend.scheduling.resources.models import PatientAccess, Room, SessionType, Staff
from tests.factories import UserFactory
from tests.interop.fhir.fhir_check import BASE, bundle_resources

pytestmark = pytest.mark.django_db

URL = BASE + "$export-schedule"


def export_query(world, days: int = 1) -> dict:
    return {
        "clinic": world.clinic.id,
        "start": world.day.isoformat(),
        "end": (world.day + timedelta(days=days - 1)).isoformat(),
    }


def lines_of(response) -> list[dict]:
    chunks = list(response.streaming_content)
    assert all(chunk.endswith(b"\n") and chunk.count(b"\n") == 1 for chunk in chunks)
    return [json.loads(chunk) for chunk in chunks]


def test_export_streams_one_valid_bundle_per_line(manager_fhir, world):
    first = world.appointment(world.at(9))
    second = world.appointment(world.at(11), patient=world.other_patient)
    world.appointment(world.at(9, day=world.day + timedelta(days=1)))  # the day after

    response = manager_fhir.get(URL, export_query(world))

    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "application/fhir+ndjson"
    assert "attachment" in response["Content-Disposition"]
    bundles = lines_of(response)
    contents = [[r["resourceType"] for r in bundle_resources(b)] for b in bundles]
    assert all(b["type"] == "collection" for b in bundles)
    rooms = [c for c in contents if c[0] == "Location"]
    assert len(rooms) == 2 + len(world.therapy_rooms)
    assert ["Location"] in rooms  # the recovery lounge: no Schedule
    assert contents.count(["Practitioner", "Schedule"]) == len(
        world.nurses + world.prescribers + world.therapists
    )
    assert ["HealthcareService"] in contents
    visits = [bundle_resources(b) for b in bundles]
    visits = [v for v in visits if v[0]["resourceType"] == "Appointment"]
    assert [(a["id"], p["id"]) for a, p in visits] == [
        (str(first.id), str(world.patient.id)),
        (str(second.id), str(world.other_patient.id)),
    ]


def test_export_reads_in_chunks_and_yields_a_line_per_row(manager, world):
    made = [
        world.appointment(
            world.at(8 + i), patient=world.patients[i % 4], session_type=world.therapy
        )
        for i in range(5)
    ]
    export = services.schedule_export(
        user=manager, clinic_id=world.clinic.id, date_from=world.day, date_to=world.day
    )
    directory = (
        Room.objects.filter(clinic=world.clinic).count()
        + Staff.objects.filter(clinic=world.clinic).count()
        + SessionType.objects.filter(Q(clinic=world.clinic) | Q(clinic=None)).count()
    )
    chunks_logged = []

    lines = schedule_ndjson(
        export, base="https://x/fhir/R4/", patients_read=chunks_logged.append, chunk_size=2
    )
    for _ in range(directory):
        assert json.loads(next(lines))["entry"][0]["resource"]["resourceType"] != "Appointment"
    assert chunks_logged == []  # no appointment is read yet
    first = json.loads(next(lines))["entry"][0]["resource"]
    assert (first["id"], len(chunks_logged)) == (str(made[0].id), 1)
    rest = [json.loads(line)["entry"][0]["resource"]["id"] for line in lines]

    assert rest == [str(a.id) for a in made[1:]]
    assert [len(chunk) for chunk in chunks_logged] == [2, 2, 1]


def test_export_records_the_patients_it_shows(manager_fhir, manager, world):
    world.appointment(world.at(9))
    world.appointment(world.at(11), patient=world.other_patient)

    lines_of(manager_fhir.get(URL, export_query(world)))

    logged = PatientAccess.objects.filter(user=manager)
    assert {row.patient_id for row in logged} == {world.patient.id, world.other_patient.id}
    assert {row.route for row in logged} == {"fhir:export-schedule"}


def test_export_covers_local_days_and_every_status(manager_fhir, world):
    late = world.appointment(world.at(21, 30), session_type=world.therapy)
    cancelled = world.appointment(world.at(9), status=AppointmentStatus.CANCELLED)

    bundles = lines_of(manager_fhir.get(URL, export_query(world)))

    visits = [b["entry"][0]["resource"] for b in bundles]
    visits = {v["id"]: v["status"] for v in visits if v["resourceType"] == "Appointment"}
    assert visits == {str(cancelled.id): "cancelled", str(late.id): "booked"}


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CLINICIAN])
def test_only_managers_export(world, role):
    client = APIClient()
    client.force_authenticate(UserFactory(memberships=[(world.clinic, role)]))

    response = client.get(URL, export_query(world))

    assert response.status_code == 403
    assert response.json()["issue"][0]["code"] == "forbidden"


def test_another_clinics_manager_gets_404(outsider_fhir, world):
    response = outsider_fhir.get(URL, export_query(world))
    missing = outsider_fhir.get(URL, {**export_query(world), "clinic": 999999})

    assert response.status_code == missing.status_code == 404
    assert response.json()["resourceType"] == "OperationOutcome"


def test_export_needs_a_login(api, world):
    assert api.get(URL, export_query(world)).status_code == 401


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"clinic": "x"}, "clinic"),
        ({"start": "2030-13-01"}, "start"),
        ({"end": None}, "end"),
        ({"end": "2000-01-01"}, "end"),
        ({"end": "2099-01-01"}, "end"),
        ({"format": "csv"}, "format"),
    ],
    ids=["bad-clinic", "bad-start", "no-end", "end-before-start", "too-long", "unknown"],
)
def test_bad_export_parameters_are_400(manager_fhir, world, change, param):
    query = {k: v for k, v in {**export_query(world), **change}.items() if v is not None}

    response = manager_fhir.get(URL, query)

    assert response.status_code == 400
    assert response.json()["issue"][0]["expression"] == [param]

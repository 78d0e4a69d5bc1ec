"""The patient access log: every API read of a patient's record, course or appointments is
recorded in one insert; managers of the patient's clinic read the history; the log is
append-only."""

from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from backend.common.roles import Role
from backend.scheduling.resources import access_log
from backend.scheduling.resources.models import AccessSource, PatientAccess
from tests.factories import (
    ClinicFactory,
    PlanTemplateFactory,
    TreatmentPlanFactory,
    UserFactory,
)
from tests.worlds import build_clinic_world

pytestmark = pytest.mark.django_db

NOW = datetime(2030, 3, 4, 15, 30, 12, tzinfo=UTC)
TABLE = PatientAccess._meta.db_table

requires_postgres = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="needs PostgreSQL (the append-only trigger); run with DATABASE_URL=postgres:///...",
)


@pytest.fixture
def reads(world):
    """The world with one appointment and one course of its first patient."""
    appointment = world.appointment(world.at(9))
    template = PlanTemplateFactory(clinic=world.clinic)
    plan = TreatmentPlanFactory(clinic=world.clinic, patient=world.patient, template=template)
    return {"appointment": appointment, "plan": plan}


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# (route name, URL, query) of every API read that is logged, from the ``reads`` fixture.
def routes(world, reads) -> dict[str, tuple[str, dict]]:
    patient = world.patient.id
    appointment = reads["appointment"].id
    plan = reads["plan"].id
    return {
        "patient-detail": (f"/api/v1/patients/{patient}/", {}),
        "appointment-detail": (f"/api/v1/appointments/{appointment}/", {}),
        "appointment-list": ("/api/v1/appointments/", {"patient": patient}),
        "appointment-history": (f"/api/v1/appointments/{appointment}/history/", {}),
        "plan-detail": (f"/api/v1/plans/{plan}/", {}),
        "plan-list": ("/api/v1/plans/", {"patient": patient}),
    }


ROUTES = [
    "patient-detail",
    "appointment-detail",
    "appointment-list",
    "appointment-history",
    "plan-detail",
    "plan-list",
]


def logged() -> list[tuple]:
    return list(
        PatientAccess.objects.order_by("id").values_list(
            "user_id", "patient_id", "clinic_id", "at", "route", "path", "method", "source"
        )
    )


def sql_of(client, url, query) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, query)
    assert response.status_code == 200, response.content
    return [q["sql"] for q in captured.captured_queries]


# --- What is recorded -------------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES)
def test_each_read_records_one_row_for_the_patient(
    front_desk_user, front_desk_api, world, reads, time_machine, route
):
    url, query = routes(world, reads)[route]
    time_machine.move_to(NOW, tick=False)

    response = front_desk_api.get(url, query)

    assert response.status_code == 200
    assert logged() == [
        (
            front_desk_user.id,
            world.patient.id,
            world.clinic.id,
            NOW,
            route,
            url,
            "GET",
            AccessSource.API,
        )
    ]


@pytest.mark.parametrize("route", ROUTES)
def test_each_read_adds_exactly_one_query_the_insert(
    front_desk_api, world, reads, monkeypatch, route
):
    url, query = routes(world, reads)[route]
    front_desk_api.get(url, query)  # the user's roles are read once, then cached
    monkeypatch.setattr(access_log, "patient_access_record", lambda **kwargs: [])
    without = sql_of(front_desk_api, url, query)
    monkeypatch.undo()

    with_log = sql_of(front_desk_api, url, query)

    assert len(with_log) == len(without) + 1
    touching = [sql for sql in with_log if TABLE in sql]
    assert len(touching) == 1
    assert touching[0].startswith(f'INSERT INTO "{TABLE}"')


def test_a_list_of_many_appointments_of_one_patient_records_once(front_desk_api, world):
    for hour in (9, 11, 13, 15):
        world.appointment(world.at(hour))

    response = front_desk_api.get("/api/v1/appointments/", {"patient": world.patient.id})

    assert response.json()["count"] == 4
    assert PatientAccess.objects.filter(patient=world.patient).count() == 1
    assert PatientAccess.objects.count() == 1


def test_a_list_touching_three_patients_records_three_rows_in_one_insert(
    front_desk_api, world, monkeypatch
):
    for hour, patient in zip((9, 11, 13, 15), [*world.patients[:3], world.patient], strict=True):
        world.appointment(world.at(hour), patient=patient)
    front_desk_api.get("/api/v1/appointments/")
    monkeypatch.setattr(access_log, "patient_access_record", lambda **kwargs: [])
    without = sql_of(front_desk_api, "/api/v1/appointments/", {})
    monkeypatch.undo()
    before = PatientAccess.objects.count()

    with_log = sql_of(front_desk_api, "/api/v1/appointments/", {})

    assert len(with_log) == len(without) + 1
    assert sum(TABLE in sql for sql in with_log) == 1
    rows = PatientAccess.objects.order_by("-id")[:3]
    assert PatientAccess.objects.count() - before == 3
    assert {row.patient_id for row in rows} == {p.id for p in world.patients[:3]}
    assert {row.route for row in rows} == {"appointment-list"}


def test_the_other_readers_are_named_as_themselves(clinician_user, manager_user, world):
    client_for(clinician_user).get(f"/api/v1/patients/{world.patient.id}/")
    client_for(manager_user).get(f"/api/v1/patients/{world.other_patient.id}/")

    assert sorted(PatientAccess.objects.values_list("user_id", "patient_id")) == sorted(
        [(clinician_user.id, world.patient.id), (manager_user.id, world.other_patient.id)]
    )


def test_failed_reads_writes_and_the_patients_list_record_nothing(front_desk_api, world):
    missing = front_desk_api.get("/api/v1/patients/999999/")
    listed = front_desk_api.get("/api/v1/patients/")
    empty = front_desk_api.get("/api/v1/appointments/", {"patient": world.patient.id})
    changed = front_desk_api.patch(
        f"/api/v1/patients/{world.patient.id}/", {"phone": "(212) 555-0100"}, format="json"
    )

    assert (missing.status_code, listed.status_code, empty.status_code) == (404, 200, 200)
    assert changed.status_code == 200
    assert PatientAccess.objects.count() == 0


def test_another_clinics_patient_is_a_404_and_records_nothing(world):
    intruder = UserFactory(memberships=[(ClinicFactory(), Role.FRONT_DESK)])

    response = client_for(intruder).get(f"/api/v1/patients/{world.patient.id}/")

    assert response.status_code == 404
    assert PatientAccess.objects.count() == 0


def test_the_service_writes_nothing_for_no_patient(front_desk_user, django_assert_num_queries):
    with django_assert_num_queries(0):
        rows = access_log.patient_access_record(
            user=front_desk_user,
            patient_ids={},
            route="appointment-list",
            path="/api/v1/appointments/",
            method="GET",
            source=AccessSource.API,
            now=NOW,
        )

    assert rows == []


# --- The history, for managers ----------------------------------------------------------


def history_url(patient) -> str:
    return f"/api/v1/patients/{patient.id}/access-log/"


def test_a_manager_reads_the_history_newest_first(
    front_desk_user, manager_api, world, time_machine
):
    reader = client_for(front_desk_user)
    for minute in (1, 2, 3):
        time_machine.move_to(NOW.replace(minute=minute), tick=False)
        reader.get(f"/api/v1/patients/{world.patient.id}/")
    reader.get(f"/api/v1/patients/{world.other_patient.id}/")

    response = manager_api.get(history_url(world.patient))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [row["at"] for row in body["results"]] == [
        NOW.replace(minute=m).isoformat().replace("+00:00", "Z") for m in (3, 2, 1)
    ]
    assert body["results"][0] == {
        "at": NOW.replace(minute=3).isoformat().replace("+00:00", "Z"),
        "user": {"id": front_desk_user.id, "username": front_desk_user.username},
        "route": "patient-detail",
        "path": f"/api/v1/patients/{world.patient.id}/",
        "method": "GET",
        "source": "api",
    }


def test_the_history_is_paginated(front_desk_api, manager_api, world):
    for _ in range(3):
        front_desk_api.get(f"/api/v1/patients/{world.patient.id}/")

    first = manager_api.get(history_url(world.patient), {"page_size": 2}).json()
    second = manager_api.get(history_url(world.patient), {"page_size": 2, "page": 2}).json()

    assert first["count"] == 3
    assert len(first["results"]) == 2
    assert first["next"] is not None
    assert len(second["results"]) == 1


def test_reading_the_history_is_not_itself_a_read_of_the_patient(manager_api, world):
    manager_api.get(history_url(world.patient))

    assert PatientAccess.objects.count() == 0


@pytest.mark.parametrize("role", [Role.FRONT_DESK, Role.CLINICIAN])
def test_non_managers_are_refused_the_history(world, role):
    user = UserFactory(memberships=[(world.clinic, role)])

    response = client_for(user).get(history_url(world.patient))

    assert response.status_code == 403


def test_a_manager_of_another_clinic_gets_404(world):
    elsewhere = UserFactory(memberships=[(ClinicFactory(), Role.MANAGER)])

    response = client_for(elsewhere).get(history_url(world.patient))

    assert response.status_code == 404


def test_a_manager_elsewhere_who_is_front_desk_here_is_refused(world):
    user = UserFactory(
        memberships=[(ClinicFactory(), Role.MANAGER), (world.clinic, Role.FRONT_DESK)]
    )

    response = client_for(user).get(history_url(world.patient))

    assert response.status_code == 403


def test_a_manager_of_the_clinic_alone_reads_it(world):
    other_world = build_clinic_world(ClinicFactory(with_hours=True))
    manager = UserFactory(memberships=[(world.clinic, Role.MANAGER)])

    own = client_for(manager).get(history_url(world.patient))
    other = client_for(manager).get(history_url(other_world.patient))

    assert (own.status_code, other.status_code) == (200, 404)


def test_the_history_is_in_the_openapi_schema():
    patterns = [path("api/v1/", include("backend.scheduling.resources.urls"))]
    schema = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)

    operation = schema["paths"]["/api/v1/patients/{id}/access-log/"]
    assert set(operation) == {"get"}
    ok = operation["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/PaginatedPatientAccessList"}
    assert {p["name"] for p in operation["get"]["parameters"]} == {"id", "page", "page_size"}
    row = schema["components"]["schemas"]["PatientAccess"]["properties"]
    assert set(row) == {"at", "user", "route", "path", "method", "source"}


# --- Append-only ------------------------------------------------------------------------


@pytest.fixture
def entry(front_desk_api, world) -> PatientAccess:
    front_desk_api.get(f"/api/v1/patients/{world.patient.id}/")
    return PatientAccess.objects.get()


def test_the_model_refuses_to_change_or_delete_a_row(entry):
    entry.route = "elsewhere"

    with pytest.raises(DatabaseError, match="append-only"):
        entry.save()
    with pytest.raises(DatabaseError, match="append-only"):
        entry.delete()
    with pytest.raises(DatabaseError, match="never changed"):
        PatientAccess.objects.filter(pk=entry.pk).update(route="elsewhere")
    with pytest.raises(DatabaseError, match="never deleted"):
        PatientAccess.objects.filter(pk=entry.pk).delete()

    assert PatientAccess.objects.get().route == "patient-detail"


def test_a_read_patient_cannot_be_deleted_away_from_the_log(manager_api, world, entry):
    response = manager_api.delete(f"/api/v1/patients/{world.patient.id}/")

    assert response.status_code == 409
    assert PatientAccess.objects.filter(patient=world.patient).count() == 1


def test_a_reader_cannot_be_deleted_away_from_the_log(front_desk_user, entry):
    with pytest.raises(ProtectedError):
        front_desk_user.delete()


@pytest.mark.postgres
@requires_postgres
def test_postgresql_refuses_a_raw_update_and_delete(entry):
    with connection.cursor() as cursor:
        update = f"UPDATE {TABLE} SET route = 'elsewhere' WHERE id = %s"
        with pytest.raises(IntegrityError, match="UPDATE refused"), transaction.atomic():
            cursor.execute(update, [entry.pk])
        with pytest.raises(IntegrityError, match="DELETE refused"), transaction.atomic():
            cursor.execute(f"DELETE FROM {TABLE} WHERE id = %s", [entry.pk])
        cursor.execute(f"SELECT route FROM {TABLE} WHERE id = %s", [entry.pk])
        assert cursor.fetchone() == ("patient-detail",)


# --- The admin --------------------------------------------------------------------------


def test_the_admin_shows_the_log_read_only(admin_client, entry):
    listing = admin_client.get(reverse("admin:scheduling_patientaccess_changelist"))
    shown = admin_client.get(reverse("admin:scheduling_patientaccess_change", args=[entry.pk]))
    changed = admin_client.post(
        reverse("admin:scheduling_patientaccess_change", args=[entry.pk]), {"route": "x"}
    )
    deleted = admin_client.post(
        reverse("admin:scheduling_patientaccess_delete", args=[entry.pk]), {"post": "yes"}
    )
    added = admin_client.get(reverse("admin:scheduling_patientaccess_add"))

    assert listing.status_code == 200
    assert shown.status_code == 200
    assert b'name="_save"' not in shown.content
    assert changed.status_code == 403
    assert deleted.status_code == 403
    assert added.status_code == 403
    assert PatientAccess.objects.get().route == "patient-detail"

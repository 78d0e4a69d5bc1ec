"""``manage.py backup`` / ``restore`` on PostgreSQL (pg_dump / pg_restore): a populated
database restored into an empty one has every appointment, hold, plan, audit and access
entry as it was, and its audit trail is still append-only."""

import shutil
import subprocess

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from backend.common.backups import database_backup
from tests.factories import PlannedSessionFactory, TreatmentPlanFactory
from tests.resilience.kit import PYTHON, ROOT, Site

TABLES = [
    "scheduling_appointment",
    "scheduling_hold",
    "plans_treatmentplan",
    "plans_plannedsession",
    "scheduling_appointmentevent",
    "scheduling_patientaccess",
]

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="needs PostgreSQL; run with DATABASE_URL=postgres:///...",
    ),
    pytest.mark.skipif(shutil.which("pg_dump") is None, reason="needs pg_dump and pg_restore"),
]


def rows(cursor, table: str) -> list[str]:
    """Every row as the server writes it out (JSON text): the same on both connections."""
    cursor.execute(f"SELECT row_to_json(t)::text FROM {table} t ORDER BY id")
    return [row[0] for row in cursor.fetchall()]


@pytest.fixture
def restored_database():
    name = f"{settings.DATABASES['default']['NAME']}_restored"
    subprocess.run(["dropdb", "--if-exists", name], check=True)
    subprocess.run(["createdb", name], check=True)
    try:
        yield name
    finally:
        subprocess.run(["dropdb", "--if-exists", name], check=False)


def test_a_pg_dump_backup_restores_into_an_empty_database_intact(
    transactional_db, world, front_desk_api, restored_database, tmp_path
):
    booked = front_desk_api.post(
        "/api/v1/appointments/",
        {
            "patient": world.patients[0].id,
            "session_type": world.spravato.id,
            "start": world.at(9).isoformat(),
        },
        format="json",
    )
    assert booked.status_code == 201
    assert front_desk_api.get(f"/api/v1/patients/{world.patients[0].id}/").status_code == 200
    plan = TreatmentPlanFactory(clinic=world.clinic, patient=world.patients[1])
    PlannedSessionFactory(plan=plan)
    with connection.cursor() as cursor:
        before = {table: rows(cursor, table) for table in TABLES}
    assert all(before.values()), {t: len(r) for t, r in before.items()}

    backup = database_backup(tmp_path / "kap.pgdump")
    site = Site(tmp_path, {}, {"DATABASE_URL": f"postgres:///{restored_database}"})
    result = subprocess.run(
        [PYTHON, "manage.py", "restore", str(backup), "--yes"],
        cwd=ROOT,
        env=site.env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr

    with psycopg.connect(dbname=restored_database) as restored, restored.cursor() as cursor:
        after = {table: rows(cursor, table) for table in TABLES}
        with pytest.raises(psycopg.errors.RestrictViolation, match="append-only"):
            cursor.execute("UPDATE scheduling_appointmentevent SET note = 'forged'")
    assert after == before

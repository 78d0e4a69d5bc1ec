"""``manage.py backup`` / ``restore`` (what ``make backup`` / ``make restore`` run) round-trip
a populated SQLite database: every appointment, hold, plan, planned session, audit entry
and access-log entry comes back as it was."""

import pytest

from tests.resilience.kit import Server, copy_site

TABLES = [
    "scheduling_appointment",
    "scheduling_hold",
    "plans_treatmentplan",
    "plans_plannedsession",
    "scheduling_appointmentevent",
    "scheduling_patientaccess",
]


def snapshot(site) -> dict[str, list[tuple]]:
    return {table: sorted(site.query(f"select * from {table}"), key=repr) for table in TABLES}


def test_a_backup_restores_every_appointment_hold_plan_and_audit_entry(prepared_site, tmp_path):
    site = copy_site(prepared_site, tmp_path)
    with Server(site, log=tmp_path / "gunicorn.log") as server:
        # Reads of patient data add to the access log; a booking to the audit trail.
        assert server.request("GET", "/api/v1/patients/1/").status == 200
        assert server.request("GET", "/api/v1/appointments/").status == 200
    before = snapshot(site)
    assert all(before[table] for table in TABLES), {t: len(r) for t, r in before.items()}

    backup = tmp_path / "backups" / "kap.sqlite3"
    assert site.manage("backup", "--output", str(backup)) == str(backup)
    # Then things go wrong: rows lost and changed.
    site.execute("delete from scheduling_hold")
    site.execute("update scheduling_appointment set status = 'cancelled'")
    site.execute("delete from scheduling_patientaccess")
    assert snapshot(site) != before

    site.manage("restore", str(backup), "--yes")

    assert snapshot(site) == before
    assert site.scalar("pragma integrity_check") == "ok"


def test_a_backup_never_overwrites_a_file_and_restore_wants_confirmation(prepared_site, tmp_path):
    site = copy_site(prepared_site, tmp_path)
    existing = tmp_path / "taken.sqlite3"
    existing.write_text("keep me")

    with pytest.raises(AssertionError, match="exists already"):
        site.manage("backup", "--output", str(existing))
    with pytest.raises(AssertionError, match="add --yes"):
        site.manage("restore", str(existing))
    with pytest.raises(AssertionError, match="not a SQLite backup"):
        site.manage("restore", str(existing), "--yes")

    assert existing.read_text() == "keep me"
    assert site.scalar("select count(*) from scheduling_appointment") > 0

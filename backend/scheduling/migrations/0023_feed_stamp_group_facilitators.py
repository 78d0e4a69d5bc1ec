"""Facilitators' feed stamps: a write to a group session's staff hold raises the stamp of
that staff member, whose feed lists the group (created, moved, cancelled, facilitator
changed). Triggers of their own beside those of ``0017_feed_stamps``, which they leave
as they are; ``feeds.stamps`` puts both sets back on SQLite after a table rebuild."""

from django.db import migrations

_UPSERT = (
    "INSERT INTO scheduling_feedstamp (owner_kind, owner_id, version, changed_at) "
    "{select} ON CONFLICT (owner_kind, owner_id) DO UPDATE "
    "SET version = scheduling_feedstamp.version + 1, changed_at = excluded.changed_at"
)
_NAME = "scheduling_hold_group_staff_stamp_{op}"
_OPS = (
    ("INSERT", "NEW TABLE AS new_rows", "new_rows"),
    ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows", None),
    ("DELETE", "OLD TABLE AS old_rows", "old_rows"),
)


def _pg_owners(rows: str) -> str:
    return (
        f"SELECT DISTINCT 'staff' AS kind, r.staff_id AS owner FROM {rows} AS r "
        "WHERE r.kind = 'staff' AND r.group_session_id IS NOT NULL"
    )


def _pg_sql() -> list[str]:
    # Statement-level, one upsert in one order (kind, id), as 0017's: concurrent writers
    # queue on the stamp rows instead of deadlocking.
    statements = []
    for op, referencing, source in _OPS:
        name = _NAME.format(op=op.lower())
        rows = source or "(SELECT * FROM old_rows UNION ALL SELECT * FROM new_rows)"
        select = (
            f"SELECT kind, owner, 1, now() FROM ({_pg_owners(rows)}) AS touched "
            "ORDER BY kind, owner"
        )
        statements.append(
            f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                {_UPSERT.format(select=select)};
                RETURN NULL;
            END $$;"""
        )
        statements.append(
            f"CREATE TRIGGER {name} AFTER {op} ON scheduling_hold "
            f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )
    return statements


_SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')"


def _sqlite_sql() -> list[str]:
    statements = []
    for op, rows in (("INSERT", ["NEW"]), ("UPDATE", ["OLD", "NEW"]), ("DELETE", ["OLD"])):
        body = " ".join(
            _UPSERT.format(
                select=f"SELECT 'staff', {row}.staff_id, 1, {_SQLITE_NOW} "
                f"WHERE {row}.kind = 'staff' AND {row}.group_session_id IS NOT NULL"
            )
            + ";"
            for row in rows
        )
        statements.append(
            f"CREATE TRIGGER IF NOT EXISTS {_NAME.format(op=op.lower())} "
            f"AFTER {op} ON scheduling_hold BEGIN {body} END"
        )
    return statements


def triggers_create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": _pg_sql, "sqlite": _sqlite_sql}.get(vendor, list)():
        schema_editor.execute(statement)


def triggers_drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for op, _, _ in _OPS:
        name = _NAME.format(op=op.lower())
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON scheduling_hold")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0022_group_session_sequence"),
    ]

    operations = [migrations.RunPython(triggers_create, triggers_drop)]

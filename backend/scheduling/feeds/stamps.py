"""The feed stamps' triggers stay in place on SQLite, whatever later migrations do.

SQLite rebuilds a table for most column changes (create a new table, copy, drop the old
one) and the old table's triggers go with it; PostgreSQL alters in place and keeps them.
After every ``migrate`` this re-creates any missing trigger (``CREATE TRIGGER IF NOT
EXISTS``) from the statements of the migrations that introduced them
(``0017_feed_stamps``, ``0023_feed_stamp_group_facilitators``) when they are applied, so
an appointment or hold written after any later migration still raises its feed stamps.
"""

from importlib import import_module

from django.db import connections
from django.db.migrations.recorder import MigrationRecorder

# The migrations whose SQLite triggers raise the stamps, in order.
STAMPS_MIGRATIONS = (
    "backend.scheduling.migrations.0017_feed_stamps",
    "backend.scheduling.migrations.0023_feed_stamp_group_facilitators",
)


def feeds_stamp_triggers_ensure(*, using: str = "default", **kwargs) -> None:
    """post_migrate handler: put back the SQLite triggers a table rebuild dropped."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    tables = set(connection.introspection.table_names())
    if not {"scheduling_feedstamp", "scheduling_appointment", "scheduling_hold"} <= tables:
        return  # migrating to a state before the stamps (or a partial migrate)
    applied = _applied(connection)
    with connection.cursor() as cursor:
        for module in STAMPS_MIGRATIONS:
            if module.rsplit(".", 1)[1] not in applied:
                continue  # migrating back to before these triggers
            for statement in import_module(module)._sqlite_sql():
                cursor.execute(statement)


def _applied(connection) -> set[str]:
    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return set()
    return {name for app, name in recorder.applied_migrations() if app == "scheduling"}

"""The feed stamps' triggers stay in place on SQLite, whatever later migrations do.

SQLite rebuilds a table for most column changes (create a new table, copy, drop the old
one) and the old table's triggers go with it; PostgreSQL alters in place and keeps them.
After every ``migrate`` this re-creates any missing trigger (``CREATE TRIGGER IF NOT
EXISTS``) from the statements of the migration that introduced them
(``0017_feed_stamps``), so an appointment written after any later migration still raises
its feed stamps.
"""

from importlib import import_module

from django.db import connections

STAMPS_MIGRATION = "backend.scheduling.migrations.0017_feed_stamps"


def feeds_stamp_triggers_ensure(*, using: str = "default", **kwargs) -> None:
    """post_migrate handler: put back the SQLite triggers a table rebuild dropped."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    tables = set(connection.introspection.table_names())
    if not {"scheduling_feedstamp", "scheduling_appointment", "scheduling_hold"} <= tables:
        return  # migrating to a state before the stamps (or a partial migrate)
    with connection.cursor() as cursor:
        for statement in import_module(STAMPS_MIGRATION)._sqlite_sql():
            cursor.execute(statement)

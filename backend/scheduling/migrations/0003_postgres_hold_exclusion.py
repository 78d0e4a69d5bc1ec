"""PostgreSQL refuses overlapping active holds on one seat or one staff member.

The application re-checks under row locks before writing; these constraints are the
database's own guarantee behind it. SQLite has no exclusion constraints: there, IMMEDIATE
transactions serialize writers so the re-check alone is sufficient.
"""

from django.contrib.postgres.operations import BtreeGistExtension
from django.db import migrations

CREATE = [
    """
    ALTER TABLE scheduling_hold ADD CONSTRAINT hold_no_seat_overlap
    EXCLUDE USING gist (seat_id WITH =, tstzrange("start", "end", '[)') WITH &&)
    WHERE (active AND seat_id IS NOT NULL)
    """,
    """
    ALTER TABLE scheduling_hold ADD CONSTRAINT hold_no_staff_overlap
    EXCLUDE USING gist (staff_id WITH =, tstzrange("start", "end", '[)') WITH &&)
    WHERE (active AND staff_id IS NOT NULL)
    """,
]
DROP = [
    "ALTER TABLE scheduling_hold DROP CONSTRAINT IF EXISTS hold_no_seat_overlap",
    "ALTER TABLE scheduling_hold DROP CONSTRAINT IF EXISTS hold_no_staff_overlap",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0002_roles_and_builtin_session_types")]

    operations = [
        BtreeGistExtension(),
        migrations.RunPython(_run(CREATE), _run(DROP)),
    ]

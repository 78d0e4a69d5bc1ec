"""The appointment audit trail, append-only (as the patient access log is, 0009).

On PostgreSQL a trigger refuses every UPDATE and DELETE of an AppointmentEvent row,
whoever runs it (the application, a shell, a script); TRUNCATE, which the test suite uses
to empty tables, is a statement of the table's owner and stays possible. Deleting the
appointment or the user an entry names is refused before that (PROTECT), so the trail
never loses an entry or its actor. SQLite has no such trigger: this is a no-op there.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

CREATE = [
    """
    CREATE FUNCTION scheduling_appointmentevent_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'the appointment audit trail is append-only: % refused', TG_OP
            USING ERRCODE = 'restrict_violation';
    END;
    $$
    """,
    """
    CREATE TRIGGER scheduling_appointmentevent_append_only
    BEFORE UPDATE OR DELETE ON scheduling_appointmentevent
    FOR EACH ROW EXECUTE FUNCTION scheduling_appointmentevent_append_only()
    """,
]
DROP = [
    "DROP TRIGGER IF EXISTS scheduling_appointmentevent_append_only ON scheduling_appointmentevent",
    "DROP FUNCTION IF EXISTS scheduling_appointmentevent_append_only()",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for sql in statements:
            # No parameters: the function body's "%" is PL/pgSQL's, not a placeholder.
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("scheduling", "0020_telehealth_and_group_sessions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="appointmentevent",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="appointmentevent",
            name="appointment",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="events",
                to="scheduling.appointment",
            ),
        ),
        migrations.RunPython(_run(CREATE), _run(DROP)),
    ]

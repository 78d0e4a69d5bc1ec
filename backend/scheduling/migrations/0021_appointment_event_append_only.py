"""The appointment audit trail, append-only (as the patient access log is, 0009).

On PostgreSQL triggers refuse every UPDATE of an AppointmentEvent row, and every DELETE
that leaves its appointment in place (checked at commit: an entry goes only with its
appointment, removed whole, which the application never does), whoever runs it (the
application, a shell, a script); TRUNCATE, which the test suite uses to empty tables, is a
statement of the table's owner and stays possible. Deleting the user an entry names is
refused (PROTECT), so the trail never loses its actor. SQLite has no such trigger: this is a no-op there.
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
    BEFORE UPDATE ON scheduling_appointmentevent
    FOR EACH ROW EXECUTE FUNCTION scheduling_appointmentevent_append_only()
    """,
    # A DELETE is checked when the transaction commits: an entry may go only with its
    # appointment (removed whole, which the application never does), never on its own.
    """
    CREATE FUNCTION scheduling_appointmentevent_kept() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM scheduling_appointment WHERE id = OLD.appointment_id) THEN
            RAISE EXCEPTION 'the appointment audit trail is append-only: DELETE refused'
                USING ERRCODE = 'restrict_violation';
        END IF;
        RETURN NULL;
    END;
    $$
    """,
    """
    CREATE CONSTRAINT TRIGGER scheduling_appointmentevent_kept
    AFTER DELETE ON scheduling_appointmentevent
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION scheduling_appointmentevent_kept()
    """,
]
DROP = [
    "DROP TRIGGER IF EXISTS scheduling_appointmentevent_kept ON scheduling_appointmentevent",
    "DROP FUNCTION IF EXISTS scheduling_appointmentevent_kept()",
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
        migrations.RunPython(_run(CREATE), _run(DROP)),
    ]

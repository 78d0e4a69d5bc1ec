"""The patient access log, append-only.

On PostgreSQL a trigger refuses every UPDATE and DELETE of a row, whoever runs it (the
application, a shell, a script); TRUNCATE, which the test suite uses to empty tables, is a
statement of the table's owner and stays possible. SQLite has no such trigger: there the
model and its queryset refuse changes.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

CREATE = [
    """
    CREATE FUNCTION scheduling_patientaccess_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'the patient access log is append-only: % refused', TG_OP
            USING ERRCODE = 'restrict_violation';
    END;
    $$
    """,
    """
    CREATE TRIGGER scheduling_patientaccess_append_only
    BEFORE UPDATE OR DELETE ON scheduling_patientaccess
    FOR EACH ROW EXECUTE FUNCTION scheduling_patientaccess_append_only()
    """,
]
DROP = [
    "DROP TRIGGER IF EXISTS scheduling_patientaccess_append_only ON scheduling_patientaccess",
    "DROP FUNCTION IF EXISTS scheduling_patientaccess_append_only()",
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
        ('scheduling', '0008_clinic_require_second_factor'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='PatientAccess',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField()),
                ('route', models.CharField(help_text='The URL name of the page or endpoint.', max_length=120)),
                ('path', models.CharField(help_text='The path read, without its query.', max_length=255)),
                ('method', models.CharField(max_length=10)),
                ('source', models.CharField(choices=[('api', 'API'), ('console', 'Console')], max_length=10)),
                ('clinic', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scheduling.clinic')),
                ('patient', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='accesses', to='scheduling.patient')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='patient_accesses', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'patient access',
                'verbose_name_plural': 'patient accesses',
                'ordering': ['-at', '-id'],
                'indexes': [models.Index(fields=['patient', 'at'], name='patient_access_patient_at')],
            },
        ),
        migrations.RunPython(_run(CREATE), _run(DROP)),
    ]

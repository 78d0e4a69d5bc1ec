"""Built-in session types for clinical capacity (shared/PROTOCOLS.md, docs/protocols.md).

- The Spravato session needs a prescriber on site during administration and monitoring
  (FDA REMS page).
- Group KAP: preparation, dosing and integration groups for about 6 participants with two
  facilitators (group-KAP program pages; Numinus); a group dosing session runs about 3.5
  hours including the come-down (clinic FAQ pages, common practice).
- A telehealth integration session: integration therapy is often a video visit.

Defaults, not medicine: clinics edit them or copy them. Safe to run again.
"""

from django.db import migrations

NO_DRIVING = "You may not drive for the rest of the day: someone must collect you. "

NEW_SESSION_TYPES = [
    {
        "slug": "kap-group-preparation",
        "name": "Group preparation session",
        "is_dosing": False,
        "in_room_minutes": 90,
        "recovery_minutes": 0,
        "room_kind": "therapy",
        "staff_role": "therapist",
        "arrive_minutes_before": 10,
        "group_capacity": 6,
        "facilitators_required": 2,
    },
    {
        "slug": "kap-group-dosing",
        "name": "Group assisted therapy session (dosing)",
        "is_dosing": True,
        "in_room_minutes": 180,
        "recovery_minutes": 30,
        "recovery_location": "same_seat",
        "min_monitoring_minutes": 180,
        "escort_required": True,
        "room_kind": "dosing",
        "staff_role": "therapist",
        "arrive_minutes_before": 15,
        "group_capacity": 6,
        "facilitators_required": 2,
        "patient_instructions": (
            "Eat lightly: no food for 4 hours before your appointment. Wear comfortable "
            "clothes. " + NO_DRIVING
        ),
    },
    {
        "slug": "kap-group-integration",
        "name": "Group integration session",
        "is_dosing": False,
        "in_room_minutes": 90,
        "recovery_minutes": 0,
        "room_kind": "therapy",
        "staff_role": "therapist",
        "arrive_minutes_before": 10,
        "group_capacity": 6,
        "facilitators_required": 2,
    },
    {
        "slug": "kap-integration-telehealth",
        "name": "Integration session (video)",
        "is_dosing": False,
        "in_room_minutes": 60,
        "recovery_minutes": 0,
        "room_kind": "therapy",
        "staff_role": "therapist",
        "arrive_minutes_before": 0,
        "modality": "telehealth",
    },
]


def create(apps, schema_editor):
    SessionType = apps.get_model("scheduling", "SessionType")
    SessionType.objects.filter(clinic=None, slug="spravato-session").update(
        requires_prescriber_on_site=True
    )
    for values in NEW_SESSION_TYPES:
        fields = dict(values)
        slug = fields.pop("slug")
        SessionType.objects.get_or_create(clinic=None, slug=slug, defaults=fields)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0018_clinical_capacity_fields")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]

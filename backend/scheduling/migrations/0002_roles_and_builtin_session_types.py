"""Roles and the built-in session types every install has (shared/PROTOCOLS.md).

The numbers are defaults, not medicine: clinics edit them or add their own types.
"""

from django.db import migrations

ROLES = ("front_desk", "clinician", "manager")

NO_DRIVING = (
    "You may not drive for the rest of the day: someone must collect you. "
)

BUILTIN_SESSION_TYPES = [
    {
        "slug": "spravato-session",
        "name": "Esketamine nasal spray session (REMS)",
        "is_dosing": True,
        "requires_rems": True,
        "in_room_minutes": 15,
        "recovery_minutes": 120,
        "recovery_location": "same_seat",
        "min_monitoring_minutes": 120,
        "escort_required": True,
        "room_kind": "dosing",
        "staff_role": "nurse",
        "arrive_minutes_before": 20,
        "patient_instructions": (
            "No food for 2 hours and no drinks for 30 minutes before your appointment. "
            "You will stay with us for at least 2 hours afterwards. You may not drive until "
            "the next day after a restful sleep: someone must collect you."
        ),
    },
    {
        "slug": "iv-infusion",
        "name": "IV infusion",
        "is_dosing": True,
        "requires_rems": False,
        "in_room_minutes": 55,
        "recovery_minutes": 60,
        "recovery_location": "recovery_room",
        "min_monitoring_minutes": 115,
        "escort_required": True,
        "room_kind": "dosing",
        "staff_role": "nurse",
        "arrive_minutes_before": 15,
        "patient_instructions": (
            "Eat lightly: no food for 4 hours before your appointment. "
            "You will rest in the recovery lounge for about an hour afterwards. "
            "No driving for 24 hours: someone must collect you."
        ),
    },
    {
        "slug": "kap-preparation",
        "name": "Preparation session",
        "is_dosing": False,
        "requires_rems": False,
        "in_room_minutes": 60,
        "recovery_minutes": 0,
        "recovery_location": "same_seat",
        "min_monitoring_minutes": 0,
        "escort_required": False,
        "room_kind": "therapy",
        "staff_role": "therapist",
        "arrive_minutes_before": 10,
        "patient_instructions": "",
    },
    {
        "slug": "kap-dosing",
        "name": "Assisted therapy session (dosing)",
        "is_dosing": True,
        "requires_rems": False,
        "in_room_minutes": 150,
        "recovery_minutes": 30,
        "recovery_location": "same_seat",
        "min_monitoring_minutes": 150,
        "escort_required": True,
        "room_kind": "dosing",
        "staff_role": "therapist",
        "arrive_minutes_before": 15,
        "patient_instructions": (
            "Eat lightly: no food for 4 hours before your appointment. Wear comfortable "
            "clothes. " + NO_DRIVING
        ),
    },
    {
        "slug": "kap-integration",
        "name": "Integration session",
        "is_dosing": False,
        "requires_rems": False,
        "in_room_minutes": 60,
        "recovery_minutes": 0,
        "recovery_location": "same_seat",
        "min_monitoring_minutes": 0,
        "escort_required": False,
        "room_kind": "therapy",
        "staff_role": "therapist",
        "arrive_minutes_before": 10,
        "patient_instructions": "",
    },
]


def create(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    SessionType = apps.get_model("scheduling", "SessionType")
    for name in ROLES:
        Group.objects.get_or_create(name=name)
    for values in BUILTIN_SESSION_TYPES:
        fields = dict(values)
        slug = fields.pop("slug")
        SessionType.objects.update_or_create(clinic=None, slug=slug, defaults=fields)


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]

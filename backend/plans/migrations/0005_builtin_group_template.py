"""The built-in group KAP cohort template ``kap-group`` (docs/protocols.md, shared facts).

Two preparation groups a week apart, three group dosing sessions about every 3-4 weeks
(a 12-week cohort with 3 dosing sessions: Roots To Thrive, Frontiers in Psychiatry 2025),
each followed by an integration group 1-3 days later. Groups of about 6 with two
facilitators are the session types' numbers. Defaults, not medicine: clinics edit a copy.
"""

from django.db import migrations

TEMPLATE = {
    "slug": "kap-group",
    "name": "Ketamine-assisted psychotherapy (group cohort)",
    "description": (
        "A cohort of about six: two preparation groups, three group dosing sessions about "
        "every 3-4 weeks with two facilitators, each followed by an integration group 1-3 "
        "days later."
    ),
    "phases": [
        {
            "key": "preparation",
            "name": "Preparation groups",
            "kind": "preparation",
            "session_type": "kap-group-preparation",
            "count": 2,
            "min_gap_days": 7,
            "max_gap_days": 9,
            "offset_min_days": 0,
            "offset_max_days": 6,
        },
        {
            "key": "dosing",
            "name": "Group dosing",
            "kind": "induction",
            "session_type": "kap-group-dosing",
            "count": 3,
            "min_gap_days": 21,
            "max_gap_days": 28,
            "offset_min_days": 7,
            "offset_max_days": 14,
        },
        {
            "key": "integration",
            "name": "Integration groups",
            "kind": "integration",
            "session_type": "kap-group-integration",
            "follows": "dosing",
            "follows_min_days": 1,
            "follows_max_days": 3,
        },
    ],
}


def create(apps, schema_editor):
    PlanTemplate = apps.get_model("plans", "PlanTemplate")
    PlanPhase = apps.get_model("plans", "PlanPhase")
    SessionType = apps.get_model("scheduling", "SessionType")
    if PlanTemplate.objects.filter(clinic=None, slug=TEMPLATE["slug"]).exists():
        return
    template = PlanTemplate.objects.create(
        clinic=None, slug=TEMPLATE["slug"], name=TEMPLATE["name"], description=TEMPLATE["description"]
    )
    for position, phase in enumerate(TEMPLATE["phases"], start=1):
        values = dict(phase)
        values["session_type"] = SessionType.objects.get(clinic=None, slug=values.pop("session_type"))
        values.setdefault("follows", "")
        PlanPhase.objects.create(template=template, position=position, **values)


def remove(apps, schema_editor):
    apps.get_model("plans", "PlanTemplate").objects.filter(clinic=None, slug="kap-group").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0004_cohorts"),
        ("scheduling", "0019_builtin_clinical_capacity"),
    ]

    operations = [migrations.RunPython(create, remove)]

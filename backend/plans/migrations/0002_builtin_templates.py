"""The built-in plan templates every install has, with the defaults of the clinical notes.

Numbers are defaults, not medicine: clinics edit them (admin or API) or copy a template.
Running this again (or on an install that has them) updates nothing a clinic changed,
because it only creates templates that are missing.
"""

from django.db import migrations

TEMPLATES = [
    {
        "slug": "spravato-trd",
        "name": "Esketamine nasal spray (treatment-resistant depression)",
        "description": (
            "Label schedule: weeks 1-4 twice a week (8 sessions, at least 3 days apart), "
            "weeks 5-8 once a week (4 sessions), then every 2 weeks, open-ended. "
            "Each session: about 15 minutes of dosing and at least 2 hours of monitoring."
        ),
        "phases": [
            {
                "key": "induction",
                "name": "Induction",
                "kind": "induction",
                "session_type": "spravato-session",
                "count": 8,
                "sessions_per_week": 2,
                "min_gap_days": 3,
                "max_gap_days": 5,
                "offset_min_days": 0,
                "offset_max_days": 6,
            },
            {
                "key": "optimization",
                "name": "Optimization",
                "kind": "optimization",
                "session_type": "spravato-session",
                "count": 4,
                "sessions_per_week": 1,
                "min_gap_days": 5,
                "max_gap_days": 9,
                "offset_min_days": 0,
                "offset_max_days": 9,
            },
            {
                "key": "maintenance",
                "name": "Maintenance",
                "kind": "maintenance",
                "session_type": "spravato-session",
                "count": None,
                "horizon_weeks": 12,
                "min_gap_days": 13,
                "max_gap_days": 15,
                "offset_min_days": 7,
                "offset_max_days": 14,
            },
        ],
    },
    {
        "slug": "iv-ketamine",
        "name": "IV ketamine infusion series",
        "description": (
            "Six infusions over 2-3 weeks, never on consecutive days, then boosters about "
            "every 4 weeks. Each infusion: IV placement, 40-minute infusion, an hour of "
            "recovery in the lounge."
        ),
        "phases": [
            {
                "key": "induction",
                "name": "Infusion series",
                "kind": "induction",
                "session_type": "iv-infusion",
                "count": 6,
                "min_gap_days": 2,
                "max_gap_days": 4,
                "offset_min_days": 0,
                "offset_max_days": 6,
            },
            {
                "key": "maintenance",
                "name": "Boosters",
                "kind": "maintenance",
                "session_type": "iv-infusion",
                "count": None,
                "horizon_weeks": 12,
                "min_gap_days": 28,
                "max_gap_days": 35,
                "offset_min_days": 21,
                "offset_max_days": 35,
            },
        ],
    },
    {
        "slug": "kap-individual",
        "name": "Ketamine-assisted psychotherapy (individual)",
        "description": (
            "Two preparation sessions, three weekly dosing sessions with the therapist "
            "present, each followed by an integration session 1-3 days later."
        ),
        "phases": [
            {
                "key": "preparation",
                "name": "Preparation",
                "kind": "preparation",
                "session_type": "kap-preparation",
                "count": 2,
                "min_gap_days": 2,
                "max_gap_days": 7,
                "offset_min_days": 0,
                "offset_max_days": 6,
            },
            {
                "key": "dosing",
                "name": "Dosing",
                "kind": "induction",
                "session_type": "kap-dosing",
                "count": 3,
                "min_gap_days": 6,
                "max_gap_days": 9,
                "offset_min_days": 3,
                "offset_max_days": 10,
            },
            {
                "key": "integration",
                "name": "Integration",
                "kind": "integration",
                "session_type": "kap-integration",
                "follows": "dosing",
                "follows_min_days": 1,
                "follows_max_days": 3,
            },
        ],
    },
]


def create(apps, schema_editor):
    PlanTemplate = apps.get_model("plans", "PlanTemplate")
    PlanPhase = apps.get_model("plans", "PlanPhase")
    SessionType = apps.get_model("scheduling", "SessionType")
    for spec in TEMPLATES:
        if PlanTemplate.objects.filter(clinic=None, slug=spec["slug"]).exists():
            continue
        template = PlanTemplate.objects.create(
            clinic=None, slug=spec["slug"], name=spec["name"], description=spec["description"]
        )
        for position, phase in enumerate(spec["phases"], start=1):
            values = dict(phase)
            values["session_type"] = SessionType.objects.get(
                clinic=None, slug=values.pop("session_type")
            )
            values.setdefault("follows", "")
            PlanPhase.objects.create(template=template, position=position, **values)


def remove(apps, schema_editor):
    PlanTemplate = apps.get_model("plans", "PlanTemplate")
    PlanTemplate.objects.filter(clinic=None, slug__in=[t["slug"] for t in TEMPLATES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("plans", "0001_initial"),
        ("scheduling", "0002_roles_and_builtin_session_types"),
    ]

    operations = [migrations.RunPython(create, remove)]

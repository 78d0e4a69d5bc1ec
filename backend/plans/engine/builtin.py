"""The built-in plan templates as plain, JSON-able data (shared/PROTOCOLS.md defaults).

The same values are created as rows by the plans data migration; these dicts let the engine be
tested on the real protocols without a database. Session types are referenced by slug. Every
number is a default a clinic may edit, not medicine.

Choices worth knowing:

- Spravato maintenance runs every 14 days with a window of 13-15: the engine tries the 14th
  day first (same weekday, see ``cadence.WEEKLY_RHYTHM_SLACK_DAYS``), and one day either way
  lets a full day or a holiday shift one session without pushing the rest of the course out
  by a week. Its offset of 7-14 days after the last optimization session, intersected with
  that gap, puts the first maintenance session 13-14 days after it: week 10 of the plan.
- An offset and the phase's own gaps both count from the previous phase's last session, and
  both must hold. So IV boosters start 28-35 days after the last infusion (the offset's 21 is
  the floor a clinic gets by lowering the booster gap), and KAP dosing starts 6-9 days after
  the last preparation session.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from backend.plans.engine.rules import PhaseRule
from backend.scheduling.booking.availability import SessionSpec

BUILTIN_SESSION_TYPES: dict[str, dict[str, Any]] = {
    "spravato-session": {
        "in_room_minutes": 15,
        "recovery_minutes": 120,
        "recovery_same_seat": True,
        "is_dosing": True,
        "staff_role": "nurse",
        "seat_noun": "recliner",
    },
    "iv-infusion": {
        "in_room_minutes": 55,
        "recovery_minutes": 60,
        "recovery_same_seat": False,
        "is_dosing": True,
        "staff_role": "nurse",
        "seat_noun": "infusion chair",
    },
    "kap-preparation": {
        "in_room_minutes": 60,
        "recovery_minutes": 0,
        "recovery_same_seat": True,
        "is_dosing": False,
        "staff_role": "therapist",
        "seat_noun": "therapy room",
    },
    "kap-dosing": {
        "in_room_minutes": 150,
        "recovery_minutes": 30,
        "recovery_same_seat": True,
        "is_dosing": True,
        "staff_role": "therapist",
        "seat_noun": "recliner",
    },
    "kap-integration": {
        "in_room_minutes": 60,
        "recovery_minutes": 0,
        "recovery_same_seat": True,
        "is_dosing": False,
        "staff_role": "therapist",
        "seat_noun": "therapy room",
    },
}

BUILTIN_TEMPLATES: list[dict[str, Any]] = [
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

# Fields of a phase dict that are not PhaseRule fields (or are looked up instead).
_NOT_RULE_FIELDS = {"kind", "session_type"}


def builtin_template(slug: str) -> dict[str, Any]:
    for template in BUILTIN_TEMPLATES:
        if template["slug"] == slug:
            return template
    raise KeyError(f"No built-in template '{slug}'")


def session_spec_build(values: Mapping[str, Any]) -> SessionSpec:
    """A SessionSpec from a session type dict with minutes (as in ``BUILTIN_SESSION_TYPES``)."""
    return SessionSpec(
        in_room=timedelta(minutes=values["in_room_minutes"]),
        recovery=timedelta(minutes=values["recovery_minutes"]),
        recovery_same_seat=values["recovery_same_seat"],
        needs_staff=values.get("needs_staff", True),
        is_dosing=values["is_dosing"],
    )


def template_rules_build(
    template: Mapping[str, Any],
    type_ids: Mapping[str, int],
    specs: Mapping[str, SessionSpec] | None = None,
    seat_nouns: Mapping[str, str] | None = None,
) -> list[PhaseRule]:
    """PhaseRules for a template dict; session type slugs map to ids, specs and seat nouns.

    Specs and seat nouns default to those of the built-in session types.
    """
    rules = []
    for phase in template["phases"]:
        slug = phase["session_type"]
        fields = {k: v for k, v in phase.items() if k not in _NOT_RULE_FIELDS}
        spec = (specs or {}).get(slug) or session_spec_build(BUILTIN_SESSION_TYPES[slug])
        noun = (seat_nouns or {}).get(slug) or BUILTIN_SESSION_TYPES.get(slug, {}).get(
            "seat_noun", "seat"
        )
        fields.setdefault("count", None)
        rules.append(PhaseRule(session_type_id=type_ids[slug], spec=spec, seat_noun=noun, **fields))
    return rules

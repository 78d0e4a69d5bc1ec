"""Plan templates: the built-ins are shared defaults; a clinic edits its own copy."""

from django.db import transaction

from backend.common.errors import Conflict
from backend.plans.models import PlanPhase, PlanTemplate
from backend.scheduling.resources.models import Clinic


@transaction.atomic
def plan_template_copy(*, template: PlanTemplate, clinic: Clinic) -> PlanTemplate:
    """A clinic's own copy of a built-in template, phases and all, under the same slug.

    Plans of that clinic then find the copy first by slug; the other clinics keep the
    built-in. A second copy for the same clinic is a 409 naming the first.
    """
    existing = PlanTemplate.objects.filter(clinic=clinic, slug=template.slug).first()
    if existing is not None:
        raise Conflict(
            f"{clinic.name} already has its own '{template.slug}' (id {existing.id}); "
            "edit that one.",
            conflicts=[{"kind": "plan_template", "id": existing.id, "clinic": clinic.id}],
        )
    copy = PlanTemplate.objects.create(
        clinic=clinic,
        slug=template.slug,
        name=template.name,
        description=template.description,
        active=template.active,
    )
    phases = list(template.phases.all())
    for phase in phases:
        phase.pk = None
        phase.template = copy
    PlanPhase.objects.bulk_create(phases)
    return copy

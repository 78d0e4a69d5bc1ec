from backend.plans.models.cohorts import Cohort, CohortSession
from backend.plans.models.plans import PlannedSession, PlanStatus, TreatmentPlan
from backend.plans.models.templates import PhaseKind, PlanPhase, PlanTemplate

__all__ = [
    "Cohort",
    "CohortSession",
    "PhaseKind",
    "PlanPhase",
    "PlanStatus",
    "PlanTemplate",
    "PlannedSession",
    "TreatmentPlan",
]

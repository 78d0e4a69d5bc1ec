from backend.plans.models.plans import PlannedSession, PlanStatus, TreatmentPlan
from backend.plans.models.templates import PhaseKind, PlanPhase, PlanTemplate

__all__ = [
    "PhaseKind",
    "PlanPhase",
    "PlanStatus",
    "PlanTemplate",
    "PlannedSession",
    "TreatmentPlan",
]

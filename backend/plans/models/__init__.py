from .plans import PlannedSession, PlanStatus, TreatmentPlan
from .templates import PhaseKind, PlanPhase, PlanTemplate

__all__ = [
    "PhaseKind",
    "PlanPhase",
    "PlanStatus",
    "PlanTemplate",
    "PlannedSession",
    "TreatmentPlan",
]

from rest_framework.routers import SimpleRouter

from backend.plans.api.cohorts import CohortViewSet, GroupSessionRescheduleViewSet
from backend.plans.api.views import AppointmentRescheduleViewSet, PlanTemplateViewSet, PlanViewSet
from backend.plans.api.waitlist import WaitlistViewSet

router = SimpleRouter()
router.register("plan-templates", PlanTemplateViewSet, basename="plan-template")
router.register("plans", PlanViewSet, basename="plan")
# appointments/{id}/reschedule/: beside scheduling's appointment routes, same names.
router.register("appointments", AppointmentRescheduleViewSet, basename="appointment")
router.register("waitlist", WaitlistViewSet, basename="waitlist-entry")
router.register("cohorts", CohortViewSet, basename="cohort")
# group-sessions/{id}/reschedule/: beside scheduling's group routes (a cohort's cadence).
router.register("group-sessions", GroupSessionRescheduleViewSet, basename="group-session")

urlpatterns = router.urls

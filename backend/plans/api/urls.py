from rest_framework.routers import SimpleRouter

from backend.plans.api.views import PlanTemplateViewSet, PlanViewSet

router = SimpleRouter()
router.register("plan-templates", PlanTemplateViewSet, basename="plan-template")
router.register("plans", PlanViewSet, basename="plan")

urlpatterns = router.urls

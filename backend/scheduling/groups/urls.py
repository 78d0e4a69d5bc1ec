"""Group session routes under /api/v1/."""

from rest_framework.routers import SimpleRouter

from backend.scheduling.groups import views

router = SimpleRouter()
router.register("group-sessions", views.GroupSessionViewSet, basename="group-session")

urlpatterns = router.urls

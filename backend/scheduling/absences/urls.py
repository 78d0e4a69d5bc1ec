"""Absence routes under /api/v1/, beside the staff endpoints they extend."""

from rest_framework.routers import SimpleRouter

from backend.scheduling.absences import views

router = SimpleRouter()
router.register("staff", views.StaffAbsenceViewSet, basename="staff")

urlpatterns = router.urls

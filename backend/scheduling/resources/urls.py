"""Routes of the resource endpoints under /api/v1/."""

from rest_framework.routers import SimpleRouter

from backend.scheduling.resources import views

router = SimpleRouter()
router.register("clinics", views.ClinicViewSet, basename="clinic")
router.register("rooms", views.RoomViewSet, basename="room")
router.register("seats", views.SeatViewSet, basename="seat")
router.register("staff", views.StaffViewSet, basename="staff")
router.register("patients", views.PatientViewSet, basename="patient")
router.register("session-types", views.SessionTypeViewSet, basename="session-type")

urlpatterns = router.urls

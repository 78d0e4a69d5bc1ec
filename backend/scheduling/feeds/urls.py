"""Feed routes under /api/v1/, beside the endpoints of what they belong to.

``{patients,rooms,staff}/{id}/feed/`` issues and revokes feed URLs and
``appointments/{id}/ics/`` downloads one event; the public feed URLs live in
``public_urls``.
"""

from rest_framework.routers import SimpleRouter

from backend.scheduling.feeds import views

router = SimpleRouter()
router.register("patients", views.PatientFeedViewSet, basename="patient")
router.register("rooms", views.RoomFeedViewSet, basename="room")
router.register("staff", views.StaffFeedViewSet, basename="staff")
router.register("appointments", views.AppointmentIcsViewSet, basename="appointment")

urlpatterns = router.urls

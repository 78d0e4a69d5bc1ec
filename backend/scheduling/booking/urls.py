from django.urls import path
from rest_framework.routers import SimpleRouter

from backend.scheduling.booking.views import AppointmentViewSet, AvailabilityView

router = SimpleRouter()
router.register("appointments", AppointmentViewSet, basename="appointment")

urlpatterns = [
    path("availability/", AvailabilityView.as_view(), name="availability"),
    *router.urls,
]

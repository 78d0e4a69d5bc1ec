from django.urls import path
from rest_framework.routers import SimpleRouter

from backend.scheduling.day.views import (
    AppointmentDayViewSet,
    BoardView,
    RemsFormViewSet,
    RidesView,
)

router = SimpleRouter()
router.register("rems", RemsFormViewSet, basename="rems-form")
router.register("appointments", AppointmentDayViewSet, basename="appointment")

urlpatterns = [
    path("board/", BoardView.as_view(), name="board"),
    path("board/rides/", RidesView.as_view(), name="board-rides"),
    *router.urls,
]

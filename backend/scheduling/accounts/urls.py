"""Routes of the account endpoints under /api/v1/: ``me/`` and ``accounts/``."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from backend.scheduling.accounts import views

router = SimpleRouter()
router.register("accounts", views.AccountViewSet, basename="account")

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    *router.urls,
]

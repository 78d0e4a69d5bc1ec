"""Routes of account security under /api/v1/: ``auth/token/``."""

from django.urls import path

from backend.scheduling.auth import views

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="auth-token"),
]

"""Routes of the webhook endpoints under /api/v1/."""

from rest_framework.routers import SimpleRouter

from backend.interop.webhooks import views

router = SimpleRouter()
router.register("webhooks", views.WebhookEndpointViewSet, basename="webhook")

urlpatterns = router.urls

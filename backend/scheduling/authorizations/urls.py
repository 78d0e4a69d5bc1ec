from rest_framework.routers import SimpleRouter

from backend.scheduling.authorizations.views import AuthorizationViewSet

router = SimpleRouter()
router.register("authorizations", AuthorizationViewSet, basename="authorization")

urlpatterns = router.urls

"""Routes of ``/api/jobs/`` (see :mod:`cim.api.views.jobs`)."""

from rest_framework.routers import SimpleRouter

from cim.api.views.jobs import JobViewSet

router = SimpleRouter()
router.register("", JobViewSet, basename="job")
urlpatterns = router.urls

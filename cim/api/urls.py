from django.urls import path
from rest_framework.routers import DefaultRouter

from cim.api import views

router = DefaultRouter()
router.register("admin-areas", views.AdminAreaViewSet, basename="admin-area")
router.register("buildings", views.BuildingViewSet, basename="building")
router.register("roads", views.RoadViewSet, basename="road")
router.register("service-points", views.ServicePointViewSet, basename="service-point")
router.register("imports", views.ImportRunViewSet, basename="import-run")

urlpatterns = [
    path("terrain/height/", views.TerrainHeightView.as_view(), name="terrain-height"),
    *router.urls,
]

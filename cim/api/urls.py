from django.urls import path
from rest_framework.routers import DefaultRouter

from cim.api import plates as plate_api
from cim.api import search as search_api
from cim.api import views
from viewer import api as viewer_api

router = DefaultRouter()
router.register("admin-areas", views.AdminAreaViewSet, basename="admin-area")
router.register("buildings", views.BuildingViewSet, basename="building")
router.register("roads", views.RoadViewSet, basename="road")
router.register("service-points", views.ServicePointViewSet, basename="service-point")
router.register("imports", views.ImportRunViewSet, basename="import-run")
router.register("waterways", viewer_api.WaterwayViewSet, basename="waterway")
router.register("addresses", plate_api.AddressViewSet, basename="address")
router.register("plates", plate_api.PlateViewSet, basename="plate")
router.register("plate-alerts", plate_api.PlateAlertViewSet, basename="plate-alert")
router.register("reports", plate_api.ReportViewSet, basename="report")

urlpatterns = [
    path("terrain/height/", views.TerrainHeightView.as_view(), name="terrain-height"),
    path("city-info/", viewer_api.CityInfoView.as_view(), name="city-info"),
    path("buildings/<int:pk>/addresses/", viewer_api.BuildingAddressesView.as_view(),
         name="building-addresses"),
    path("map/admin-boundaries/", viewer_api.AdminBoundariesMapView.as_view(),
         name="map-admin-boundaries"),
    path("search/", search_api.SearchView.as_view(), name="search"),
    path("public/plates/<str:code>/", plate_api.PublicPlateView.as_view(), name="public-plate"),
    path("public/plates/<str:code>/reports/", plate_api.PublicPlateReportView.as_view(),
         name="public-plate-report"),
    path("public/reports/<str:tracking>/", plate_api.PublicTrackingView.as_view(),
         name="public-report"),
    *router.urls,
]

from django.urls import path
from rest_framework.routers import DefaultRouter

from cim.api.views import (
    analyses,
    bim,
    catalogue,
    city,
    history,
    maps,
    plates,
    public,
    reports,
    schemes,
    search,
)

router = DefaultRouter()
router.register("admin-areas", city.AdminAreaViewSet, basename="admin-area")
router.register("buildings", city.BuildingViewSet, basename="building")
router.register("roads", city.RoadViewSet, basename="road")
router.register("service-points", city.ServicePointViewSet, basename="service-point")
router.register("imports", city.ImportRunViewSet, basename="import-run")
router.register("waterways", maps.WaterwayViewSet, basename="waterway")
router.register("addresses", plates.AddressViewSet, basename="address")
router.register("plates", plates.PlateViewSet, basename="plate")
router.register("plate-alerts", plates.PlateAlertViewSet, basename="plate-alert")
router.register("reports", reports.ReportViewSet, basename="report")
router.register("analyses/height-zones", analyses.HeightZoneViewSet, basename="height-zone")
router.register("analyses/runs", analyses.AnalysisRunViewSet, basename="analysis-run")
router.register("analyses/schemes", schemes.DesignSchemeViewSet, basename="design-scheme")
router.register("catalogue/versions", catalogue.CatalogueVersionViewSet, basename="catalogue-version")

urlpatterns = [
    path("terrain/height/", city.TerrainHeightView.as_view(), name="terrain-height"),
    path("city-info/", maps.CityInfoView.as_view(), name="city-info"),
    path("buildings/<int:pk>/addresses/", maps.BuildingAddressesView.as_view(),
         name="building-addresses"),
    path("buildings/<int:pk>/history/", history.BuildingHistoryView.as_view(), name="building-history"),
    path("history/as-of/", history.CityAsOfView.as_view(), name="history-as-of"),
    path("history/diff/", history.CityDiffView.as_view(), name="history-diff"),
    path("history/demolished/", history.DemolishedAsOfView.as_view(), name="history-demolished"),
    path("imports/<int:pk>/undo/", history.ImportRunUndoView.as_view(), name="import-run-undo"),
    path("map/admin-boundaries/", maps.AdminBoundariesMapView.as_view(),
         name="map-admin-boundaries"),
    path("search/", search.SearchView.as_view(), name="search"),
    path("bim/", bim.BimModelListView.as_view(), name="bim-model-list"),
    path("bim/<int:pk>/", bim.BimModelDetailView.as_view(), name="bim-model-detail"),
    path("bim/<int:pk>/elements/", bim.BimElementListView.as_view(), name="bim-element-list"),
    path("bim/<int:pk>/elements/<str:global_id>/", bim.BimElementDetailView.as_view(),
         name="bim-element-detail"),
    path("analyses/height-check/", analyses.HeightCheckView.as_view(), name="height-check"),
    path("analyses/flood/", analyses.FloodView.as_view(), name="flood"),
    path("analyses/scheme-compare/", schemes.SchemeCompareView.as_view(), name="scheme-compare"),
    path("analyses/viewshed/", analyses.ViewshedView.as_view(), name="viewshed"),
    path("analyses/line-of-sight/", analyses.LineOfSightView.as_view(), name="line-of-sight"),
    path("public/plates/<str:code>/", public.PublicPlateView.as_view(), name="public-plate"),
    path("public/plates/<str:code>/reports/", public.PublicPlateReportView.as_view(),
         name="public-plate-report"),
    path("public/reports/<str:tracking>/", public.PublicTrackingView.as_view(),
         name="public-report"),
    *router.urls,
]

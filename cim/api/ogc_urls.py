"""Routes of the OGC API – Features service (``/ogc/``, paths as the standard spells
them: no trailing slash below the landing page)."""

from django.urls import path

from cim.api.views import ogc

urlpatterns = [
    path("", ogc.LandingView.as_view(), name="ogc-landing"),
    path("conformance", ogc.ConformanceView.as_view(), name="ogc-conformance"),
    path("api", ogc.ApiDefinitionView.as_view(), name="ogc-api"),
    path("collections", ogc.CollectionsView.as_view(), name="ogc-collections"),
    path("collections/<str:collection>", ogc.CollectionView.as_view(), name="ogc-collection"),
    path("collections/<str:collection>/items", ogc.ItemsView.as_view(), name="ogc-items"),
    path("collections/<str:collection>/items/<str:fid>", ogc.ItemView.as_view(), name="ogc-item"),
    path("vector-tiles/tilejson.json", ogc.VectorTileJsonView.as_view(), name="ogc-tilejson"),
    path("vector-tiles/<int:z>/<int:x>/<int:y>.mvt", ogc.VectorTileView.as_view(), name="ogc-vector-tile"),
]

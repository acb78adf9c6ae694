"""Read endpoints the maps need beyond the layers (under ``/api/cim/``): the
loaded city, a building's addresses, water areas, boundaries for drawing."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.decorators import method_decorator
from django.views.decorators.gzip import gzip_page
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cim import selectors
from cim.api.filters import WaterwayFilter
from cim.api.serializers.city import WaterwayGeoSerializer
from cim.api.serializers.queries import AdminBoundariesQuery
from cim.api.views.layers import MapLayerViewSet
from cim.models import Building
from cim.permissions import PublicRead, StaffRead

TILESET_URL = "/tiles/tileset.json"
TERRAIN_URL = "/terrain/"

_VIEW = inline_serializer("CityView", {
    "lon": serializers.FloatField(), "lat": serializers.FloatField(),
    "height": serializers.FloatField(help_text="ellipsoidal height of the target, metres"),
    "heading": serializers.FloatField(help_text="degrees"),
    "pitch": serializers.FloatField(help_text="degrees, negative looks down"),
    "range": serializers.FloatField(help_text="metres from the target"),
})


class CityInfoView(APIView):
    """The loaded city: name, extent, whether it is synthetic demo data, the
    default camera and built-in bookmarks, and which 3D layers are built."""

    permission_classes = [StaffRead]

    @extend_schema(
        tags=["cim"],
        responses={200: inline_serializer("CityInfo", {
            "name": serializers.CharField(), "name_en": serializers.CharField(),
            "code": serializers.CharField(),
            "synthetic": serializers.BooleanField(
                help_text="true when any loaded layer is generated demo data"),
            "synthetic_parts": serializers.DictField(child=serializers.BooleanField()),
            "extent": serializers.ListField(child=serializers.FloatField(), allow_null=True,
                                            help_text="minLon,minLat,maxLon,maxLat of the buildings"),
            "default_view": _VIEW,
            "bookmarks": inline_serializer("CityBookmark", {
                "key": serializers.CharField(), "name": serializers.CharField(),
                "name_en": serializers.CharField(),
                "buildings": serializers.IntegerField(allow_null=True), "view": _VIEW,
            }, many=True),
            "counts": serializers.DictField(child=serializers.IntegerField()),
            "tileset_url": serializers.CharField(allow_null=True),
            "terrain_url": serializers.CharField(allow_null=True),
            "basemap": serializers.DictField(
                allow_null=True, help_text="the imagery under the city: the built basemap (kind xyz, "
                "/basemap/…) or the external service of CIM['BASEMAP_EXTERNAL']; null: none"),
        })},
    )
    def get(self, request):
        return Response(selectors.city_info(tileset_url=TILESET_URL, terrain_url=TERRAIN_URL))


class BuildingAddressesView(APIView):
    """The standard addresses of one building (door and building level) with the
    number of units and rooms below them, for the viewer's building panel."""

    permission_classes = [StaffRead]

    @extend_schema(
        tags=["cim"],
        responses={200: inline_serializer("BuildingAddresses", {
            "building": serializers.IntegerField(),
            "addresses": inline_serializer("BuildingAddress", {
                "id": serializers.IntegerField(), "kind": serializers.CharField(),
                "full_name": serializers.CharField(), "code": serializers.CharField(),
                "plus_code": serializers.CharField(), "admin_code": serializers.CharField(),
                "lon": serializers.FloatField(allow_null=True),
                "lat": serializers.FloatField(allow_null=True)}, many=True),
            "units": serializers.IntegerField(), "rooms": serializers.IntegerField()})},
    )
    def get(self, request, pk: int):
        building = get_object_or_404(Building, pk=pk)
        return Response(selectors.building_addresses(building=building))


@method_decorator(gzip_page, name="dispatch")
@extend_schema(tags=["cim"])
class WaterwayViewSet(MapLayerViewSet):
    """Rivers, streams and lakes as water areas (public map information): a
    paginated GeoJSON FeatureCollection with a bbox filter."""

    permission_classes = [PublicRead]
    serializer_class = WaterwayGeoSerializer
    filterset_class = WaterwayFilter
    selector = staticmethod(selectors.waterways_in)


@method_decorator(gzip_page, name="dispatch")
class AdminBoundariesMapView(APIView):
    """Administrative boundaries for drawing on the map (public): simplified for the
    scale each level is seen at, with a label point inside each area.  One request
    for all the levels the viewer draws; gzip-compressed."""

    permission_classes = [PublicRead]

    @extend_schema(
        tags=["cim"],
        parameters=[AdminBoundariesQuery],
        responses={200: inline_serializer("AdminBoundaries", {
            "type": serializers.CharField(), "count": serializers.IntegerField(),
            "features": serializers.ListField(child=serializers.DictField())})},
    )
    def get(self, request):
        query = AdminBoundariesQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        levels, tolerance = query.validated_data["levels"], query.validated_data.get("tolerance")
        features = selectors.admin_boundaries(levels=levels, tolerance_m=tolerance)
        return Response({"type": "FeatureCollection", "count": len(features), "features": features})

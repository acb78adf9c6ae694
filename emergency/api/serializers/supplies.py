"""Serializers of supply items, depots, stock and requests."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from emergency.api.fields import FiniteFloatField, LonLatTogether
from emergency.choices import StockSetReason
from emergency.models import Depot, Item, ReplenishmentAlert, Stock, SupplyRequest

__all__ = [
    "DepotGeoSerializer",
    "DepotSerializer",
    "ItemSerializer",
    "ReplenishmentAlertSerializer",
    "StockSerializer",
    "StockSetSerializer",
    "SupplyRequestCreateSerializer",
    "SupplyRequestSerializer",
]


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ["id", "code", "name", "unit_of_measure"]
        read_only_fields = ["id"]


class DepotSerializer(LonLatTogether, serializers.ModelSerializer):
    lon = FiniteFloatField(min_value=-180, max_value=180, write_only=True)
    lat = FiniteFloatField(min_value=-90, max_value=90, write_only=True)
    position = serializers.SerializerMethodField()

    class Meta:
        model = Depot
        fields = ["id", "code", "name", "lon", "lat", "position", "address", "phone", "admin_area",
                  "synthetic"]
        read_only_fields = ["id", "position", "synthetic"]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_position(self, obj):
        return {"lon": obj.geom.x, "lat": obj.geom.y}


class DepotGeoSerializer(GeoFeatureModelSerializer):
    below_minimum = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Depot
        geo_field = "geom"
        fields = ["id", "code", "name", "address", "phone", "below_minimum"]
        read_only_fields = fields


class StockSerializer(serializers.ModelSerializer):
    item_code = serializers.CharField(source="item.code", read_only=True)
    item_name = serializers.CharField(source="item.name", read_only=True)
    unit_of_measure = serializers.CharField(source="item.unit_of_measure", read_only=True)
    below_minimum = serializers.SerializerMethodField()

    class Meta:
        model = Stock
        fields = ["id", "depot", "item", "item_code", "item_name", "unit_of_measure", "quantity", "minimum",
                  "below_minimum", "updated_at"]
        read_only_fields = fields

    def get_below_minimum(self, obj) -> bool:
        return obj.quantity < obj.minimum


class StockSetSerializer(serializers.Serializer):
    item = serializers.IntegerField(min_value=1)
    delta = serializers.IntegerField(required=False, allow_null=True, min_value=-10**9, max_value=10**9)
    quantity = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=10**9)
    minimum = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=10**9)
    reason = serializers.ChoiceField(choices=StockSetReason.choices, default=StockSetReason.RESTOCK)


class _LineInput(serializers.Serializer):
    item = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, max_value=10**7)


class SupplyRequestCreateSerializer(serializers.Serializer):
    incident = serializers.IntegerField(min_value=1)
    lines = _LineInput(many=True, allow_empty=False)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class SupplyRequestSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    lines = serializers.SerializerMethodField()

    class Meta:
        model = SupplyRequest
        fields = ["id", "incident", "activation", "status", "status_label", "note", "lines", "requested_at",
                  "committed_at", "shipped_at", "received_at", "cancelled_at"]
        read_only_fields = fields

    @extend_schema_field({"type": "array", "items": {"type": "object"}})
    def get_lines(self, obj):
        return [
            {"item": ln.item_id, "item_name": ln.item.name, "quantity": ln.quantity,
             "allocations": [{"depot": a.depot_id, "depot_name": a.depot.name, "quantity": a.quantity,
                              "eta_s": a.eta_s} for a in ln.allocations.all()]}
            for ln in obj.lines.all()
        ]


class ReplenishmentAlertSerializer(serializers.ModelSerializer):
    depot = serializers.IntegerField(source="stock.depot_id", read_only=True)
    depot_name = serializers.CharField(source="stock.depot.name", read_only=True)
    item = serializers.IntegerField(source="stock.item_id", read_only=True)
    item_name = serializers.CharField(source="stock.item.name", read_only=True)
    quantity = serializers.IntegerField(source="stock.quantity", read_only=True)

    class Meta:
        model = ReplenishmentAlert
        fields = ["id", "depot", "depot_name", "item", "item_name", "quantity", "quantity_at_alert",
                  "minimum", "raised_at", "resolved_at"]
        read_only_fields = fields

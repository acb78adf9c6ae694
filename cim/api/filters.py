"""Query-string filters of the city-model API (django-filter FilterSets): a bad
value is a 400 naming the parameter, through the one exception handler."""

from __future__ import annotations

from django import forms
from django_filters import rest_framework as filters

from cim.choices import (
    AddressKind,
    AdminLevel,
    BuildingUse,
    PlateAlertStatus,
    PlateStatus,
    RoadClass,
    ServiceCategory,
    WaterwayKind,
)
from cim.models import (
    Address,
    AdminArea,
    Building,
    Plate,
    PlateAlert,
    RoadSegment,
    ServicePoint,
    Waterway,
)
from config.common.filters import BBoxFilter

__all__ = [
    "AddressFilter",
    "AdminAreaFilter",
    "BuildingFilter",
    "PlateAlertFilter",
    "PlateFilter",
    "RoadFilter",
    "ServicePointFilter",
    "WaterwayFilter",
]

_CODE_PREFIX = {"lookup_expr": "startswith", "max_length": 12}


class IdFilter(filters.Filter):
    """A record id (a positive integer)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)  # bigint: larger is a 400, not a database error
        super().__init__(*args, **kwargs)


class ChoiceInFilter(filters.BaseInFilter, filters.ChoiceFilter):
    """A comma list of choices: ``?status=new,in_progress``."""


class AddressFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=AddressKind.choices)
    parent = IdFilter(field_name="parent_id", help_text="id of the parent address")
    admin_code = filters.CharFilter(field_name="admin_area__code", **_CODE_PREFIX,
                                    help_text="prefix of the community code")

    class Meta:
        model = Address
        fields = ["kind", "parent", "admin_code"]


class PlateFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=PlateStatus.choices)
    community = filters.CharFilter(field_name="address__admin_area__code", **_CODE_PREFIX,
                                   help_text="prefix of the division code")

    class Meta:
        model = Plate
        fields = ["status", "community"]


class PlateAlertFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=PlateAlertStatus.choices)

    class Meta:
        model = PlateAlert
        fields = ["status"]


class AdminAreaFilter(filters.FilterSet):
    level = filters.ChoiceFilter(choices=AdminLevel.choices)
    parent = filters.CharFilter(field_name="parent__code", max_length=12,
                                help_text="code of the parent area")

    class Meta:
        model = AdminArea
        fields = ["level", "parent"]


class BuildingFilter(filters.FilterSet):
    bbox = BBoxFilter(field_name="footprint")
    use = filters.ChoiceFilter(choices=BuildingUse.choices)
    admin_code = filters.CharFilter(field_name="admin_area__code", **_CODE_PREFIX,
                                    help_text="prefix of the division code")

    class Meta:
        model = Building
        fields = ["bbox", "use", "admin_code"]


class RoadFilter(filters.FilterSet):
    bbox = BBoxFilter(field_name="geom")
    road_class = filters.ChoiceFilter(choices=RoadClass.choices)

    class Meta:
        model = RoadSegment
        fields = ["bbox", "road_class"]


class ServicePointFilter(filters.FilterSet):
    bbox = BBoxFilter(field_name="geom", lookup_expr="within")
    category = filters.ChoiceFilter(choices=ServiceCategory.choices)

    class Meta:
        model = ServicePoint
        fields = ["bbox", "category"]


class WaterwayFilter(filters.FilterSet):
    bbox = BBoxFilter(field_name="geom")
    kind = filters.ChoiceFilter(choices=WaterwayKind.choices)

    class Meta:
        model = Waterway
        fields = ["bbox", "kind"]

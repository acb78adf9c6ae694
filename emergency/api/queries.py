"""Query strings of the emergency API, checked by serializers as request
bodies are: each list or action that reads parameters has one
:class:`QueryParams` class, and ``Query.read(request)`` gives its checked
values or raises a 400 naming the parameter (through the one exception
handler, :mod:`config.common.errors`).

A parameter that is absent or empty (``?status=``) is None (or its
``default``): no filter, as before.  Booleans take 1/0, true/false, yes/no
(any case) and the other spellings DRF's ``BooleanField`` knows.
"""

from __future__ import annotations

from rest_framework import serializers

from config.common.filters import bbox_polygon
from emergency.choices import (
    IncidentLevel,
    IncidentStatus,
    IncidentType,
    MutualAidStatus,
    SupplyRequestStatus,
    UnitStatus,
    UnitType,
)

__all__ = [
    "AgencyFilterQuery",
    "AssignmentQuery",
    "ClosureQuery",
    "EventQuery",
    "IncidentQuery",
    "MutualAidQuery",
    "PointQuery",
    "QueryParams",
    "RecommendationQuery",
    "SupplyRequestQuery",
    "UnitBoardQuery",
    "UnitFilterQuery",
    "UnitQuery",
    "VideoWallQuery",
    "ZoneQuery",
]

_ID_MAX = 2**62


class BBoxField(serializers.CharField):
    """``minLon,minLat,maxLon,maxLat`` in WGS 84 → a polygon."""

    def to_internal_value(self, data):
        try:
            return bbox_polygon(super().to_internal_value(data))
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None


def _choice(choices) -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=choices.choices, required=False, default=None)


def _flag() -> serializers.BooleanField:
    return serializers.BooleanField(required=False, default=None, allow_null=True)


def _id() -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=_ID_MAX, required=False, default=None)


class QueryParams(serializers.Serializer):
    @classmethod
    def read(cls, request) -> dict:
        """The checked parameters of ``request``'s query string (the last
        value of a repeated one, as ``QueryDict.get`` gives); empty ones are
        absent.  A plain dict, so that an absent boolean is None, not the
        False an HTML form's missing checkbox would mean."""
        data = {name: value for name, value in request.query_params.dict().items() if value != ""}
        query = cls(data=data)
        query.is_valid(raise_exception=True)
        return dict(query.validated_data)


class UnitQuery(QueryParams):
    status = _choice(UnitStatus)
    unit_type = _choice(UnitType)
    agency = _id()
    bbox = BBoxField(required=False, default=None)


class IncidentQuery(QueryParams):
    status = _choice(IncidentStatus)
    active = _flag()
    level = _choice(IncidentLevel)
    incident_type = _choice(IncidentType)
    bbox = BBoxField(required=False, default=None)


class AssignmentQuery(QueryParams):
    active = _flag()


class MutualAidQuery(QueryParams):
    status = _choice(MutualAidStatus)


class ClosureQuery(QueryParams):
    in_force = _flag()


class ZoneQuery(QueryParams):
    incident = _id()
    active = _flag()


class EventQuery(QueryParams):
    after = serializers.IntegerField(min_value=0, max_value=_ID_MAX, required=False, default=0)


class SupplyRequestQuery(QueryParams):
    status = _choice(SupplyRequestStatus)


class AgencyFilterQuery(QueryParams):
    agency = _id()


class UnitFilterQuery(QueryParams):
    unit = _id()


class UnitBoardQuery(QueryParams):
    unit_type = _choice(UnitType)
    agency = _id()


class PointQuery(QueryParams):
    lon = serializers.FloatField(min_value=-180, max_value=180)
    lat = serializers.FloatField(min_value=-90, max_value=90)


class RecommendationQuery(QueryParams):
    unit_type = _choice(UnitType)
    count = serializers.IntegerField(min_value=1, max_value=100, required=False, default=1)


class VideoWallQuery(QueryParams):
    size = serializers.ChoiceField(choices=[(4, "2×2"), (9, "3×3")], required=False, default=4,
                                   help_text="tiles of the wall: 4 (2×2) or 9 (3×3)")

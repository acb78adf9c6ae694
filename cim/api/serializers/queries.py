"""Query strings that are not filters of a list: validated like a body."""

from __future__ import annotations

from rest_framework import serializers

from cim.choices import AdminLevel
from cim.models.admin_areas import LEVEL_RANK, LEVELS
from cim.search import MAX_QUERY

__all__ = ["SEARCH_TYPES", "AdminBoundariesQuery", "AdminTreeQuery", "PointQuery", "SearchQuery"]

SEARCH_TYPES = ("address", "area", "service_point", "building")


class CommaListField(serializers.ListField):
    """``a,b,c`` in one query parameter → a list of choices."""

    def to_internal_value(self, data):
        chunks = [data] if isinstance(data, str) else data
        if isinstance(chunks, list):
            data = [v.strip() for chunk in chunks for v in str(chunk).split(",") if v.strip()]
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not isinstance(exc.detail, dict):
                raise
            # one query parameter: name it, not the position in the list
            raise serializers.ValidationError(
                [m for messages in exc.detail.values() for m in messages]) from None


class AdminTreeQuery(serializers.Serializer):
    max_level = serializers.ChoiceField(choices=AdminLevel.choices, required=False)


class PointQuery(serializers.Serializer):
    lon = serializers.FloatField(min_value=-180, max_value=180)
    lat = serializers.FloatField(min_value=-90, max_value=90)


class AdminBoundariesQuery(serializers.Serializer):
    levels = CommaListField(
        child=serializers.ChoiceField(choices=AdminLevel.choices), allow_empty=False,
        default=list(LEVELS[LEVEL_RANK[AdminLevel.CITY]:]),
        help_text="comma list of " + ", ".join(AdminLevel.values)
                  + " (default: city,district,street,community)")
    tolerance = serializers.FloatField(min_value=0.0, max_value=500.0, required=False,
                                       help_text="simplification in metres (default: per level)")


class SearchQuery(serializers.Serializer):
    q = serializers.CharField(max_length=MAX_QUERY, trim_whitespace=True, help_text="text to find",
                              error_messages={"blank": "type something to search for"})
    type = CommaListField(child=serializers.ChoiceField(choices=SEARCH_TYPES), required=False,
                          help_text="comma list of " + ", ".join(SEARCH_TYPES))
    limit = serializers.IntegerField(min_value=1, max_value=50, default=20)

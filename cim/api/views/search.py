"""``/api/cim/search/?q=``: one search box for the viewer and the public."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from cim.api.throttles import PublicThrottle
from cim.permissions import PublicRead
from cim.search import MAX_QUERY, search

TYPES = ("address", "area", "service_point", "building")


class SearchView(APIView):
    """Fuzzy search over addresses, admin areas, service points and (staff)
    buildings.  Anonymous callers are rate-limited and see no units, rooms or
    building names (see :mod:`cim.search`)."""

    permission_classes = [PublicRead]
    throttle_classes = [PublicThrottle]

    @extend_schema(
        tags=["search"],
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, required=True, description="text to find"),
            OpenApiParameter("type", OpenApiTypes.STR, description="comma list of " + ", ".join(TYPES)),
            OpenApiParameter("limit", OpenApiTypes.INT, description="1–50 (default 20)"),
        ],
        responses={200: inline_serializer("SearchResults", {
            "query": serializers.CharField(),
            "results": serializers.ListField(child=inline_serializer("SearchHit", {
                "type": serializers.CharField(), "kind": serializers.CharField(),
                "id": serializers.IntegerField(), "label": serializers.CharField(),
                "code": serializers.CharField(),
                "building_id": serializers.IntegerField(allow_null=True),
                "lon": serializers.FloatField(allow_null=True),
                "lat": serializers.FloatField(allow_null=True),
                "bbox": serializers.ListField(child=serializers.FloatField(), allow_null=True),
                "score": serializers.FloatField()}))})},
    )
    def get(self, request):
        q = request.query_params.get("q", "")
        if not q.strip():
            raise ValidationError({"q": ["type something to search for"]})
        if len(q) > MAX_QUERY:
            raise ValidationError({"q": [f"at most {MAX_QUERY} characters"]})
        if "\x00" in q:
            raise ValidationError({"q": ["contains a NUL character"]})
        raw_types = request.query_params.get("type")
        types = None
        if raw_types:
            types = set(raw_types.split(","))
            bad = types - set(TYPES)
            if bad:
                raise ValidationError({"type": [f"unknown {', '.join(sorted(bad))}; "
                                                f"one of {', '.join(TYPES)}"]})
        raw_limit = request.query_params.get("limit", "20")
        if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= 50:
            raise ValidationError({"limit": ["an integer from 1 to 50"]})
        results = search(q=q, user=request.user, limit=int(raw_limit), types=types)
        return Response({"query": q, "results": results})

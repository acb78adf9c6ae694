"""``/api/cim/search/?q=``: one search box for the viewer and the public."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cim.api.serializers.queries import SearchQuery
from cim.api.throttles import PublicThrottle
from cim.permissions import PublicRead
from cim.search import search


class SearchView(APIView):
    """Fuzzy search over addresses, admin areas, service points and (staff)
    buildings.  Anonymous callers are rate-limited and see no units, rooms or
    building names (see :mod:`cim.search`)."""

    permission_classes = [PublicRead]
    throttle_classes = [PublicThrottle]

    @extend_schema(
        tags=["search"],
        parameters=[SearchQuery],
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
        query = SearchQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        q, limit = query.validated_data["q"], query.validated_data["limit"]
        types = set(query.validated_data.get("type") or ()) or None
        results = search(q=q, user=request.user, limit=limit, types=types)
        return Response({"query": q, "results": results})

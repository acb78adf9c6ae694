"""The shape every map layer of the API shares: a read-only, paginated GeoJSON
FeatureCollection whose query string a FilterSet checks (bbox and the
layer's own filters) over the rows a selector gives."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import viewsets

from config.common.pagination import GeoPagination

__all__ = ["MapLayerViewSet"]


class MapLayerViewSet(viewsets.ReadOnlyModelViewSet):
    """Subclasses name ``permission_classes``, ``serializer_class``,
    ``filterset_class`` and ``selector``, a ``staticmethod`` returning the
    base queryset."""

    pagination_class = GeoPagination
    filter_backends = [DjangoFilterBackend]
    selector: Callable[[], QuerySet]

    def get_queryset(self):
        return self.selector()

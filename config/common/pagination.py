"""Pagination of both apps' lists: plain pages and GeoJSON FeatureCollections."""

from rest_framework.pagination import PageNumberPagination
from rest_framework_gis.pagination import GeoJsonPagination

__all__ = ["GeoPagination", "StandardPagination"]


class StandardPagination(PageNumberPagination):
    """Pages of 100 records (``page_size`` up to 1,000)."""

    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class GeoPagination(GeoJsonPagination):
    """Paginated GeoJSON FeatureCollection (count, next, previous, features)."""

    page_size = 500
    page_size_query_param = "page_size"
    max_page_size = 5000

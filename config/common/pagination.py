from rest_framework.pagination import PageNumberPagination
from rest_framework_gis.pagination import GeoJsonPagination


class StandardPagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class GeoPagination(GeoJsonPagination):
    """Paginated GeoJSON FeatureCollection (count, next, previous, features)."""

    page_size = 500
    page_size_query_param = "page_size"
    max_page_size = 5000

"""方案比对 (``/api/cim/analyses/…``): planners upload design schemes and save
comparisons; commanders read them; the public nothing.

* ``schemes/`` — list; POST (multipart) a scheme: ``name``, ``site``,
  ``buildings`` (GeoJSON, GeoPackage, CityJSON or IFC), optional ``green``,
  ``crs``, ``note``; for an IFC model optionally ``lon``, ``lat``, ``rotation``,
  ``base_height`` (where it stands, as for a BIM import).
* ``schemes/{id}/`` — the scheme for the 3D view (site, green, planned
  buildings as GeoJSON, the city buildings it replaces); DELETE.
* ``scheme-compare/`` — save a comparison of two or three schemes (with the
  pictures of their 3D views); the saved run is returned, its PDF at
  ``runs/{id}/pdf/``.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from cim.api.serializers.analyses import (
    AnalysisRunSerializer,
    DesignSchemeSerializer,
    DesignSchemeUploadSerializer,
    SchemeCompareSerializer,
)
from cim.errors import DomainError
from cim.models import DesignScheme
from cim.permissions import AnalysisAccess
from cim.services.analyses import scheme as schemes

__all__ = ["DesignSchemeViewSet", "SchemeCompareView"]


@extend_schema(tags=["analyses"])
class DesignSchemeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin,
                          viewsets.GenericViewSet):
    permission_classes = [AnalysisAccess]
    serializer_class = DesignSchemeSerializer
    queryset = DesignScheme.objects.select_related("created_by")
    pagination_class = None

    @extend_schema(request={"multipart/form-data": DesignSchemeUploadSerializer},
                   responses={201: DesignSchemeSerializer})
    def create(self, request):
        data = DesignSchemeUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        scheme = schemes.scheme_create(name=v["name"], note=v["note"], crs=v["crs"] or None, site=v["site"],
                                       buildings=v["buildings"], green=v["green"], placement=v["placement"],
                                       by=request.user)
        return Response(DesignSchemeSerializer(scheme).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def retrieve(self, request, pk=None):
        return Response(schemes.scheme_geojson(self.get_object()))

    def perform_destroy(self, instance):
        schemes.scheme_delete(scheme=instance, by=self.request.user)


@extend_schema(tags=["analyses"])
class SchemeCompareView(APIView):
    permission_classes = [AnalysisAccess]

    @extend_schema(request=SchemeCompareSerializer, responses={201: AnalysisRunSerializer})
    def post(self, request):
        data = SchemeCompareSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        found = DesignScheme.objects.in_bulk(v["schemes"])
        missing = [i for i in v["schemes"] if i not in found]
        if missing:
            raise DomainError(f"unknown scheme id(s): {', '.join(map(str, missing))}", field="schemes")
        run = schemes.scheme_compare(schemes=[found[i] for i in v["schemes"]], by=request.user,
                                     title=v["title"], images=v["images"])
        return Response(AnalysisRunSerializer(run).data, status=status.HTTP_201_CREATED)

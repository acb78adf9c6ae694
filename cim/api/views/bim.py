"""BIM buildings under ``/api/cim/bim/``: the models (storeys, classes,
placement, tileset) and their elements with the IFC property sets, for the
planner viewer's element panel.  Staff read; imports run as jobs
(``import.ifc``) or with ``manage.py import_ifc``; admins re-link a model to
the city building it replaces (PATCH ``replaces``, null unlinks) or delete it
(DELETE), with a reason kept in the building's history."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cim.errors import DomainError
from cim.models import BimModel
from cim.permissions import StaffRead
from cim.selectors import bim as selectors
from cim.services.bim import bim_model_delete, bim_relink
from config.common.pagination import StandardPagination

_ELEMENT = {
    "global_id": serializers.CharField(),
    "ifc_class": serializers.CharField(),
    "storey": serializers.CharField(),
    "name": serializers.CharField(),
    "type_name": serializers.CharField(),
    "material": serializers.CharField(),
    "z_min": serializers.FloatField(allow_null=True, help_text="orthometric, metres"),
    "z_max": serializers.FloatField(allow_null=True),
}
ELEMENT_FIELDS = ("global_id", "ifc_class", "storey", "name", "type_name", "material", "z_min", "z_max")
_MODEL_FIELDS = {
    "id": serializers.IntegerField(),
    "name": serializers.CharField(),
    "file_name": serializers.CharField(),
    "schema": serializers.CharField(),
    "height": serializers.FloatField(),
    "base_elevation": serializers.FloatField(),
    "storeys": serializers.ListField(child=serializers.DictField()),
    "classes": serializers.DictField(child=serializers.IntegerField()),
    "placement_source": serializers.CharField(),
    "placement": serializers.DictField(),
    "replaces": serializers.IntegerField(allow_null=True),
    "centroid": serializers.ListField(child=serializers.FloatField()),
    "tileset_url": serializers.CharField(allow_null=True),
    "import_run": serializers.IntegerField(allow_null=True),
    "updated_at": serializers.DateTimeField(),
}

# One component for the list and the detail (two inline serializers of one name clash).
_BIM_MODEL = type("BimModel", (serializers.Serializer,), dict(_MODEL_FIELDS))


_CHANGE = type("BimModelChange", (serializers.Serializer,), {
    "replaces": serializers.IntegerField(allow_null=True, required=False,
                                         help_text="PATCH: the city building replaced, or null"),
    "reason": serializers.CharField(max_length=500),
})


def _element(e, *, psets: bool) -> dict:
    data = {name: getattr(e, name) for name in ELEMENT_FIELDS}
    if psets:
        data["psets"] = e.psets
        data["model"] = e.model_id
    return data


class BimModelListView(APIView):
    """Every BIM building."""

    permission_classes = [StaffRead]

    @extend_schema(tags=["cim"], responses={200: _BIM_MODEL(many=True)})
    def get(self, request):
        return Response([selectors.bim_model_summary(b) for b in selectors.bim_models()])


class BimModelDetailView(APIView):
    """One BIM building."""

    permission_classes = [StaffRead]

    @extend_schema(tags=["cim"], responses={200: _BIM_MODEL()})
    def get(self, request, pk: int):
        return Response(selectors.bim_model_summary(get_object_or_404(BimModel, pk=pk)))

    @extend_schema(tags=["cim"], request=_CHANGE(), responses={200: _BIM_MODEL()})
    def patch(self, request, pk: int):
        """Re-link the model to the city building it replaces (null: none), with a reason (admins)."""
        bim = get_object_or_404(BimModel, pk=pk)
        if "replaces" not in request.data:
            raise DomainError("required: the id of the city building replaced, or null", field="replaces")
        replaces = request.data["replaces"]
        if replaces is not None and (isinstance(replaces, bool) or not isinstance(replaces, int)
                                     or not 0 < replaces < 2**63):
            raise DomainError("must be the id of a city building, or null", field="replaces")
        bim_relink(bim=bim, replaces=replaces, by=request.user, reason=request.data.get("reason"))
        return Response(selectors.bim_model_summary(BimModel.objects.get(pk=pk)))

    @extend_schema(tags=["cim"], request=_CHANGE(), responses={200: OpenApiTypes.OBJECT})
    def delete(self, request, pk: int):
        """Delete the model, with a reason; the city building it replaced is drawn again (admins)."""
        bim = get_object_or_404(BimModel, pk=pk)
        return Response(bim_model_delete(bim=bim, by=request.user, reason=request.data.get("reason")))


class BimElementListView(APIView):
    """A BIM building's elements (paginated), by storey and IFC class."""

    permission_classes = [StaffRead]

    @extend_schema(
        tags=["cim"],
        parameters=[OpenApiParameter("storey", str), OpenApiParameter("ifc_class", str)],
        responses={200: inline_serializer("BimElement", _ELEMENT, many=True)},
    )
    def get(self, request, pk: int):
        bim = get_object_or_404(BimModel, pk=pk)
        qs = selectors.bim_elements(
            bim, storey=request.query_params.get("storey"), ifc_class=request.query_params.get("ifc_class")
        )
        paginator = StandardPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response([_element(e, psets=False) for e in page])


class BimElementDetailView(APIView):
    """One element by its GlobalId, with its IFC property sets."""

    permission_classes = [StaffRead]

    @extend_schema(
        tags=["cim"],
        responses={
            200: inline_serializer(
                "BimElementDetail",
                {**_ELEMENT, "psets": serializers.DictField(), "model": serializers.IntegerField()},
            )
        },
    )
    def get(self, request, pk: int, global_id: str):
        return Response(_element(selectors.bim_element(model_id=pk, global_id=global_id), psets=True))

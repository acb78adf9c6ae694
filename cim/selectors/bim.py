"""Reads of BIM buildings and their elements."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from cim.models import BimElement, BimModel

__all__ = ["bim_element", "bim_elements", "bim_model_summary", "bim_models"]


def bim_models() -> QuerySet[BimModel]:
    return BimModel.objects.select_related("replaces").order_by("pk")


def bim_model_summary(bim: BimModel) -> dict:
    """A model for the viewer: its storeys, its classes with their counts,
    its placement and the tileset it is drawn from."""
    classes = (
        BimElement.objects.filter(model=bim).values("ifc_class").annotate(n=Count("id")).order_by("ifc_class")
    )
    lon, lat = bim.footprint.centroid.coords
    return {
        "id": bim.pk,
        "name": bim.name,
        "file_name": bim.file_name,
        "schema": bim.schema,
        "height": round(bim.height, 3),
        "base_elevation": round(bim.base_elevation, 3),
        "storeys": bim.storeys,
        "classes": {row["ifc_class"]: row["n"] for row in classes},
        "placement_source": bim.placement_source,
        "placement": bim.placement,
        "replaces": bim.replaces_id,
        "centroid": [round(lon, 8), round(lat, 8)],
        "tileset_url": f"/tiles/bim/{bim.pk}/tileset.json" if bim.tiles_version else None,
        "import_run": bim.import_run_id,
        "updated_at": bim.updated_at,
    }


def bim_elements(bim: BimModel, *, storey: str | None = None, ifc_class: str | None = None) -> QuerySet:
    qs = BimElement.objects.filter(model=bim).order_by("id")
    if storey is not None:
        qs = qs.filter(storey=storey)
    if ifc_class is not None:
        qs = qs.filter(ifc_class=ifc_class)
    return qs


def bim_element(*, model_id: int, global_id: str) -> BimElement:
    return get_object_or_404(
        BimElement.objects.select_related("model"), model_id=model_id, global_id=global_id
    )

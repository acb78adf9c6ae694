"""The links from the city tileset to the BIM models' own tilesets (one child of the
root per tiled model, marked so that a rewrite replaces them).  Used by the city tile
build (:mod:`cim.services.tiles`) and by the BIM import (:mod:`cim.services.bim`), which
depends on the tile build: this module depends on neither."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from cim.bim import tiles as bim_tiles
from cim.conf import cim_settings
from cim.models import BimModel
from cim.tiling.builder import BOX_PADDING_M, bounding_box
from cim.tiling.geodesy import EnuFrame
from cim.tiling.publish import current_build, write_atomic

LINK_MARK = "tianshui_bim_model"


def bim_city_links(frame: EnuFrame) -> list[dict]:
    """One tile per tiled BIM model, for the root of a city tileset in ``frame``."""
    links = []
    for bim in BimModel.objects.exclude(tiles_version="").order_by("pk"):
        served = Path(cim_settings.BIM_TILES_DIR) / str(bim.pk)
        doc_path = served / "tileset.json"
        if not doc_path.is_file():
            continue
        doc = json.loads(doc_path.read_text())
        geoid = float(bim.placement.get("geoid", 0.0))
        low = bim.base_elevation + geoid
        region = bim_tiles.region(_shapely(bim.footprint), low, low + bim.height)
        link = bim_tiles.city_link(
            city=frame,
            uri=f"bim/{bim.pk}/tileset.json?v={doc['asset']['tilesetVersion']}",
            region=region,
            geometric_error=float(doc["geometricError"]),
        )
        link["extras"] = {LINK_MARK: bim.pk}
        links.append(link)
    return links


def add_links(doc: dict, frame: EnuFrame) -> dict:
    """Replace the BIM links under ``doc``'s root by the current ones."""
    root = doc["root"]
    kept = [c for c in root.get("children", []) if LINK_MARK not in c.get("extras", {})]
    links = bim_city_links(frame)
    if kept or links:
        root["children"] = kept + links
    else:
        root.pop("children", None)
    if links:
        _enclose(root, frame, links)
        # the root must refine into a model as soon as the model itself would be drawn
        root["geometricError"] = max(
            root.get("geometricError") or 0.0, *(link["geometricError"] for link in links)
        )
        doc["geometricError"] = max(doc["geometricError"], root["geometricError"])
    return doc


def _enclose(root: dict, frame: EnuFrame, links: list[dict]) -> None:
    """Grow the root's (axis-aligned, ENU) box over the models' regions: a
    client reaches a child only through its parent's volume."""
    box = root["boundingVolume"].get("box")
    if box is None:
        return
    centre, half = np.array(box[:3]), np.array([box[3], box[7], box[11]])
    lo, hi = centre - half + BOX_PADDING_M, centre + half - BOX_PADDING_M  # bounding_box pads again
    for link in links:
        w, s, e, n, low, high = link["boundingVolume"]["region"]
        lon = np.degrees([w, e, e, w] * 2)
        lat = np.degrees([s, s, n, n] * 2)
        corners = frame.from_geodetic(lon, lat, np.array([low] * 4 + [high] * 4))
        lo, hi = np.minimum(lo, corners.min(axis=0)), np.maximum(hi, corners.max(axis=0))
    root["boundingVolume"]["box"] = bounding_box(lo, hi)


def _shapely(geometry):
    import shapely

    return shapely.from_wkb(bytes(geometry.wkb))


def city_tiles_link_bim() -> bool:
    """Rewrite the published city tileset.json with the current BIM links
    (False when there is no city tileset)."""
    build = current_build(Path(cim_settings.TILES_DIR))
    if build is None or not (build / "manifest.json").is_file():
        return False
    doc = json.loads((build / "tileset.json").read_text())
    frame = EnuFrame(*json.loads((build / "manifest.json").read_text())["frame"])
    add_links(doc, frame)
    write_atomic(build / "tileset.json", json.dumps(doc, separators=(",", ":")).encode())
    return True

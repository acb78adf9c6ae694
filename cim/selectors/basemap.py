"""Which basemap the 3D pages draw: an external imagery service when
``CIM['BASEMAP_EXTERNAL']`` names one (the province's 天地图 or 国土 service on
the closed network), else the platform's own built tiles, else none."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from cim.conf import cim_settings

KINDS = ("wmts", "xyz", "tms")


def published_metadata(served: Path | None = None) -> dict | None:
    """The metadata.json of the published basemap, or None when none is built."""
    path = Path(served or cim_settings.BASEMAP_DIR) / "metadata.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _external(conf: dict) -> dict:
    kind = conf.get("kind")
    if kind not in KINDS or not conf.get("url"):
        raise ImproperlyConfigured(
            f"CIM['BASEMAP_EXTERNAL'] needs 'kind' ({', '.join(KINDS)}) and 'url', got {conf!r}")
    if kind == "wmts" and not conf.get("layer"):
        raise ImproperlyConfigured("CIM['BASEMAP_EXTERNAL'] of kind 'wmts' needs 'layer'")
    return {
        "external": True,
        "kind": kind,
        "url": conf["url"],
        "layer": conf.get("layer", ""),
        "style": conf.get("style", "default"),
        "tile_matrix_set": conf.get("tile_matrix_set", "GoogleMapsCompatible"),
        "format": conf.get("format", "image/png"),
        "subdomains": list(conf.get("subdomains", [])),
        "min_zoom": int(conf.get("min_zoom", 0)),
        "max_zoom": int(conf.get("max_zoom", 18)),
        "bounds": conf.get("bounds"),
        "attribution": conf.get("attribution", ""),
        "synthetic": False,
    }


def basemap_layer() -> dict | None:
    """What the viewer, console and dashboard put under the city (see the module docstring)."""
    conf = cim_settings.BASEMAP_EXTERNAL
    if conf:
        return _external(conf)
    meta = published_metadata()
    if not meta:
        return None
    return {
        "external": False,
        "kind": "xyz",
        "url": meta["tiles"][0],
        "min_zoom": meta["minzoom"],
        "max_zoom": meta["maxzoom"],
        "bounds": meta["bounds"],
        "attribution": meta["attribution"],
        "sources": meta.get("sources", {}),
        "synthetic": bool(meta.get("synthetic")),
        "version": meta["version"],
    }


__all__ = ["basemap_layer", "published_metadata"]

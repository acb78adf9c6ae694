"""Building the raster basemap (XYZ PNG tiles, Web Mercator) from the city model.

Reads buildings (land use by their use), waterways, roads and the admin areas
of the districts, streets and communities, shades the ground from the
registered DEMs (the same sampler as the terrain tiles) and draws
:mod:`cim.basemap` tiles for zooms ``BASEMAP_MIN_ZOOM``…``BASEMAP_MAX_ZOOM``
over the extent of the data.

Output: ``cim_settings.BASEMAP_DIR`` (a symbolic link to the current build)
with ``metadata.json`` (TileJSON 3.0) and ``{z}/{x}/{y}.png``, published
atomically like the 3D Tiles and the terrain.  A build whose inputs (data,
DEMs, zooms and the style) are those of the published one does nothing unless
``full``; a rebuild hard-links every tile that came out byte for byte the
same, so its ETag survives.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from django.contrib.gis.db.models.functions import AsWKB
from django.db import connection, transaction
from django.db.models import Count, Max

from cim.basemap import MapData, Renderer
from cim.basemap import style as basemap_style
from cim.basemap import webmercator as wm
from cim.conf import cim_settings
from cim.errors import DomainError
from cim.models import Building, DemRaster, RoadSegment, Waterway
from cim.progress import Progress, counter
from cim.selectors.admin_areas import admin_boundaries
from cim.selectors.basemap import published_metadata
from cim.services.audit import audit_record
from cim.services.build_lock import build_lock
from cim.services.terrain_tiles import DemSampler
from cim.tiling.parallel import cores, run_forked
from cim.tiling.publish import current_build, discard, new_build_dir, publish, write_atomic

LOCK_KEY = 0x6261_7365
MAX_ZOOM_LIMIT = 19
PAD_DEG = 0.01  # ≈ 1 km of margin around the data
ADMIN_LEVELS = ["district", "street", "community"]
TILE_URL = "/basemap/{z}/{x}/{y}.png"
# From this zoom, tiles with nothing but the ground on them are not drawn: the
# viewer shows the coarser tile there (most of the extent is empty hills).
SPARSE_FROM_ZOOM = 15
BATCH = 64  # tiles per round of forked workers (a fork per worker and batch)


@dataclass
class BasemapBuildResult:
    """What a basemap build did."""

    path: Path
    version: str
    mode: str  # built | unchanged
    tiles: int
    reused: int  # tiles identical to the previous build's (hard-linked)
    zooms: list[int]
    bytes: int
    seconds: float

    def summary(self) -> dict:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in self.__dict__.items()}


def _sources(model) -> list[str]:
    return sorted(s for s in model.objects.values_list("source", flat=True).distinct() if s)


def read_map_data() -> MapData:
    """The city model as lon/lat geometries for the renderer."""
    data = MapData()
    rows = list(Building.objects.values_list("use", AsWKB("footprint")))
    geoms = shapely.from_wkb([bytes(w) for _, w in rows])
    data.buildings = [(use or "other", g) for (use, _), g in zip(rows, geoms, strict=True)]
    rows = list(Waterway.objects.values_list("name", AsWKB("geom"), AsWKB("centreline")).order_by("pk"))
    data.water = [(name, shapely.from_wkb(bytes(g)), shapely.from_wkb(bytes(c)) if c else None)
                  for name, g, c in rows]
    rows = list(RoadSegment.objects.values_list("road_class", "name", "closed", AsWKB("geom")).order_by("pk"))
    geoms = shapely.from_wkb([bytes(r[3]) for r in rows])
    data.roads = [(c, n, closed, g) for (c, n, closed, _), g in zip(rows, geoms, strict=True)]
    data.areas = [
        (f["properties"]["level"], f["properties"]["name"], shapely.from_geojson(json.dumps(f["geometry"])),
         (f["properties"]["label_lon"], f["properties"]["label_lat"]))
        for f in admin_boundaries(levels=ADMIN_LEVELS)
    ]
    return data


def _fingerprint(zooms: list[int], dems: list[DemRaster]) -> str:
    """What the tiles are drawn from: changes to any of it call for a new build."""
    parts: dict = {"style": basemap_style.STYLE_VERSION, "zooms": zooms,
                   "dems": [(d.pk, d.checksum, d.priority) for d in dems]}
    for model in (Building, RoadSegment, Waterway):
        agg = model.objects.aggregate(n=Count("pk"), last=Max("updated_at"))
        parts[model.__name__] = [agg["n"], agg["last"].isoformat() if agg["last"] else None]
    with connection.cursor() as cur:
        cur.execute("SELECT md5(string_agg(code || level || name || coalesce(md5(ST_AsBinary(boundary)), ''),"
                    " ',' ORDER BY code)) FROM cim_adminarea")
        parts["admin"] = cur.fetchone()[0]
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _heights(dems: list[DemRaster]):
    """Orthometric heights from the DEMs; NaN beyond all of them."""
    sampler = DemSampler(dems)
    boxes = [d.bounds.extent for d in dems]

    def heights(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        inside = np.zeros(lon.shape, bool)
        for west, south, east, north in boxes:
            inside |= (lon >= west) & (lon <= east) & (lat >= south) & (lat <= north)
        return np.where(inside, sampler(lon, lat), np.nan)

    return heights


def _check_zooms(min_zoom: int, max_zoom: int) -> None:
    if not 0 <= min_zoom <= MAX_ZOOM_LIMIT:
        raise DomainError(f"min_zoom must be 0…{MAX_ZOOM_LIMIT}, got {min_zoom}", field="min_zoom")
    if not min_zoom <= max_zoom <= MAX_ZOOM_LIMIT:
        raise DomainError(f"max_zoom must be {min_zoom}…{MAX_ZOOM_LIMIT}, got {max_zoom}", field="max_zoom")


def _font() -> tuple[str, int]:
    """The labels' font: ``BASEMAP_FONT``, else the reports' CJK font (WenQuanYi)."""
    path = str(cim_settings.BASEMAP_FONT)
    if os.path.isfile(path):
        return path, int(cim_settings.BASEMAP_FONT_INDEX)
    if os.path.isfile(str(cim_settings.REPORT_FONT)):
        return str(cim_settings.REPORT_FONT), 0
    raise DomainError(f"the basemap font {path} is missing (Debian fonts-noto-cjk)", field="font")


def basemap_build(
    *,
    by=None,
    progress: Progress = False,
    out_dir: Path | None = None,
    min_zoom: int | None = None,
    max_zoom: int | None = None,
    full: bool = False,
    workers: int | None = None,
) -> BasemapBuildResult:
    """Draw and publish the basemap tiles (see the module docstring).  Raises
    :class:`DomainError` when there is nothing to draw and :class:`Conflict`
    when another build runs; the published basemap is then left as it was.
    Tiles are drawn in batches by ``workers`` forked processes (default: up to two cores)."""
    min_zoom = cim_settings.BASEMAP_MIN_ZOOM if min_zoom is None else min_zoom
    max_zoom = cim_settings.BASEMAP_MAX_ZOOM if max_zoom is None else max_zoom
    _check_zooms(min_zoom, max_zoom)
    font_path, font_index = _font()
    started = time.perf_counter()
    served = Path(out_dir or cim_settings.BASEMAP_DIR)
    zooms = list(range(min_zoom, max_zoom + 1))
    with build_lock(LOCK_KEY, "build_basemap"):
        dems = list(DemRaster.objects.order_by("pk"))
        fingerprint = _fingerprint(zooms, dems)
        old = published_metadata(served)
        if not full and old and old.get("fingerprint") == fingerprint:
            return BasemapBuildResult(path=served, version=old["version"], mode="unchanged",
                                      tiles=old.get("tile_count", 0), reused=0, zooms=zooms, bytes=0,
                                      seconds=time.perf_counter() - started)
        data = read_map_data()
        extent = data.bounds()
        if extent is None:
            raise DomainError("the city model has no buildings, roads or water to draw; import a city first",
                              field="data", code="no_data")
        west, south, east, north = extent
        bounds = (west - PAD_DEG, south - PAD_DEG, east + PAD_DEG, north + PAD_DEG)
        renderer = Renderer(data, heights=_heights(dems) if dems else None,
                            font_path=font_path, font_index=font_index)
        jobs = [(z, x, y) for z in zooms for x, y in wm.tiles_covering(z, bounds)]
        previous = current_build(served)
        version, build_dir = new_build_dir(served)
        workers = min(2, cores()) if workers is None else max(1, workers)
        written = reused = drawn = 0
        bar = counter(progress, desc="basemap", unit="tile", total=len(jobs), leave=False)
        try:
            for z in zooms:
                level = renderer.zoom(z)
                tiles = [(x, y) for zz, x, y in jobs if zz == z]
                for start in range(0, len(tiles), BATCH):
                    batch = tiles[start:start + BATCH]
                    draw = functools.partial(_draw_share, renderer=renderer, level=level,
                                             build_dir=build_dir, previous=previous)
                    for counts in run_forked(draw, [batch[k::workers] for k in range(workers)]):
                        drawn, written, reused = (a + b for a, b in zip((drawn, written, reused), counts,
                                                                         strict=True))
                    bar.update(len(batch))
            bar.close()
            meta = _metadata(version=version, fingerprint=fingerprint, zooms=zooms, bounds=bounds,
                             dems=dems, tiles=drawn)
            write_atomic(build_dir / "metadata.json", json.dumps(meta, ensure_ascii=False, indent=1).encode())
            publish(served, build_dir)
        except BaseException:
            discard(build_dir)
            raise
    result = BasemapBuildResult(path=served, version=version, mode="built", tiles=drawn, reused=reused,
                                zooms=zooms, bytes=written, seconds=time.perf_counter() - started)
    with transaction.atomic():
        audit_record(actor=by or "system", action="basemap.build", object_type="cim.basemap",
                     object_id=version, after=result.summary())
    return result


def _draw_share(tiles, *, renderer: Renderer, level, build_dir: Path, previous: Path | None):
    """Draw and write some tiles of one zoom (in a forked worker: no database);
    returns (drawn, bytes, reused)."""
    z = level.z
    drawn = written = reused = 0
    for x, y in tiles:
        if z >= SPARSE_FROM_ZOOM and not renderer.has_content(level, x, y):
            continue
        png = renderer.png(level, x, y)
        drawn += 1
        written += len(png)
        rel = Path(str(z), str(x), f"{y}.png")
        target = build_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        old_tile = previous / rel if previous else None
        if old_tile is not None and old_tile.is_file() and old_tile.read_bytes() == png:
            os.link(old_tile, target)  # the same tile: its ETag (size, mtime) survives the rebuild
            reused += 1
        else:
            target.write_bytes(png)
    return drawn, written, reused


def _metadata(*, version, fingerprint, zooms, bounds, dems, tiles) -> dict:
    synthetic = {
        "buildings": Building.objects.filter(synthetic=True).exists(),
        "roads": RoadSegment.objects.filter(synthetic=True).exists(),
        "water": Waterway.objects.filter(synthetic=True).exists(),
        "terrain": any(d.synthetic for d in dems),
    }
    sources = {"buildings": _sources(Building), "roads": _sources(RoadSegment), "water": _sources(Waterway),
               "terrain": sorted({d.name for d in dems})}
    west, south, east, north = bounds
    return {
        "tilejson": "3.0.0",
        "name": "CIM basemap",
        "version": version,
        "fingerprint": fingerprint,
        "scheme": "xyz",
        "format": "png",
        "tiles": [f"{TILE_URL}?v={version}"],
        "minzoom": zooms[0],
        "maxzoom": zooms[-1],
        "bounds": [round(v, 6) for v in bounds],
        "center": [round((west + east) / 2, 6), round((south + north) / 2, 6), min(zooms[-1], 13)],
        "tile_count": tiles,
        "sparse_from_zoom": SPARSE_FROM_ZOOM,
        "sources": sources,
        "synthetic": any(synthetic.values()),
        "synthetic_parts": synthetic,
        "attribution": "; ".join(f"{k}: {', '.join(v)}" for k, v in sources.items() if v)
        + (" (synthetic)" if any(synthetic.values()) else ""),
    }


__all__ = ["BasemapBuildResult", "basemap_build", "read_map_data"]

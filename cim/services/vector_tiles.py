"""Mapbox Vector Tiles of the 2D layers, cut by PostGIS (``ST_AsMVT``).

One tile holds up to four layers — ``admin_areas``, ``roads``, ``service_points``
and ``buildings`` — each from the zoom where it is legible (:data:`LAYERS`).  The
model is stored in EPSG:4326; each layer's rows are picked by the tile's envelope
in 4326 (the tables' GiST indexes) and only those are transformed to Web Mercator
and clipped by ``ST_AsMVTGeom``.  The console and dashboard maps (and any GIS
client) can read them instead of large GeoJSON.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from cim.errors import DomainError

MIN_ZOOM, MAX_ZOOM = 8, 18
EXTENT = 4096
BUFFER = 64


@dataclass(frozen=True)
class Layer:
    name: str
    table: str
    geom: str
    columns: str  # SQL select list over alias t
    min_zoom: int
    where: str = "TRUE"


LAYERS = (
    Layer(
        "admin_areas",
        "cim_adminarea",
        "boundary",
        "t.code, t.name, t.level",
        MIN_ZOOM,
        "t.boundary IS NOT NULL",
    ),
    Layer("roads", "cim_roadsegment", "geom", "t.name, t.road_class, t.oneway", 11),
    Layer("service_points", "cim_servicepoint", "geom", "t.name, t.category", 12),
    Layer("buildings", "cim_building", "footprint", "t.id, t.name, t.use, t.height, t.floors", 14),
)


def _layer_sql(layer: Layer) -> str:
    return (
        f"(SELECT ST_AsMVT(q, '{layer.name}', {EXTENT}, 'geom') FROM ("
        f"  SELECT {layer.columns}, "
        f"  ST_AsMVTGeom(ST_Transform(t.{layer.geom}, 3857), env.m, {EXTENT}, {BUFFER}, true) AS geom"
        f"  FROM {layer.table} t, env"
        f"  WHERE {layer.where} AND t.{layer.geom} && env.g) q WHERE q.geom IS NOT NULL)"
    )


def tile(z: int, x: int, y: int) -> bytes:
    """The tile's protobuf bytes (empty when nothing lies in it)."""
    if not MIN_ZOOM <= z <= MAX_ZOOM:
        raise DomainError(f"zoom must lie between {MIN_ZOOM} and {MAX_ZOOM}", field="z")
    if not (0 <= x < 2**z):
        raise DomainError(f"x must lie between 0 and {2**z - 1} at zoom {z}", field="x")
    if not (0 <= y < 2**z):
        raise DomainError(f"y must lie between 0 and {2**z - 1} at zoom {z}", field="y")
    layers = [layer for layer in LAYERS if z >= layer.min_zoom]
    parts = " || ".join(f"coalesce({_layer_sql(layer)}, ''::bytea)" for layer in layers)
    with connection.cursor() as cur:
        cur.execute(
            "WITH env AS (SELECT ST_TileEnvelope(%s, %s, %s) AS m, "
            "ST_Transform(ST_TileEnvelope(%s, %s, %s, margin => %s), 4326) AS g) "
            f"SELECT {parts}",
            [z, x, y, z, x, y, BUFFER / EXTENT],
        )
        data = cur.fetchone()[0]
    return bytes(data or b"")


def tilejson(tiles_url: str) -> dict:
    """The TileJSON 3.0 document of the tiles at ``tiles_url`` ({z}/{x}/{y} template)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
            "(SELECT ST_Extent(boundary) AS e FROM cim_adminarea) x"
        )
        box = cur.fetchone()
    bounds = [round(v, 6) for v in box] if box and box[0] is not None else [-180, -85.05, 180, 85.05]
    return {
        "tilejson": "3.0.0",
        "name": "天水 CIM 二维图层",
        "scheme": "xyz",
        "tiles": [tiles_url],
        "minzoom": MIN_ZOOM,
        "maxzoom": MAX_ZOOM,
        "bounds": bounds,
        "center": [round((bounds[0] + bounds[2]) / 2, 6), round((bounds[1] + bounds[3]) / 2, 6), 13],
        "attribution": "Tianshui CIM (synthetic demo data where marked)",
        "vector_layers": [
            {
                "id": layer.name,
                "minzoom": layer.min_zoom,
                "maxzoom": MAX_ZOOM,
                "fields": {c.split(".")[-1]: "" for c in layer.columns.split(", ")},
            }
            for layer in LAYERS
        ],
    }

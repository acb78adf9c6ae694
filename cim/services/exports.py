"""Export of a selection of the city model (a bbox or an administrative area) as
GeoPackage, CityJSON or CSV — the ``export.selection`` job.

The layers are the OGC collections (:data:`cim.services.ogc.COLLECTIONS`: one
definition of what a layer publishes); staff collections are exported only for
staff, which every submitter of the job is.  Reads go to the replica when there is
a healthy one.

- **GeoPackage**: one table per layer, written by GDAL (``ogr2ogr`` from the
  database with the layer's query), EPSG:4326.
- **CSV**: a ZIP of one UTF-8 CSV per layer (with BOM, so that Excel reads the
  Chinese names), the geometry as WKT.
- **CityJSON 2.0**: the buildings as LoD1 solids (footprint extruded from its base
  to its height) in CGCS2000 / 3-degree Gauss-Kruger CM 105E (EPSG:4544), metres.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import tempfile
import zipfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from django.db import connections

from cim.errors import DomainError
from cim.models import AdminArea
from cim.services import ogc
from config.common.replica import replica_reads

FORMATS = ("gpkg", "csv", "cityjson")
METRIC_SRID = 4544
MAX_LAYER_ROWS = 2_000_000


@dataclass(frozen=True)
class Selection:
    layers: tuple[str, ...]
    bbox: tuple[float, float, float, float] | None = None
    admin_code: str = ""

    def area_sql(self) -> tuple[str, list]:
        """SQL for the selection's area in EPSG:4326, and its parameters."""
        if self.bbox is not None:
            return "ST_MakeEnvelope(%s, %s, %s, %s, 4326)", list(self.bbox)
        return f"(SELECT boundary FROM {AdminArea._meta.db_table} WHERE code = %s)", [self.admin_code]


def clean_selection(params: dict) -> dict:
    """The job's parameters checked: ``format``, ``layers``, and ``bbox`` or ``admin_code``."""
    fmt = params.get("format")
    if fmt not in FORMATS:
        raise DomainError(f"must be one of {', '.join(FORMATS)}", field="params.format")
    layers = params.get("layers") or (["buildings"] if fmt == "cityjson" else ["buildings", "roads"])
    if not isinstance(layers, list) or not all(isinstance(x, str) for x in layers):
        raise DomainError("must be a list of layer names", field="params.layers")
    for name in layers:
        if name not in ogc.COLLECTIONS:
            raise DomainError(f"unknown layer {name!r}; expected some of {', '.join(ogc.COLLECTIONS)}",
                              field="params.layers")
    if fmt == "cityjson" and layers != ["buildings"]:
        raise DomainError("CityJSON holds the buildings only", field="params.layers")
    bbox, code = params.get("bbox"), params.get("admin_code")
    if (bbox is None) == (code in (None, "")):
        raise DomainError("give either bbox or admin_code", field="params.bbox")
    out = {"format": fmt, "layers": sorted(set(layers), key=layers.index)}
    if bbox is not None:
        if not isinstance(bbox, list) or len(bbox) != 4 or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in bbox):
            raise DomainError("must be [min lon, min lat, max lon, max lat]", field="params.bbox")
        lon0, lat0, lon1, lat1 = bbox
        if not (-180 <= lon0 < lon1 <= 180 and -90 <= lat0 < lat1 <= 90):
            raise DomainError("corners out of range or in the wrong order", field="params.bbox")
        out["bbox"] = [float(v) for v in bbox]
    else:
        known = isinstance(code, str) and AdminArea.objects.filter(code=code, boundary__isnull=False).exists()
        if not known:
            raise DomainError(f"no administrative area {code!r} with a boundary", field="params.admin_code")
        out["admin_code"] = code
    return out


def _selection(params: dict) -> Selection:
    return Selection(tuple(params["layers"]), tuple(params["bbox"]) if params.get("bbox") else None,
                     params.get("admin_code", ""))


def _layer_query(layer: ogc.Collection, selection: Selection, *, geometry: str) -> tuple[str, list]:
    area, params = selection.area_sql()
    columns = ", ".join(f"{expr} AS {name}" for name, expr in layer.properties)
    sql = (f"SELECT t.id AS fid, {columns}, {geometry} FROM {layer.table} t "
           f"WHERE {layer.where} AND ST_Intersects(t.{layer.geom}, {area}) ORDER BY t.id")
    return sql, params


def export_selection(params: dict, *, progress=None) -> tuple[str, bytes, dict]:
    """(file name, bytes, rows per layer) of the export ``params`` describes."""
    selection = _selection(params)
    with replica_reads() as alias:
        if params["format"] == "csv":
            return _csv(selection, alias, progress)
        if params["format"] == "gpkg":
            return _gpkg(selection, alias, progress)
        return _cityjson(selection, alias)


def _literal(cur, sql: str, params: list) -> str:
    """``sql`` with its parameters bound by the driver (for ogr2ogr, which takes plain SQL)."""
    return cur.mogrify(sql, params)


def _gpkg(selection: Selection, alias: str, progress) -> tuple[str, bytes, dict]:
    db = connections[alias].settings_dict
    dsn = (f"PG:host={db.get('HOST') or '127.0.0.1'} port={db.get('PORT') or 5432} "
           f"user={db.get('USER') or 'postgres'} dbname={db['NAME']}"
           + (f" password={db['PASSWORD']}" if db.get("PASSWORD") else ""))
    counts = {}
    with tempfile.TemporaryDirectory(prefix="cim-export-") as tmp:
        out = Path(tmp) / "export.gpkg"
        with connections[alias].cursor() as cur:
            for k, name in enumerate(selection.layers):
                layer = ogc.COLLECTIONS[name]
                sql, params = _layer_query(layer, selection, geometry=f"t.{layer.geom} AS geom")
                bound = _literal(cur, sql, params)
                done = subprocess.run(["ogr2ogr", "-f", "GPKG", str(out), dsn, "-sql", bound, "-nln", name,
                                       "-a_srs", "EPSG:4326", *(["-update"] if k else [])],
                                      capture_output=True, text=True, timeout=3600)
                if done.returncode:
                    raise RuntimeError(f"ogr2ogr failed for {name}: {done.stderr[-1000:]}")
                if progress:
                    progress(k + 1, len(selection.layers))
        # the rows as written (a GeoPackage is SQLite): no second run of each layer's query
        with closing(sqlite3.connect(out)) as gpkg:
            written = {row[0] for row in gpkg.execute("SELECT table_name FROM gpkg_contents")}
            for name in selection.layers:
                rows = gpkg.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] if name in written else 0
                counts[name] = rows
        return "export.gpkg", out.read_bytes(), counts


def _csv(selection: Selection, alias: str, progress) -> tuple[str, bytes, dict]:
    buffer, counts = io.BytesIO(), {}
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive, connections[alias].cursor() as cur:
        for k, name in enumerate(selection.layers):
            layer = ogc.COLLECTIONS[name]
            sql, params = _layer_query(layer, selection, geometry=f"ST_AsText(t.{layer.geom}) AS wkt")
            cur.execute(sql + f" LIMIT {MAX_LAYER_ROWS}", params)
            text = io.StringIO()
            text.write("\ufeff")
            writer = csv.writer(text)
            writer.writerow([c.name for c in cur.description])
            n = 0
            while rows := cur.fetchmany(5000):
                writer.writerows(rows)
                n += len(rows)
            counts[name] = n
            archive.writestr(f"{name}.csv", text.getvalue().encode("utf-8"))
            if progress:
                progress(k + 1, len(selection.layers))
    return "export.zip", buffer.getvalue(), counts


def _cityjson(selection: Selection, alias: str) -> tuple[str, bytes, dict]:
    layer = ogc.COLLECTIONS["buildings"]
    area, params = selection.area_sql()
    sql = (f"SELECT t.id, t.name, t.use, t.height, t.floors, t.year_built, "
           f"coalesce(t.base_elevation, 0), ST_AsGeoJSON(ST_Transform(t.footprint, {METRIC_SRID}), 3) "
           f"FROM {layer.table} t WHERE ST_Intersects(t.footprint, {area}) ORDER BY t.id")
    vertices: list[list[int]] = []
    index: dict[tuple[int, int, int], int] = {}
    scale = 0.001

    def vertex(x: float, y: float, z: float) -> int:
        key = (round(x / scale), round(y / scale), round(z / scale))
        found = index.get(key)
        if found is None:
            found = index[key] = len(vertices)
            vertices.append(list(key))
        return found

    objects = {}
    with connections[alias].cursor() as cur:
        cur.execute(sql, params)
        for bid, name, use, height, floors, year, base, geojson in cur.fetchall():
            shells = []
            for polygon in json.loads(geojson)["coordinates"]:
                rings = [ring[:-1] for ring in polygon]  # CityJSON rings are not closed
                top = base + height
                # bottom (reversed: facing down), top, and one wall per edge of every ring
                shell = [[[vertex(x, y, base) for x, y in reversed(r)] for r in rings],
                         [[vertex(x, y, top) for x, y in r] for r in rings]]
                for r in rings:
                    for (x0, y0), (x1, y1) in zip(r, r[1:] + r[:1], strict=True):
                        shell.append([[vertex(x0, y0, base), vertex(x1, y1, base), vertex(x1, y1, top),
                                       vertex(x0, y0, top)]])
                shells.append(shell)
            attributes = {"name": name, "function": use, "measuredHeight": height,
                          "storeysAboveGround": floors, "yearOfConstruction": year, "cim_id": bid}
            if len(shells) == 1:
                geometry = {"type": "Solid", "lod": "1", "boundaries": shells}
            else:
                geometry = {"type": "MultiSolid", "lod": "1", "boundaries": [[shell] for shell in shells]}
            objects[f"building-{bid}"] = {
                "type": "Building",
                "attributes": {k: v for k, v in attributes.items() if v not in (None, "")},
                "geometry": [geometry],
            }
    doc = {
        "type": "CityJSON", "version": "2.0",
        "transform": {"scale": [scale, scale, scale], "translate": [0.0, 0.0, 0.0]},
        "metadata": {"referenceSystem": f"https://www.opengis.net/def/crs/EPSG/0/{METRIC_SRID}",
                     "title": "天水 CIM export (synthetic demo data where marked)"},
        "CityObjects": objects, "vertices": vertices,
    }
    return "export.city.json", json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode(), {
        "buildings": len(objects)}

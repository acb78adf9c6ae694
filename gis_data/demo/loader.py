"""Loading the Tianshui demo city into the city model (the one module of
``gis_data`` that talks to Django).

:func:`tianshui_admin_load` writes the real division codes, names and the
real city/district boundaries; :func:`demo_city_load` replaces the synthetic
demo records with a generated :class:`~gis_data.demo.city.DemoCity` in one
transaction (bulk COPY), registers its DEM and records one audit row.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import rasterio
import shapely
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection, models, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from cim.choices import AdminLevel, ImportKind, ImportStatus
from cim.models import (
    AdminArea,
    Building,
    DemRaster,
    ImportRun,
    RoadNode,
    RoadSegment,
    ServicePoint,
    Waterway,
)
from cim.services.audit import audit_record
from cim.services.dem import dem_register
from gis_data import tianshui

from . import plan
from .city import DemoCity

SOURCE = plan.SOURCE
DEM_NAME = "天水演示城市地形（合成）"
CITY_TABLES = [Building, RoadNode, RoadSegment, ServicePoint, Waterway, AdminArea, DemRaster]


def _geos(geom) -> GEOSGeometry:
    return GEOSGeometry(shapely.to_wkb(geom, hex=True, include_srid=False), srid=4326)


@transaction.atomic
def tianshui_admin_load(*, by="system") -> dict[str, int]:
    """Upsert every division of Tianshui (codes and names are real) and the
    real boundaries of the city and its districts (audited).  Returns code → id."""
    divisions = tianshui.divisions()
    boundaries = tianshui.boundaries()
    ids: dict[str, int] = {}
    for level in (AdminLevel.CITY, AdminLevel.DISTRICT, AdminLevel.STREET, AdminLevel.COMMUNITY):
        rows = [AdminArea(code=d.code, name=d.name, level=level,
                          parent_id=ids.get(d.parent_code) if d.parent_code else None)
                for d in divisions if d.level == level]
        AdminArea.objects.bulk_create(rows, batch_size=2000, update_conflicts=True,
                                      unique_fields=["code"], update_fields=["name", "level", "parent"])
        ids.update(AdminArea.objects.filter(code__in=[r.code for r in rows])
                   .values_list("code", "id"))
    real = []
    for code, geom in boundaries.items():
        area = AdminArea(id=ids[code], code=code, boundary=_geos(geom), boundary_synthetic=False,
                         boundary_source=tianshui.BOUNDARY_SOURCE)
        real.append(area)
    AdminArea.objects.bulk_update(real, ["boundary", "boundary_synthetic", "boundary_source"])
    audit_record(actor=by, action="admin_area.load_tianshui", object_type="cim.adminarea",
                 after={"divisions": len(ids), "boundaries": sorted(boundaries),
                        "sources": [tianshui.CODES_SOURCE, tianshui.BOUNDARY_SOURCE]})
    return ids


def demo_loaded_run(*, seed: int, extent: tuple[float, ...]) -> ImportRun | None:
    """The run that loaded this very demo (same seed, extent and generator
    version), if its records are still all there."""
    run = (ImportRun.objects.filter(kind=ImportKind.DEMO, status=ImportStatus.SUCCEEDED)
           .order_by("-started_at", "-id").first())
    if run is None:
        return None
    opts = run.options or {}
    same = (opts.get("seed") == seed and opts.get("version") == plan.GENERATOR_VERSION
            and [round(v, 6) for v in opts.get("extent", [])] == [round(v, 6) for v in extent])
    if not same:
        return None
    counts = run.counts or {}
    present = {
        "buildings": Building.objects.filter(source=SOURCE).count(),
        "road_segments": RoadSegment.objects.filter(source=SOURCE).count(),
        "service_points": ServicePoint.objects.filter(source=SOURCE).count(),
        "waterways": Waterway.objects.filter(source=SOURCE).count(),
    }
    if any(counts.get(k) != v for k, v in present.items()):
        return None
    if not DemRaster.objects.filter(synthetic=True, name=DEM_NAME, import_run=run).exists():
        return None
    return run


def _copy(model, rows: list[dict]) -> None:
    """COPY rows into the model's table; fields not given take their default."""
    if not rows:
        return
    given = set(rows[0])
    fields = [f for f in model._meta.concrete_fields if not f.primary_key or f.attname in given]
    columns = []
    defaults = {}
    for f in fields:
        key = f.attname
        columns.append(f.column)
        if key not in given:
            defaults[key] = f.get_default()
    table = model._meta.db_table
    sql = f'COPY "{table}" ({", ".join(chr(34) + c + chr(34) for c in columns)}) FROM STDIN'
    with connection.cursor() as cursor:
        with cursor.cursor.copy(sql) as copy:
            for row in rows:
                values = []
                for f in fields:
                    key = f.attname
                    value = row[key] if key in row else defaults[key]
                    if isinstance(value, (dict, list)):
                        value = json.dumps(value, ensure_ascii=False)
                    values.append(value)
                copy.write_row(values)


def _ewkb(geoms) -> list[str]:
    arr = shapely.set_srid(np.asarray(geoms, dtype=object), 4326)
    return list(shapely.to_wkb(arr, hex=True, include_srid=True))


def _new_ids(model, n: int) -> list[int]:
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) "
                       "FROM generate_series(1, %s)", [n])
        return [r[0] for r in cursor.fetchall()]


def _purge(qs) -> None:
    """Delete ``qs`` in bulk while honouring every on_delete rule pointing at
    it (a plain ``QuerySet.delete()`` fetches every row first: 20 s for the
    demo's buildings)."""
    # Hidden relations too (related_name="+", e.g. road segments → their nodes).
    for rel in qs.model._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one)):
            continue
        field = rel.field
        related = rel.related_model._base_manager.filter(**{f"{field.name}__in": qs})
        rule = field.remote_field.on_delete
        if rule is models.SET_NULL:
            related.update(**{field.name: None})
        elif rule is models.CASCADE:
            _purge(related)
        elif rule is models.DO_NOTHING:
            continue
        elif rule in (models.PROTECT, models.RESTRICT):
            if related.exists():
                raise ProtectedError(
                    f"{related.count()} {rel.related_model._meta.label} record(s) still refer to "
                    f"the demo's {qs.model._meta.label} records ({field.name}); remove them "
                    "first", set(related[:5]))
        else:
            qs.delete()  # SET_DEFAULT / SET(): let Django do it row by row
            return
    qs._raw_delete(qs.db)


def _delete_previous() -> list[str]:
    """Remove the earlier synthetic demo records; returns DEM files to delete
    once the transaction commits."""
    # Records elsewhere pointing at demo records (addresses, incidents) follow
    # their on_delete rule; dependants first (segments before their nodes).
    for model in (ServicePoint, Building, RoadSegment, RoadNode, Waterway):
        _purge(model.objects.filter(source=SOURCE))
    AdminArea.objects.filter(boundary_synthetic=True).update(
        boundary=None, boundary_synthetic=False, boundary_source="", contact_phone="",
        office_address="", population=None)
    # Towns keep their real (unknown) boundary but got synthetic contact details.
    AdminArea.objects.filter(code__in=list(plan.UNIT_ANCHORS)).update(
        contact_phone="", office_address="", population=None)
    old = list(DemRaster.objects.filter(synthetic=True, name=DEM_NAME))
    DemRaster.objects.filter(pk__in=[d.pk for d in old]).delete()
    return [d.path for d in old]


def _write_dem(city: DemoCity, folder: Path) -> Path:
    data = city.terrain.data
    path = folder / f"tianshui_demo_dem_seed{city.seed}.tif"
    profile = {"driver": "GTiff", "dtype": "float32", "count": 1, "width": data.shape[1],
               "height": data.shape[0], "crs": "EPSG:4326", "transform": city.terrain.transform,
               "compress": "deflate", "predictor": 3, "tiled": True}
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(data.astype(np.float32), 1)
        dst.update_tags(SOURCE=SOURCE, SEED=str(city.seed), VERTICAL_DATUM="EGM96",
                        SYNTHETIC="true")
    return path


@transaction.atomic
def demo_city_load(*, city: DemoCity, run: ImportRun, by="system",
                   progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Replace the synthetic demo records with ``city`` (one transaction).

    Real division codes, names and district boundaries are upserted; the
    community and street areas, buildings, roads, water, service points and
    the DEM are all marked synthetic with source ``tianshui-demo``."""

    def step(name: str) -> None:
        if progress:
            progress(name)

    stale_dems = _delete_previous()
    step("delete previous demo")
    ids = tianshui_admin_load(by=by)
    step("divisions")

    with tempfile.TemporaryDirectory(dir=_tmp_root()) as tmp:
        dem = dem_register(source_path=_write_dem(city, Path(tmp)), name=DEM_NAME, synthetic=True,
                           run=run, by=by)
    step("DEM")

    now = timezone.now()
    common = {"source": SOURCE, "synthetic": True, "import_run_id": run.pk, "created_at": now,
              "updated_at": now}
    water_rows = []
    for w, g in zip(city.waterways, _ewkb([w["geom"] for w in city.waterways]), strict=True):
        water_rows.append(common | {"source_id": w["source_id"], "name": w["name"], "kind": w["kind"],
                                    "geom": g, "centreline": _ewkb([w["centreline"]])[0]
                                    if w["centreline"] is not None else None, "tags": {}})
    _copy(Waterway, water_rows)
    step("waterways")

    node_ids = _new_ids(RoadNode, len(city.road_nodes))
    node_geoms = _ewkb(shapely.points(city.road_nodes))
    _copy(RoadNode, [common | {"id": nid, "source_id": f"n{i:06d}", "geom": g}
                     for i, (nid, g) in enumerate(zip(node_ids, node_geoms, strict=True))])
    edge_geoms = _ewkb([e["geom"] for e in city.road_edges])
    seg_rows = []
    for i, (e, g) in enumerate(zip(city.road_edges, edge_geoms, strict=True)):
        seg_rows.append(common | {
            "source_id": f"s{i:06d}", "name": e["name"], "geom": g,
            "from_node_id": node_ids[e["from"]], "to_node_id": node_ids[e["to"]],
            "road_class": e["road_class"], "speed_kmh": e["speed_kmh"], "speed_from_tag": False,
            "oneway": e["oneway"], "lanes": e["lanes"], "closed": False, "bridge": e["bridge"],
            "tunnel": False, "length_m": round(e["length_m"], 2), "tags": {}})
    _copy(RoadSegment, seg_rows)
    step("roads")

    b = city.buildings
    footprints = _ewkb(b["geom"])
    centroids = _ewkb(b["centroid"])
    rows = []
    for i in range(len(footprints)):
        rows.append(common | {
            "source_id": b["source_id"][i], "name": b["name"][i], "footprint": footprints[i],
            "centroid": centroids[i], "height": b["height"][i], "height_source": "levels",
            "floors": b["floors"][i], "use": b["use"][i], "year_built": b["year"][i],
            "base_elevation": b["base_elevation"][i], "admin_area_id": ids.get(b["community"][i]),
            "lod": 1, "solid": None, "tags": b["tags"][i]})
    _copy(Building, rows)
    step("buildings")

    sp_geoms = _ewkb([p["geom"] for p in city.service_points])
    _copy(ServicePoint, [common | {
        "source_id": p["source_id"], "name": p["name"], "name_en": "", "category": p["category"],
        "geom": g, "address": p["address"][:200], "phone": p["phone"],
        "opening_hours": p["opening_hours"], "admin_area_id": ids.get(p["community"]),
        "capacity": p["capacity"], "tags": p["tags"]}
        for p, g in zip(city.service_points, sp_geoms, strict=True)])
    step("service points")

    note = f"合成边界（演示城市，种子 {city.seed}，生成器 {plan.GENERATOR_VERSION}）"
    areas = []
    for code, c in list(city.communities.items()) + list(city.units.items()):
        has_boundary = c.get("has_boundary", True)
        areas.append(AdminArea(
            id=ids[code], boundary=_geos(c["geom"]) if has_boundary else None,
            boundary_synthetic=has_boundary, boundary_source=note if has_boundary else "",
            contact_phone=c["phone"], office_address=c["office_address"][:200],
            population=c["population"]))
    AdminArea.objects.bulk_update(areas, ["boundary", "boundary_synthetic", "boundary_source",
                                          "contact_phone", "office_address", "population"],
                                  batch_size=500)
    step("community areas")

    counts = {
        "admin_areas": len(ids), "community_areas": len(city.communities),
        "street_areas": sum(1 for u in city.units.values() if u.get("has_boundary", True)),
        "buildings": len(rows), "road_nodes": len(node_ids), "road_segments": len(seg_rows),
        "service_points": len(city.service_points), "waterways": len(water_rows), "dem": 1,
    }
    audit_record(actor=by, action="demo.build", obj=run,
                 after={"seed": city.seed, "extent": list(city.extent), "counts": counts,
                        "dem": dem.pk})
    transaction.on_commit(lambda: _remove_files(stale_dems, keep=dem.path))
    return counts


def _tmp_root() -> Path:
    root = Path(settings.MEDIA_ROOT) / "tmp"
    root.mkdir(parents=True, exist_ok=True)
    return root


def _remove_files(paths: list[str], *, keep: str) -> None:
    for rel in paths:
        if rel == keep or DemRaster.objects.filter(path=rel).exists():
            continue
        (Path(settings.MEDIA_ROOT) / rel).unlink(missing_ok=True)


def city_tables_size() -> int:
    """Bytes on disk of the city tables (data, indexes and TOAST)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT sum(pg_total_relation_size(t::regclass)) FROM unnest(%s::text[]) AS t",
                       [[m._meta.db_table for m in CITY_TABLES]])
        return int(cursor.fetchone()[0] or 0)


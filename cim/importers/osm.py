"""``import_osm``: an OpenStreetMap PBF into buildings, the road graph and
service points.

Buildings stream from the reader straight into a COPY while the file is
being read; roads, nodes and service points follow; then one upsert per
table keyed by ``(source, source_id)``, the admin area of each building and
service point, and the base elevation where a DEM covers it.  Source ids:
``way/123`` and ``relation/789`` (buildings), ``way/123/0`` … (road
segments, in way order), ``node/456`` (road nodes and service points).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from tqdm import tqdm

from cim.choices import ServiceCategory
from cim.errors import ImportFailed
from cim.models import ImportRun, RoadSegment
from cim.services.elevation import ground_sampler

from . import bulk
from .osm_reader import (BUILDING_RELATIONS, BUILDINGS, NODES, ROADS, SEGMENTS, SERVICE_POINTS,
                         OsmReader, OsmReadError, OsmRest)
from .report import ImportReport

PBF_SUFFIXES = (".pbf",)


def load_osm(*, path: Path, run: ImportRun, report: ImportReport, source: str = "osm",
             progress: bool = False) -> None:
    """Load one PBF file inside the caller's transaction.  Raises
    :class:`ImportFailed` when the file is missing, not a PBF, corrupt or
    truncated (the transaction then rolls back whatever was loaded)."""
    path = Path(path)
    if not path.is_file():
        raise ImportFailed(f"{path}: file not found", field="file")
    if path.suffix.lower() not in PBF_SUFFIXES:
        raise ImportFailed(f"{path.name}: unknown format {path.suffix or '(no extension)'!r}; "
                           "import_osm reads OpenStreetMap PBF files (.osm.pbf)", field="file")
    cim = settings.CIM
    sample = ground_sampler()
    areas = bulk.any_admin_boundaries()
    loader = bulk.Loader()
    conn = loader.conn
    bulk.rejected_stage(conn)
    stream = bulk.Stage("building", bulk.BUILDING_COLUMNS, conn)
    batches = []

    def building_job(c, rows: list[tuple]) -> bulk.Upserted:
        stream.load(bulk.with_base_elevations(rows, sample), replace=True)
        return bulk.buildings_upsert(stream, source=source, run_id=run.pk, layer=BUILDINGS, areas=areas,
                                     conn=c)

    bar = tqdm(desc=f"reading {path.name}", unit=" obj", unit_scale=True, disable=not progress,
               leave=False)
    try:
        with report.timed("read"):
            reader = OsmReader(str(path), storey_height_m=cim["STOREY_HEIGHT_M"],
                               max_height_m=cim["MAX_BUILDING_HEIGHT_M"], report=report,
                               on_buildings=lambda rows: batches.append(loader.submit(building_job, rows)),
                               progress=bar.update)
            rest = reader.read()
        options = {"source": source, "run_id": run.pk, "areas": areas}
        jobs = {
            "relations": loader.submit(_relations_job, rest, sample=sample, **options),
            "roads": loader.submit(_roads_job, rest, source=source, run_id=run.pk),
            "service_points": loader.submit(_service_points_job, rest, **options),
        }
        with report.timed("load_wait"):
            loader.close()
    except OsmReadError as exc:
        loader.close(abort=True)
        raise ImportFailed(f"{path.name}: not a readable OpenStreetMap PBF file (corrupt or "
                           f"truncated?): {exc}", field="file") from None
    except BaseException:
        loader.close(abort=True)
        raise
    finally:
        bar.close()

    for future in batches:
        loaded = future.result()
        report.loaded(BUILDINGS, inserted=loaded.inserted, updated=loaded.updated)
    if jobs["relations"].result():
        loaded = jobs["relations"].result()
        report.loaded(BUILDING_RELATIONS, inserted=loaded.inserted, updated=loaded.updated)
    if jobs["roads"].result():
        known, nodes, segments = jobs["roads"].result()
        report.loaded(ROADS, inserted=len(rest.way_keys) - known, updated=known)
        report.loaded(NODES, inserted=nodes.inserted, updated=nodes.updated)
        report.loaded(SEGMENTS, inserted=segments.inserted, updated=segments.updated)
        if known:
            stale = bulk.stale_segments_delete(source=source, run_id=run.pk, way_keys=rest.way_keys)
            if stale:
                report.notes.append(f"{stale} road segments of re-imported ways no longer exist: deleted")
    if jobs["service_points"].result():
        loaded = jobs["service_points"].result()
        report.loaded(SERVICE_POINTS, inserted=loaded.inserted, updated=loaded.updated)
    bulk.placement_notes(report, run_id=run.pk)
    bulk.rejected_drain(report)


def _relations_job(conn, rest: OsmRest, *, source: str, run_id: int, areas: bool,
                   sample) -> bulk.Upserted | None:
    if not rest.relation_buildings:
        return None
    rows = bulk.with_base_elevations(rest.relation_buildings, sample)
    stage = bulk.Stage("building_relation", bulk.BUILDING_COLUMNS, conn).load(rows)
    return bulk.buildings_upsert(stage, source=source, run_id=run_id, layer=BUILDING_RELATIONS, areas=areas,
                                 conn=conn)


def _roads_job(conn, rest: OsmRest, *, source: str, run_id: int):
    if not rest.segments:
        return None
    known = bulk.existing_source_ids(RoadSegment, source=source,
                                     source_ids=[f"{key}/0" for key in rest.way_keys], conn=conn)
    stage = bulk.Stage("road_node", bulk.NODE_COLUMNS, conn).load(rest.nodes)
    nodes = bulk.road_nodes_upsert(stage, source=source, run_id=run_id, conn=conn)
    stage = bulk.Stage("road_segment", bulk.SEGMENT_COLUMNS, conn).load(rest.segments)
    segments = bulk.road_segments_upsert(stage, source=source, run_id=run_id, conn=conn)
    return known, nodes, segments


def _service_points_job(conn, rest: OsmRest, *, source: str, run_id: int, areas: bool) -> bulk.Upserted | None:
    if not rest.service_points:
        return None
    labels = dict(ServiceCategory.choices)
    # A service point needs a name; an unnamed one is called by its category.
    rows = [row if row[1] else (row[0], str(labels[row[4]]), *row[2:]) for row in rest.service_points]
    stage = bulk.Stage("service_point", bulk.SERVICE_POINT_COLUMNS, conn).load(rows)
    return bulk.service_points_upsert(stage, source=source, run_id=run_id, areas=areas, conn=conn)

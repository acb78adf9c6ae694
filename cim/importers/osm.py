"""``import_osm``: an OpenStreetMap PBF into buildings, the road graph and
service points.

Buildings stream from the reader (a forked process) into a COPY, batch by
batch, while the file is being read; roads, nodes and service points
follow: straight COPYs for a source's first import, else staged rows and
one upsert per table keyed by ``(source, source_id)``, with the admin area
of each building and service point, and the base elevation where a DEM
covers it.  All of it on Django's connection, in the caller's thread and
transaction, with every constraint checked by PostgreSQL.  Source ids:
``way/123`` and ``relation/789`` (buildings), ``way/123/0`` … (road
segments, in way order), ``node/456`` (road nodes and service points).
"""

from __future__ import annotations

import gc
import multiprocessing
from pathlib import Path

from cim.choices import ServiceCategory
from cim.conf import cim_settings
from cim.errors import ImportFailed
from cim.importers.inputs import input_file
from cim.models import Building, ImportRun, RoadNode, RoadSegment
from cim.progress import Progress, counter
from cim.services.elevation import ground_sampler

from . import bulk
from .osm_process import ChildReader, fork_available
from .osm_reader import (
    BUILDING_RELATIONS,
    BUILDINGS,
    NODES,
    ROADS,
    SEGMENTS,
    SERVICE_POINTS,
    OsmReader,
    OsmReadError,
    OsmRest,
    RoadGraph,
)
from .report import ImportReport

PBF_SUFFIXES = (".pbf",)


def start_reading(path: Path) -> ChildReader | None:
    """The reading process for ``path``, forked at once, for a command to
    start before it records the import and opens the transaction (it reads
    meanwhile); pass it to :func:`load_osm` and close it afterwards.  None
    when reading in a child is off or not available, or when the file will
    be refused anyway (``load_osm`` says why)."""
    if not _read_in_child():
        return None
    try:
        path = input_file(path, suffixes=PBF_SUFFIXES, reads=_READS)
    except ImportFailed:
        return None
    return ChildReader(path, **_reader_options())


def load_osm(*, path: Path, run: ImportRun, report: ImportReport, source: str = "osm",
             progress: Progress = False, reading: ChildReader | None = None) -> None:
    """Load one PBF file inside the caller's transaction.  Raises
    :class:`ImportFailed` when the file is missing, not a PBF, corrupt or
    truncated (the transaction then rolls back whatever was loaded).

    ``reading``: the file's reading process, when the caller started it
    (:func:`start_reading`) and will close it; otherwise one is started and
    closed here."""
    path = input_file(path, suffixes=PBF_SUFFIXES, reads=_READS)
    options = _reader_options()
    # The batches are plain tuples of strings (no reference cycles), but
    # hundreds of thousands of new tuples set off the cyclic garbage
    # collector's full passes over the whole process (≈ 0.1 s each on a
    # Django process); it is paused while the file is read (the reading
    # process pauses its own).
    collecting = gc.isenabled()
    gc.disable()
    own = reading is None and _read_in_child()
    if own:
        reading = ChildReader(path, **options)
    try:
        _load(path=path, run=run, report=report, source=source, progress=progress, options=options,
              reading=reading)
    finally:
        if own:
            reading.close()
        if collecting:
            gc.enable()


_READS = "import_osm reads OpenStreetMap PBF files (.osm.pbf)"


def _read_in_child() -> bool:
    """Whether the file is read in a forked process.  Not in a daemonic process
    (a Celery worker's pool process), which multiprocessing forbids to have
    children: there the file is read in the importing process."""
    return (cim_settings.OSM_READ_IN_CHILD and fork_available()
            and not multiprocessing.current_process().daemon)


def _reader_options() -> dict:
    return {"storey_height_m": cim_settings.STOREY_HEIGHT_M,
            "max_height_m": cim_settings.MAX_BUILDING_HEIGHT_M}


def _load(*, path: Path, run: ImportRun, report: ImportReport, source: str, progress: bool, options: dict,
          reading: ChildReader | None) -> None:
    sample = ground_sampler()
    areas = bulk.any_admin_boundaries()
    # A source's first import COPYs its rows straight in, and into empty
    # tables without their secondary indexes (see bulk.fresh_for and
    # bulk.indexes_deferred).
    fresh_buildings = bulk.fresh_for([Building], source=source)
    fresh_roads = bulk.fresh_for([RoadNode, RoadSegment], source=source)
    building_indexes = bulk.indexes_deferred([Building]) if fresh_buildings else []
    road_indexes = bulk.indexes_deferred([RoadNode, RoadSegment]) if fresh_roads else []
    # Segment → node keys checked once over the loaded graph (both tables
    # are then empty and this import's alone).
    if road_indexes:
        road_indexes = [*bulk.foreign_keys_deferred([RoadNode, RoadSegment]), *road_indexes]

    # Everything below runs in this thread, on Django's connection: the
    # reading process works meanwhile, and its batches wait in a queue.
    def on_buildings(rows: list[tuple], layer: str = BUILDINGS) -> None:
        loaded = bulk.buildings_check_and_load(rows, source=source, run_id=run.pk, fresh=fresh_buildings,
                                               areas=areas, sample=sample)
        report.loaded(layer, inserted=loaded.inserted, updated=loaded.updated)
        for source_id, reason, detail in loaded.rejected:
            report.reject(layer, source_id, reason, detail)

    def on_relation_buildings(rows: list[tuple]) -> None:
        # The last of the buildings; their indexes are built while the
        # reading process cuts the road graph.
        if rows:
            on_buildings(rows, BUILDING_RELATIONS)
        _run_deferred(building_indexes)

    def on_roads(graph: RoadGraph) -> None:
        known, nodes, segments = _roads_load(graph, source=source, run_id=run.pk, fresh=fresh_roads)
        _run_deferred(road_indexes)
        report.loaded(ROADS, inserted=len(graph.way_keys) - known, updated=known)
        report.loaded(NODES, inserted=nodes.inserted, updated=nodes.updated)
        report.loaded(SEGMENTS, inserted=segments.inserted, updated=segments.updated)
        if known:
            stale = bulk.stale_segments_delete(source=source, run_id=run.pk, way_keys=graph.way_keys)
            if stale:
                report.notes.append(f"{stale} road segments of re-imported ways no longer exist: deleted")

    bar = counter(progress, desc=f"reading {path.name}", unit=" obj", unit_scale=True, leave=False)
    try:
        with report.timed("read_and_load"):
            if reading is not None:
                rest = _read_forked(reading, report, on_buildings=on_buildings,
                                    on_relation_buildings=on_relation_buildings, on_roads=on_roads,
                                    progress=bar.update)
            else:
                rest = OsmReader(str(path), **options, report=report, on_buildings=on_buildings,
                                 on_relation_buildings=on_relation_buildings, on_roads=on_roads,
                                 progress=bar.update).read()
    except OsmReadError as exc:
        raise ImportFailed(f"{path.name}: not a readable OpenStreetMap PBF file (corrupt or "
                           f"truncated?): {exc}", field="file") from None
    finally:
        bar.close()
    # A file without roads (or buildings) never called back for them: the
    # indexes and keys taken off their tables go back all the same.
    _run_deferred(building_indexes)
    _run_deferred(road_indexes)
    loaded = _service_points_load(rest, source=source, run_id=run.pk, areas=areas)
    if loaded is not None:
        report.loaded(SERVICE_POINTS, inserted=loaded.inserted, updated=loaded.updated)
    bulk.placement_notes(report, run_id=run.pk, areas=areas, terrain=sample is not None)


def _run_deferred(statements: list[str]) -> None:
    """Run, once, the statements that put back deferred indexes and keys."""
    bulk.indexes_rebuild(statements)
    statements.clear()


def _read_forked(reading: ChildReader, report: ImportReport, *, on_buildings, on_relation_buildings, on_roads,
                 progress) -> OsmRest:
    """The reader in a child process (:mod:`.osm_process`), its batches
    handed on as they come; its tally is added to ``report``."""
    for kind, payload in reading.messages():
        if kind == "buildings":
            on_buildings(payload)
        elif kind == "relation_buildings":
            on_relation_buildings(payload)
        elif kind == "roads":
            on_roads(payload)
        elif kind == "progress":
            progress(payload)
        elif kind == "done":
            rest, child_report = payload
            report.merge(child_report)
            return rest
    raise OsmReadError("the reading process ended without a result")


def _roads_load(graph: RoadGraph, *, source: str, run_id: int, fresh: bool):
    if fresh:
        nodes, segments = bulk.road_graph_copy(node_refs=graph.node_refs, node_wkb=graph.node_wkb,
                                               segments=graph.segments, lengths=graph.lengths,
                                               source=source, run_id=run_id)
        return 0, nodes, segments
    known = bulk.existing_source_ids(RoadSegment, source=source,
                                     source_ids=[f"{key}/0" for key in graph.way_keys])
    stage = bulk.Stage("road_node", bulk.NODE_COLUMNS).load(
        (f"node/{ref}", wkb) for ref, wkb in zip(graph.node_refs.tolist(), graph.node_wkb, strict=True))
    nodes = bulk.road_nodes_upsert(stage, source=source, run_id=run_id)
    stage = bulk.Stage("road_segment", [*bulk.SEGMENT_COLUMNS, *bulk.stage_columns(RoadSegment, ["length_m"])]
                       ).load((*row[:3], f"node/{row[3]}", f"node/{row[4]}", *row[5:], length)
                              for row, length in zip(graph.segments, graph.lengths.tolist(), strict=True))
    segments = bulk.road_segments_upsert(stage, source=source, run_id=run_id)
    return known, nodes, segments


def _service_points_load(rest: OsmRest, *, source: str, run_id: int, areas: bool) -> bulk.Upserted | None:
    if not rest.service_points:
        return None
    labels = dict(ServiceCategory.choices)
    # A service point needs a name; an unnamed one is called by its category.
    rows = [row if row[1] else (row[0], str(labels[row[4]]), *row[2:]) for row in rest.service_points]
    stage = bulk.Stage("service_point", bulk.SERVICE_POINT_COLUMNS).load(rows)
    return bulk.service_points_upsert(stage, source=source, run_id=run_id, areas=areas)

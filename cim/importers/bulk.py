"""Bulk loading into PostGIS: COPY into a temporary staging table, then one
``INSERT … ON CONFLICT (source, source_id) DO UPDATE`` per table.

Everything here runs inside the import's transaction (the caller's
``transaction.atomic``); staging tables are temporary and go with the
transaction.  Rows are tuples in the order of the ``*_COLUMNS`` lists;
geometries are hex EWKB with SRID 4326, JSON columns are JSON text.

Functions take an optional ``conn``: the raw psycopg connection when they
run on a :class:`Loader` thread (Django's connection is per thread, the
transaction is on the caller's), else Django's connection is used.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import shapely
from django.db import connection
from django.db.models import ProtectedError, RestrictedError

from cim.errors import ImportFailed
from cim.models import AdminArea, Building, ImportRun, RoadNode, RoadSegment, ServicePoint
from cim.services.elevation import Sampler, base_elevations

from . import geometry as g
from .report import EMPTY_GEOMETRY, INVALID_GEOMETRY

BUILDING_COLUMNS = [
    ("source_id", "text"), ("name", "text"), ("footprint", "geometry"), ("height", "float8"),
    ("height_source", "text"), ("floors", "int"), ("use", "text"), ("year_built", "int"),
    ("lod", "int"), ("solid", "jsonb"), ("tags", "jsonb"), ("base_elevation", "float8"),
]
NODE_COLUMNS = [("source_id", "text"), ("geom", "geometry")]
SEGMENT_COLUMNS = [
    ("source_id", "text"), ("name", "text"), ("geom", "geometry"), ("from_ref", "text"),
    ("to_ref", "text"), ("road_class", "text"), ("speed_kmh", "float8"), ("speed_from_tag", "bool"),
    ("oneway", "bool"), ("lanes", "int"), ("closed", "bool"), ("bridge", "bool"), ("tunnel", "bool"),
    ("tags", "jsonb"),
]
SERVICE_POINT_COLUMNS = [
    ("source_id", "text"), ("name", "text"), ("name_en", "text"), ("geom", "geometry"),
    ("category", "text"), ("address", "text"), ("phone", "text"), ("opening_hours", "text"),
    ("capacity", "int"), ("tags", "jsonb"),
]
REJECTED_COLUMNS = [("layer", "text"), ("source_id", "text"), ("reason", "text"), ("detail", "text")]
ADMIN_AREA_COLUMNS = [
    ("code", "text"), ("name", "text"), ("name_en", "text"), ("level", "text"),
    ("parent_code", "text"), ("boundary", "geometry"), ("boundary_source", "text"),
]
REJECTED_TABLE = "_cim_stage_rejected"

_LEVEL_RANK = ("CASE a.level WHEN 'community' THEN 5 WHEN 'street' THEN 4 WHEN 'district' THEN 3 "
               "WHEN 'city' THEN 2 ELSE 1 END")
_SOURCED = ("synthetic", "import_run_id", "updated_at")


def admin_area_sql(point_sql: str, *, any_areas: bool) -> str:
    """SQL for the id of the finest admin area whose boundary covers a
    point (NULL when no area has a boundary, without asking per row)."""
    if not any_areas:
        return "NULL::bigint"
    return (f"(SELECT a.id FROM {AdminArea._meta.db_table} a WHERE a.boundary IS NOT NULL "
            f"AND ST_Covers(a.boundary, {point_sql}) ORDER BY {_LEVEL_RANK} DESC, a.code DESC LIMIT 1)")


def any_admin_boundaries(conn=None) -> bool:
    with _cursor(conn) as cur:
        cur.execute(f"SELECT EXISTS (SELECT 1 FROM {AdminArea._meta.db_table} WHERE boundary IS NOT NULL)")
        return cur.fetchone()[0]


@dataclass(frozen=True)
class Upserted:
    inserted: int
    updated: int
    rejected: tuple[tuple[str, str, str], ...] = ()  # (source_id, reason, detail) refused while loading


def _cursor(conn=None):
    return conn.cursor() if conn is not None else connection.cursor()


class Stage:
    """A temporary table filled by COPY."""

    def __init__(self, kind: str, columns: list[tuple[str, str]], conn=None) -> None:
        self.name = f"_cim_stage_{kind}"
        self.columns = columns
        self.conn = conn
        with _cursor(conn) as cur:
            cur.execute(f"DROP TABLE IF EXISTS {self.name}")
            cols = ", ".join(f"{name} {kind}" for name, kind in columns)
            cur.execute(f"CREATE TEMP TABLE {self.name} ({cols}) ON COMMIT DROP")

    @contextmanager
    def writer(self) -> Iterator[Callable[[tuple], None]]:
        """``with stage.writer() as write: write(row)`` — one COPY stream."""
        names = ", ".join(name for name, _ in self.columns)
        with _cursor(self.conn) as cur, cur.copy(f"COPY {self.name} ({names}) FROM STDIN") as copy:
            yield copy.write_row

    def load(self, rows: Iterable[tuple], *, replace: bool = False) -> Stage:
        if replace:
            with _cursor(self.conn) as cur:
                cur.execute(f"TRUNCATE {self.name}")
        with self.writer() as write:
            for row in rows:
                write(row)
        return self

    def drop(self) -> None:
        with _cursor(self.conn) as cur:
            cur.execute(f"DROP TABLE IF EXISTS {self.name}")


class Loader:
    """Runs database jobs in order on one worker thread, on the caller's
    connection and so inside the caller's transaction, while the caller
    goes on reading the file (reading is Python-bound, loading mostly
    server-bound: on two cores they overlap).

    The caller must not use the database between creating the loader and
    :meth:`close`.  At most ``max_pending`` jobs wait at a time, so a fast
    reader cannot fill the memory.
    """

    def __init__(self, *, max_pending: int = 3) -> None:
        connection.ensure_connection()
        self.conn = connection.connection
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cim-loader")
        self._slots = threading.BoundedSemaphore(max_pending)
        self._futures: list[Future] = []
        self._failed = threading.Event()

    def submit(self, job: Callable, *args, **kwargs) -> Future:
        """Queue ``job(conn, *args, **kwargs)``; re-raises an earlier job's error."""
        if self._failed.is_set():
            self._raise_first_error(done_only=True)
        self._slots.acquire()

        def run():
            try:
                if self._failed.is_set():
                    return None
                return job(self.conn, *args, **kwargs)
            except BaseException:
                self._failed.set()
                raise
            finally:
                self._slots.release()

        future = self._pool.submit(run)
        self._futures.append(future)
        return future

    def _raise_first_error(self, *, done_only: bool) -> None:
        for future in self._futures:
            if done_only and not future.done():
                continue
            error = future.exception()
            if error is not None:
                raise error

    def close(self, *, abort: bool = False) -> None:
        """Wait for every job; re-raise the first error (unless aborting,
        when the transaction is being rolled back anyway)."""
        self._pool.shutdown(wait=True)
        if not abort:
            self._raise_first_error(done_only=False)


def _upsert(sql: str, params: dict, conn=None) -> Upserted:
    with _cursor(conn) as cur:
        cur.execute(
            f"WITH up AS ({sql} RETURNING (xmax = 0) AS inserted) "
            "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up",
            params)
        inserted, updated = cur.fetchone()
    return Upserted(inserted, updated)


def _updates(columns: Iterable[str]) -> str:
    return ", ".join(f"{c} = EXCLUDED.{c}" for c in columns)


def with_base_elevations(rows: list[tuple], sample: Sampler | None) -> list[tuple]:
    """Building rows (without the last column) + their base elevation, from
    the footprint (hex EWKB, third column) and a ground sampler."""
    if sample is None:
        return [(*row, None) for row in rows]
    bases = base_elevations(shapely.from_wkb([row[2] for row in rows]), sample)
    return [(*row, None if np.isnan(base) else round(float(base), 2))
            for row, base in zip(rows, bases.tolist(), strict=True)]


def rejected_stage(conn=None) -> Stage:
    """The temporary table where SQL-side checks put refused features."""
    return Stage("rejected", REJECTED_COLUMNS, conn)


def rejected_drain(report) -> None:
    """Move the rows of the rejected stage into ``report`` (an ImportReport)."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT to_regclass('pg_temp.{REJECTED_TABLE}') IS NOT NULL")
        if not cur.fetchone()[0]:
            return
        cur.execute(f"DELETE FROM {REJECTED_TABLE} RETURNING layer, source_id, reason, detail")
        for layer, source_id, reason, detail in sorted(cur.fetchall()):
            report.reject(layer, source_id, reason, detail)


_BUILDING_COLS = ["name", "footprint", "centroid", "height", "height_source", "floors", "use",
                  "year_built", "lod", "solid", "tags", "base_elevation", "admin_area_id"]


def buildings_upsert(stage: Stage, *, source: str, run_id: int, layer: str = "buildings",
                     areas: bool = True, conn=None) -> Upserted:
    """Staged buildings → ``Building``: centroid and admin area (the finest
    one covering the centroid; pass ``areas=False`` when no area has a
    boundary) computed here.  Footprints PostGIS finds invalid or empty go to
    the rejected stage (create it with :func:`rejected_stage` first), with
    PostGIS's reason, instead."""
    # Validity is checked here in bulk, once per row, as part of the load.
    sql = f"""
        WITH v AS MATERIALIZED (
               SELECT s.*, ST_Centroid(s.footprint) AS centroid,
                      CASE WHEN ST_IsEmpty(s.footprint) THEN 'empty'
                           ELSE ST_IsValidReason(s.footprint) END AS reason
                 FROM {stage.name} s),
             bad AS (
               INSERT INTO {REJECTED_TABLE} (layer, source_id, reason, detail)
               SELECT %(layer)s, v.source_id,
                      CASE WHEN v.reason = 'empty' THEN '{EMPTY_GEOMETRY}' ELSE '{INVALID_GEOMETRY}' END,
                      v.reason
                 FROM v WHERE v.reason <> 'Valid Geometry'),
             up AS (
               INSERT INTO {Building._meta.db_table} AS b
                 (source, source_id, synthetic, import_run_id, created_at, updated_at,
                  {", ".join(_BUILDING_COLS)})
               SELECT %(source)s, v.source_id, false, %(run)s, now(), now(), v.name,
                      ST_Multi(v.footprint), v.centroid, v.height, v.height_source,
                      v.floors, v.use, v.year_built, v.lod, v.solid, v.tags, v.base_elevation,
                      {admin_area_sql("v.centroid", any_areas=areas)}
                 FROM v WHERE v.reason = 'Valid Geometry'
               ON CONFLICT (source, source_id) DO UPDATE SET {_updates([*_SOURCED, *_BUILDING_COLS])}
               RETURNING (xmax = 0) AS inserted)
        SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up"""
    with _cursor(conn) as cur:
        cur.execute(sql, {"source": source, "run": run_id, "layer": layer})
        return Upserted(*cur.fetchone())


def road_nodes_upsert(stage: Stage, *, source: str, run_id: int, conn=None) -> Upserted:
    return _upsert(
        f"""INSERT INTO {RoadNode._meta.db_table} AS n
              (source, source_id, synthetic, import_run_id, created_at, updated_at, geom)
            SELECT %(source)s, s.source_id, false, %(run)s, now(), now(), s.geom FROM {stage.name} s
            ON CONFLICT (source, source_id) DO UPDATE SET {_updates([*_SOURCED, "geom"])}""",
        {"source": source, "run": run_id}, conn)


_SEGMENT_COLS = ["name", "geom", "from_node_id", "to_node_id", "road_class", "speed_kmh",
                 "speed_from_tag", "oneway", "lanes", "closed", "bridge", "tunnel", "length_m", "tags"]


def road_segments_upsert(stage: Stage, *, source: str, run_id: int, conn=None) -> Upserted:
    """Staged segments → ``RoadSegment``; ``from_ref``/``to_ref`` name nodes
    of the same source (upsert the nodes first).  Length is geodesic: the
    stage's ``length_m`` column when it has one, else computed here."""
    nodes = RoadNode._meta.db_table
    length = ("s.length_m" if any(name == "length_m" for name, _ in stage.columns)
              else "ST_Length(s.geom::geography)")
    return _upsert(
        f"""INSERT INTO {RoadSegment._meta.db_table} AS r
              (source, source_id, synthetic, import_run_id, created_at, updated_at,
               {", ".join(_SEGMENT_COLS)})
            SELECT %(source)s, s.source_id, false, %(run)s, now(), now(), s.name, s.geom, fn.id, tn.id,
                   s.road_class, s.speed_kmh, s.speed_from_tag, s.oneway, s.lanes, s.closed, s.bridge,
                   s.tunnel, {length}, s.tags
              FROM {stage.name} s
              JOIN {nodes} fn ON fn.source = %(source)s AND fn.source_id = s.from_ref
              JOIN {nodes} tn ON tn.source = %(source)s AND tn.source_id = s.to_ref
            ON CONFLICT (source, source_id) DO UPDATE SET {_updates([*_SOURCED, *_SEGMENT_COLS])}""",
        {"source": source, "run": run_id}, conn)


def fresh_for(models, *, source: str, conn=None) -> bool:
    """True when none of the models' tables holds a row of ``source``, and
    none can get one until this transaction ends: new rows of ``source``
    can then go straight in with COPY, with no key to update in place.

    When the tables look free of ``source`` they are locked in SHARE ROW
    EXCLUSIVE mode (readers go on; other writers of these tables wait for
    this transaction) and checked again under the lock, since another
    import may have committed rows in between.  Otherwise nothing is locked
    and False is returned: rows are then upserted, row by row locking only
    what they touch.
    """
    tables = [model._meta.db_table for model in models]
    query = " AND ".join(f"NOT EXISTS (SELECT 1 FROM {table} WHERE source = %(source)s)" for table in tables)
    with _cursor(conn) as cur:
        cur.execute(f"SELECT {query}", {"source": source})
        if not cur.fetchone()[0]:
            return False
        cur.execute(f"LOCK TABLE {', '.join(tables)} IN SHARE ROW EXCLUSIVE MODE")
        cur.execute(f"SELECT {query}", {"source": source})
        return cur.fetchone()[0]


def indexes_deferred(models, conn=None) -> list[str]:
    """Of the models' tables, those that are empty lose the indexes that no
    constraint needs (GiST, foreign-key and other lookup indexes); the
    statements that build them again are returned, to run once the rows
    are in (:func:`indexes_rebuild`).  An index built once over the loaded
    rows costs a fraction of keeping it up to date row by row; the unique
    and primary keys stay, as the upserts and the other tables need them.

    Dropping an index takes the ACCESS EXCLUSIVE lock of its table until
    the import's transaction ends: readers of these (so far empty) tables
    wait for the import instead of seeing no rows.  A failed import rolls
    the drop back with the rest, indexes included.  A table that is not
    empty is left alone and not locked.
    """
    rebuild: list[str] = []
    with _cursor(conn) as cur:
        for model in models:
            table = model._meta.db_table
            cur.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {table})")
            if not cur.fetchone()[0]:
                continue
            cur.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
            cur.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {table})")
            if not cur.fetchone()[0]:
                continue
            cur.execute(
                """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
                     FROM pg_index i
                    WHERE i.indrelid = %s::regclass
                      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
                    ORDER BY 1""", [table])
            for name, definition in cur.fetchall():
                cur.execute(f"DROP INDEX {name}")
                rebuild.append(definition)
    return rebuild


def indexes_rebuild(conn, statements: list[str]) -> None:
    """Run the statements :func:`indexes_deferred` returned (on ``conn``, or
    Django's connection when None)."""
    with _cursor(conn) as cur:
        for statement in statements:
            cur.execute(statement)


def references_vouched(models, *, run_id: int, conn=None) -> bool:
    """Whether the COPYs of :func:`buildings_check_and_load` and
    :func:`road_graph_copy` may skip PostgreSQL's per-row foreign-key
    triggers on these models' tables (a third of the server's time of a
    first import), the importer vouching for the references instead.

    Those COPYs only write references the import sets itself: the import
    run, and road nodes it has just written in the same transaction (each
    segment's nodes are checked in one query afterwards); admin areas are
    only set by SQL, through the checked path.  The import run's row is
    locked here as the triggers would have locked it (FOR KEY SHARE), so it
    cannot be deleted before the import commits.  Skipping the triggers
    (``session_replication_role = replica``, for those statements only)
    needs a superuser and is only done for tables with no triggers besides
    the constraints' own; otherwise False, and every row is checked.
    """
    tables = [model._meta.db_table for model in models]
    with _cursor(conn) as cur:
        cur.execute(
            """SELECT current_setting('is_superuser') = 'on'
                      AND NOT EXISTS (SELECT 1 FROM pg_trigger
                                       WHERE tgrelid = ANY(%s::regclass[]) AND NOT tgisinternal)""",
            [tables])
        if not cur.fetchone()[0]:
            return False
        cur.execute(f"SELECT 1 FROM {ImportRun._meta.db_table} WHERE id = %s FOR KEY SHARE", [run_id])
        return cur.fetchone() is not None


@contextmanager
def _copy(cur, table: str, columns: list[str], *, vouched: bool = False):
    """``COPY table (columns) FROM STDIN``, without the row triggers when
    the references are ``vouched`` for (see :func:`references_vouched`)."""
    if vouched:
        cur.execute("SET LOCAL session_replication_role = replica")
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        yield copy
    if vouched:
        cur.execute("SET LOCAL session_replication_role = origin")


def _copy_rows(cur, table: str, columns: list[str], rows: Iterable[tuple], *, vouched: bool = False) -> None:
    with _copy(cur, table, columns, vouched=vouched) as copy:
        write = copy.write_row
        for row in rows:
            write(row)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value) -> str:
    """A value as COPY's text format writes it."""
    if value is None:
        return "\\N"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)  # int, or float in its shortest exact form


_SOURCED_COLUMNS = ["source", "source_id", "synthetic", "import_run_id"]
_SOURCED_COPY = [*_SOURCED_COLUMNS, "created_at", "updated_at"]
CHECKED_BUILDING_ATTRS = ["name", "height", "height_source", "floors", "use", "year_built", "tags"]
_CHECKED_BUILDING_COLS = ["name", "footprint", "centroid", "height", "height_source", "floors", "use",
                          "year_built", "tags", "base_elevation"]
CHECKED_BUILDING_STAGE = [
    ("source_id", "text"), ("name", "text"), ("footprint", "geometry"), ("centroid", "geometry"),
    ("height", "float8"), ("height_source", "text"), ("floors", "int"), ("use", "text"),
    ("year_built", "int"), ("tags", "jsonb"), ("base_elevation", "float8"),
]


def buildings_check_and_load(rows: list[tuple], *, source: str, run_id: int, fresh: bool, areas: bool,
                             sample: Sampler | None, vouched: bool = False, conn=None) -> Upserted:
    """Building rows ``(source_id, footprint, attrs)`` → ``Building`` (LoD 1),
    ``footprint`` hex EWKB of a MultiPolygon in SRID 4326, ``attrs`` = (name,
    height, height_source, floors, use, year_built, tags as JSON text).

    Here, in bulk (GEOS runs without the GIL, beside the reading thread):
    each footprint is checked, and the refused ones come back in
    ``rejected`` with GEOS's reason; centroids and base elevations are
    computed.  With ``fresh`` (see :func:`fresh_for`) and no admin boundary
    to look up, the rows are COPYed straight into the table; otherwise
    they are staged and upserted by ``(source, source_id)``, the admin area
    set by SQL.  ``vouched``: see :func:`references_vouched`.
    """
    # Hex goes through GEOS's own hex reader ten times slower than bytes.
    geoms = shapely.from_wkb([bytes.fromhex(row[1]) for row in rows], on_invalid="ignore")
    problems = g.check(geoms)
    rejected = tuple((rows[i][0], *problems[i]) for i, p in enumerate(problems) if p is not None)
    if rejected:
        keep = np.array([p is None for p in problems])
        rows = [row for row, ok in zip(rows, keep.tolist(), strict=True) if ok]
        geoms = geoms[keep]
    if not rows:
        return Upserted(0, 0, rejected)
    centroids = g.points_ewkb_hex(shapely.get_coordinates(shapely.centroid(geoms)))
    if sample is None:
        bases = [None] * len(rows)
    else:
        found = base_elevations(geoms, sample)
        bases = [None if np.isnan(b) else round(b, 2) for b in found.tolist()]
    if fresh and not areas:
        with _cursor(conn) as cur:
            # COPY text written here rather than row by row through psycopg:
            # the attributes repeat (one text per tag combination, kept by
            # the identity of its tuple), and source ids, hex and numbers need
            # no escaping.
            constant = "\t".join(map(_copy_text, (source, False, run_id, 1)))
            texts = {id(attrs): attrs for _, _, attrs in rows}
            for key, attrs in texts.items():
                texts[key] = "\t".join(map(_copy_text, attrs))
            lines = [f"{sid}\t{footprint}\t{centroid}\t{_copy_text(base)}\t{texts[id(attrs)]}\t{constant}\n"
                     for (sid, footprint, attrs), centroid, base in zip(rows, centroids, bases, strict=True)]
            # created_at and updated_at: the database's default, the transaction's time
            columns = ["source_id", "footprint", "centroid", "base_elevation", *CHECKED_BUILDING_ATTRS,
                       "source", "synthetic", "import_run_id", "lod"]
            with _copy(cur, Building._meta.db_table, columns, vouched=vouched) as copy:
                copy.write("".join(lines))
        return Upserted(len(rows), 0, rejected)
    stage = Stage("checked_building", CHECKED_BUILDING_STAGE, conn).load(
        (sid, attrs[0], footprint, centroid, *attrs[1:], base)
        for (sid, footprint, attrs), centroid, base in zip(rows, centroids, bases, strict=True))
    loaded = _upsert(
        f"""INSERT INTO {Building._meta.db_table} AS b
              ({", ".join(_SOURCED_COPY)}, {", ".join(_CHECKED_BUILDING_COLS)}, lod, solid, admin_area_id)
            SELECT %(source)s, s.source_id, false, %(run)s, now(), now(),
                   {", ".join(f"s.{c}" for c in _CHECKED_BUILDING_COLS)}, 1, NULL,
                   {admin_area_sql("s.centroid", any_areas=areas)}
              FROM {stage.name} s
            ON CONFLICT (source, source_id) DO UPDATE
               SET {_updates([*_SOURCED, *_CHECKED_BUILDING_COLS, "lod", "solid", "admin_area_id"])}""",
        {"source": source, "run": run_id}, conn)
    return Upserted(loaded.inserted, loaded.updated, rejected)


_GRAPH_SEGMENT_COLS = ["name", "geom", "from_node_id", "to_node_id", "road_class", "speed_kmh",
                       "speed_from_tag", "oneway", "lanes", "closed", "bridge", "tunnel", "tags", "length_m"]


def road_graph_copy(*, node_refs: np.ndarray, node_wkb: list[str], segments: list[tuple],
                    lengths: np.ndarray, source: str, run_id: int, vouched: bool = False,
                    conn=None) -> tuple[Upserted, Upserted]:
    """A road graph whose source has no road stored yet (see
    :func:`fresh_for`) COPYed straight in.  Node rows are given as OSM ids
    (sorted) and hex EWKB points; segment rows as ``(source_id, name, geom,
    from_ref, to_ref, road_class, speed_kmh, speed_from_tag, oneway, lanes,
    closed, bridge, tunnel, tags)`` with refs among the node ids, and their
    lengths in metres.  Node ids are drawn from the table's sequence first,
    so that the segments name their nodes without a join.  ``vouched``: see
    :func:`references_vouched`."""
    with _cursor(conn) as cur:
        cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", [RoadNode._meta.db_table])
        sequence = cur.fetchone()[0]
        cur.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence, len(node_refs)])
        ids = np.array([row[0] for row in cur.fetchall()], dtype=np.int64)
        # created_at and updated_at: the database's default, the transaction's time
        _copy_rows(cur, RoadNode._meta.db_table, ["id", *_SOURCED_COLUMNS, "geom"], (
            (node_id, source, f"node/{ref}", False, run_id, wkb)
            for node_id, ref, wkb in zip(ids.tolist(), node_refs.tolist(), node_wkb, strict=True)),
            vouched=vouched)
        ends = np.array([(row[3], row[4]) for row in segments], dtype=np.int64).reshape(-1, 2)
        node_ids = ids[np.searchsorted(node_refs, ends)].tolist()
        _copy_rows(cur, RoadSegment._meta.db_table, [*_SOURCED_COLUMNS, *_GRAPH_SEGMENT_COLS], (
            (source, row[0], False, run_id, row[1], row[2], a, b, *row[5:], length)
            for row, (a, b), length in zip(segments, node_ids, lengths.tolist(), strict=True)),
            vouched=vouched)
        if vouched:
            cur.execute(
                f"""SELECT s.source_id FROM {RoadSegment._meta.db_table} s
                     WHERE s.source = %s
                       AND (NOT EXISTS (SELECT 1 FROM {RoadNode._meta.db_table} n WHERE n.id = s.from_node_id)
                            OR NOT EXISTS (SELECT 1 FROM {RoadNode._meta.db_table} n WHERE n.id = s.to_node_id))
                     LIMIT 1""", [source])
            dangling = cur.fetchone()
            if dangling:
                raise ImportFailed(f"road segment {dangling[0]} names a node that was not loaded", field="file")
    return Upserted(len(node_refs), 0), Upserted(len(segments), 0)


def existing_source_ids(model, *, source: str, source_ids: list[str], conn=None) -> int:
    """How many of ``source_ids`` are already stored for ``source``."""
    with _cursor(conn) as cur:
        cur.execute(f"SELECT count(*) FROM {model._meta.db_table} WHERE source = %s AND source_id = ANY(%s)",
                    [source, source_ids])
        return cur.fetchone()[0]


def stale_segments_delete(*, source: str, run_id: int, way_keys: list[str]) -> int:
    """Delete segments of re-imported ways that this run no longer produced
    (a way now cut into fewer parts).  Through the ORM, so that references
    to a segment are handled as the models say; main thread only."""
    if not way_keys:
        return 0
    with connection.cursor() as cur:
        cur.execute(
            f"""SELECT s.id FROM {RoadSegment._meta.db_table} s
                  JOIN unnest(%s::text[]) AS w(way_key)
                    ON w.way_key = regexp_replace(s.source_id, '/[0-9]+$', '')
                 WHERE s.source = %s AND s.import_run_id IS DISTINCT FROM %s""",
            [way_keys, source, run_id])
        ids = [row[0] for row in cur.fetchall()]
    if not ids:
        return 0
    try:
        deleted, _ = RoadSegment.objects.filter(id__in=ids).delete()
    except (ProtectedError, RestrictedError) as exc:
        raise ImportFailed(f"{len(ids)} road segments of re-imported ways are no longer in the file but are "
                           f"still referenced ({exc.args[0]}); release them first", field="file") from None
    return deleted


_SERVICE_POINT_COLS = ["name", "name_en", "geom", "category", "address", "phone", "opening_hours",
                       "capacity", "tags", "admin_area_id"]


def service_points_upsert(stage: Stage, *, source: str, run_id: int, areas: bool = True,
                          conn=None) -> Upserted:
    """Staged points → ``ServicePoint``, each in the finest admin area covering it."""
    return _upsert(
        f"""INSERT INTO {ServicePoint._meta.db_table} AS p
              (source, source_id, synthetic, import_run_id, created_at, updated_at,
               {", ".join(_SERVICE_POINT_COLS)})
            SELECT %(source)s, s.source_id, false, %(run)s, now(), now(), s.name, s.name_en, s.geom,
                   s.category, s.address, s.phone, s.opening_hours, s.capacity, s.tags,
                   {admin_area_sql("s.geom", any_areas=areas)}
              FROM {stage.name} s
            ON CONFLICT (source, source_id) DO UPDATE SET {_updates([*_SOURCED, *_SERVICE_POINT_COLS])}""",
        {"source": source, "run": run_id}, conn)


def admin_areas_upsert(stage: Stage, conn=None) -> Upserted:
    """Staged areas → ``AdminArea`` keyed by code; parents are linked by
    ``parent_code`` afterwards (the parent may be in the same file)."""
    table = AdminArea._meta.db_table
    result = _upsert(
        f"""INSERT INTO {table} AS a
              (code, name, name_en, level, boundary, boundary_synthetic, boundary_source,
               contact_phone, office_address)
            SELECT s.code, s.name, s.name_en, s.level, ST_Multi(s.boundary), false, s.boundary_source,
                   '', ''
              FROM {stage.name} s
            ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, name_en = EXCLUDED.name_en,
                   level = EXCLUDED.level, boundary = EXCLUDED.boundary,
                   boundary_synthetic = false, boundary_source = EXCLUDED.boundary_source""",
        {}, conn)
    with _cursor(conn) as cur:
        cur.execute(
            f"""UPDATE {table} a SET parent_id = p.id
                  FROM {stage.name} s JOIN {table} p ON p.code = s.parent_code
                 WHERE a.code = s.code AND a.parent_id IS DISTINCT FROM p.id""")
    return result


def placement_notes(report, *, run_id: int, areas: bool = True, terrain: bool = True) -> None:
    """Say in the report how many of this run's buildings and service points
    got an admin area and a base elevation (none, without asking, when the
    caller says there was no admin boundary, ``areas``, or no DEM,
    ``terrain``, to take them from)."""
    if not (areas or terrain):
        return
    with connection.cursor() as cur:
        cur.execute(f"""SELECT count(admin_area_id), count(base_elevation) FROM {Building._meta.db_table}
                         WHERE import_run_id = %s""", [run_id])
        buildings_in_area, on_terrain = cur.fetchone()
        cur.execute(f"SELECT count(admin_area_id) FROM {ServicePoint._meta.db_table} WHERE import_run_id = %s",
                    [run_id])
        points_in_area = cur.fetchone()[0]
    if buildings_in_area or points_in_area:
        report.notes.append(f"admin area set: {buildings_in_area} buildings, {points_in_area} service points")
    if on_terrain:
        report.notes.append(f"base elevation from the DEMs: {on_terrain} buildings")

"""Bulk loading into PostGIS, with every constraint of the tables live:
COPY into a temporary staging table, then one ``INSERT … SELECT … ON
CONFLICT (source, source_id) DO UPDATE`` per table, or, for a source's first
import, COPY straight into the table.  PostgreSQL checks every foreign key,
unique key and check constraint of every row either way; nothing here
switches a check off.

Everything runs inside the import's transaction (the caller's
``transaction.atomic``) on Django's connection, in the thread that owns it;
staging tables are temporary and go with the transaction.  Staging columns
and the columns an upsert writes come from the models' ``_meta``
(:func:`stage_columns`, :func:`sourced_upsert_sql`); a row is a tuple in the
order of its ``*_ROW`` list of field names; geometries are hex EWKB with
SRID 4326, JSON columns are JSON text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from django.contrib.gis.db.models import GeometryField
from django.db import connection
from django.db.models import ProtectedError, RestrictedError

from cim.errors import ImportFailed
from cim.models import AdminArea, Building, RejectedFeature, RoadNode, RoadSegment, ServicePoint
from cim.models.admin_areas import level_rank_sql
from cim.services.elevation import Sampler, base_elevations

from . import geometry as g
from .report import EMPTY_GEOMETRY, INVALID_GEOMETRY


def stage_columns(model, names: Sequence[str], **extra: str) -> list[tuple[str, str]]:
    """``(column, SQL type)`` of a staging table for rows in the order of
    ``names``: each a field of ``model``, typed as the model types its column
    (geometries as plain ``geometry``, so that SQL can still make a polygon
    a multipolygon), or a column of the stage only, given in ``extra`` with
    its type.  An unknown name raises ``FieldDoesNotExist``."""
    columns = []
    for name in names:
        if name in extra:
            columns.append((name, extra[name]))
            continue
        field = model._meta.get_field(name)
        columns.append((field.column, "geometry" if isinstance(field, GeometryField)
                        else field.db_type(connection)))
    return columns


def _column_names(model, names: Sequence[str]) -> list[str]:
    """The database columns of ``model``'s fields ``names``, in that order."""
    return [model._meta.get_field(name).column for name in names]


# Row orders (field names) of what the readers hand over.
BUILDING_ROW = ["source_id", "name", "footprint", "height", "height_source", "floors", "use", "year_built",
                "lod", "solid", "tags", "base_elevation"]
NODE_ROW = ["source_id", "geom"]
SEGMENT_ROW = ["source_id", "name", "geom", "from_ref", "to_ref", "road_class", "speed_kmh", "speed_from_tag",
               "oneway", "lanes", "closed", "bridge", "tunnel", "tags"]
SERVICE_POINT_ROW = ["source_id", "name", "name_en", "geom", "category", "address", "phone", "opening_hours",
                     "capacity", "tags"]
ADMIN_AREA_ROW = ["code", "name", "name_en", "level", "parent_code", "boundary", "boundary_source"]
REJECTED_ROW = ["layer", "source_id", "reason", "detail"]

BUILDING_COLUMNS = stage_columns(Building, BUILDING_ROW)
NODE_COLUMNS = stage_columns(RoadNode, NODE_ROW)
SEGMENT_COLUMNS = stage_columns(RoadSegment, SEGMENT_ROW, from_ref="text", to_ref="text")
SERVICE_POINT_COLUMNS = stage_columns(ServicePoint, SERVICE_POINT_ROW)
ADMIN_AREA_COLUMNS = stage_columns(AdminArea, ADMIN_AREA_ROW, parent_code="text")
REJECTED_COLUMNS = stage_columns(RejectedFeature, REJECTED_ROW)
REJECTED_TABLE = "_cim_stage_rejected"

# What an upsert writes into the provenance columns of SourcedModel.
_PROVENANCE_SQL = {"source": "%(source)s", "synthetic": "false", "import_run_id": "%(run)s",
                   "created_at": "now()", "updated_at": "now()"}
_KEPT_ON_UPDATE = ("source", "source_id", "created_at")
# Columns no import writes: NULL in a new row, kept as they are by a re-import
# (the BIM model that replaces a building is linked by the IFC import).
_NOT_IMPORTED_SQL = {"bim_model_id": "NULL"}


def sourced_upsert_sql(model, *, values: dict[str, str], from_sql: str) -> str:
    """``INSERT INTO`` ``model``'s table, every column but the primary key,
    ``SELECT``-ed from ``from_sql``, ``ON CONFLICT (source, source_id) DO
    UPDATE`` of every column but the key and the creation time.  ``values``
    is the SQL of each column (the provenance columns are filled from the
    ``%(source)s`` and ``%(run)s`` parameters); a column of the model with
    no value, or a value for no column, is a programming error and raises
    at once."""
    columns = [f.column for f in model._meta.concrete_fields if not f.primary_key]
    exprs = {**_PROVENANCE_SQL, **_NOT_IMPORTED_SQL, **values}
    missing = [c for c in columns if c not in exprs]
    unknown = [c for c in values if c not in columns or c in _NOT_IMPORTED_SQL]
    if missing or unknown:
        raise ValueError(f"upsert into {model.__name__}: no value for {missing}, no column for {unknown}")
    update = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns
                       if c not in _KEPT_ON_UPDATE and c not in _NOT_IMPORTED_SQL)
    return (f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) "
            f"SELECT {', '.join(exprs[c] for c in columns)} FROM {from_sql} "
            f"ON CONFLICT (source, source_id) DO UPDATE SET {update}")


def _staged(stage: Stage, model, alias: str = "s") -> dict[str, str]:
    """``{column: alias.column}`` for the stage's columns that are ``model``'s."""
    own = {f.column for f in model._meta.concrete_fields}
    return {name: f"{alias}.{name}" for name, _ in stage.columns if name in own}


_LEVEL_RANK = level_rank_sql("a.level")  # the finer the level, the higher


def admin_area_sql(point_sql: str, *, any_areas: bool) -> str:
    """SQL for the id of the finest admin area whose boundary covers a
    point (NULL when no area has a boundary, without asking per row)."""
    if not any_areas:
        return "NULL::bigint"
    return (f"(SELECT a.id FROM {AdminArea._meta.db_table} a WHERE a.boundary IS NOT NULL "
            f"AND ST_Covers(a.boundary, {point_sql}) "
            f"ORDER BY {_LEVEL_RANK} DESC NULLS LAST, a.code DESC LIMIT 1)")


def any_admin_boundaries() -> bool:
    with connection.cursor() as cur:
        cur.execute(f"SELECT EXISTS (SELECT 1 FROM {AdminArea._meta.db_table} WHERE boundary IS NOT NULL)")
        return cur.fetchone()[0]


@dataclass(frozen=True)
class Upserted:
    inserted: int
    updated: int
    rejected: tuple[tuple[str, str, str], ...] = ()  # (source_id, reason, detail) refused while loading


class Stage:
    """A temporary table filled by COPY (dropped at the end of the transaction)."""

    def __init__(self, kind: str, columns: list[tuple[str, str]]) -> None:
        self.name = f"_cim_stage_{kind}"
        self.columns = columns
        with connection.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {self.name}")
            cols = ", ".join(f"{name} {kind}" for name, kind in columns)
            cur.execute(f"CREATE TEMP TABLE {self.name} ({cols}) ON COMMIT DROP")

    def load(self, rows: Iterable[tuple], *, replace: bool = False) -> Stage:
        with connection.cursor() as cur:
            if replace:
                cur.execute(f"TRUNCATE {self.name}")
            _copy_rows(cur, self.name, [name for name, _ in self.columns], rows)
        return self

    def drop(self) -> None:
        with connection.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {self.name}")


def _upsert(sql: str, params: dict) -> Upserted:
    with connection.cursor() as cur:
        cur.execute(
            f"WITH up AS ({sql} RETURNING (xmax = 0) AS inserted) "
            "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up",
            params)
        inserted, updated = cur.fetchone()
    return Upserted(inserted, updated)


def with_base_elevations(rows: list[tuple], sample: Sampler | None) -> list[tuple]:
    """Building rows (without the last column) + their base elevation, from
    the footprint (hex EWKB, third column) and a ground sampler."""
    if sample is None:
        return [(*row, None) for row in rows]
    bases = base_elevations(shapely.from_wkb([row[2] for row in rows]), sample)
    return [(*row, None if np.isnan(base) else round(float(base), 2))
            for row, base in zip(rows, bases.tolist(), strict=True)]


def rejected_stage() -> Stage:
    """The temporary table where SQL-side checks put refused features."""
    return Stage("rejected", REJECTED_COLUMNS)


def rejected_drain(report) -> None:
    """Move the rows of the rejected stage into ``report`` (an ImportReport)."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT to_regclass('pg_temp.{REJECTED_TABLE}') IS NOT NULL")
        if not cur.fetchone()[0]:
            return
        cur.execute(f"DELETE FROM {REJECTED_TABLE} RETURNING {', '.join(REJECTED_ROW)}")
        for layer, source_id, reason, detail in sorted(cur.fetchall()):
            report.reject(layer, source_id, reason, detail)


def buildings_upsert(stage: Stage, *, source: str, run_id: int, layer: str = "buildings",
                     areas: bool = True) -> Upserted:
    """Staged buildings (:data:`BUILDING_COLUMNS`) → ``Building``: centroid
    and admin area (the finest one covering the centroid; pass
    ``areas=False`` when no area has a boundary) computed here.  Footprints
    PostGIS finds invalid or empty go to the rejected stage (create it with
    :func:`rejected_stage` first), with PostGIS's reason, instead."""
    # Validity is checked here in bulk, once per row, as part of the load.
    insert = sourced_upsert_sql(Building, from_sql="v WHERE v.reason = 'Valid Geometry'", values={
        **_staged(stage, Building, "v"), "footprint": "ST_Multi(v.footprint)", "centroid": "v.centroid",
        "admin_area_id": admin_area_sql("v.centroid", any_areas=areas)})
    sql = f"""
        WITH v AS MATERIALIZED (
               SELECT s.*, ST_Centroid(s.footprint) AS centroid,
                      CASE WHEN ST_IsEmpty(s.footprint) THEN 'empty'
                           ELSE ST_IsValidReason(s.footprint) END AS reason
                 FROM {stage.name} s),
             bad AS (
               INSERT INTO {REJECTED_TABLE} ({", ".join(REJECTED_ROW)})
               SELECT %(layer)s, v.source_id,
                      CASE WHEN v.reason = 'empty' THEN '{EMPTY_GEOMETRY}' ELSE '{INVALID_GEOMETRY}' END,
                      v.reason
                 FROM v WHERE v.reason <> 'Valid Geometry'),
             up AS ({insert} RETURNING (xmax = 0) AS inserted)
        SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up"""
    with connection.cursor() as cur:
        cur.execute(sql, {"source": source, "run": run_id, "layer": layer})
        return Upserted(*cur.fetchone())


def road_nodes_upsert(stage: Stage, *, source: str, run_id: int) -> Upserted:
    return _upsert(sourced_upsert_sql(RoadNode, values=_staged(stage, RoadNode), from_sql=f"{stage.name} s"),
                   {"source": source, "run": run_id})


def road_segments_upsert(stage: Stage, *, source: str, run_id: int) -> Upserted:
    """Staged segments → ``RoadSegment``; ``from_ref``/``to_ref`` name nodes
    of the same source (upsert the nodes first).  Length is geodesic: the
    stage's ``length_m`` column when it has one, else computed here."""
    nodes = RoadNode._meta.db_table
    values = {"length_m": "ST_Length(s.geom::geography)", **_staged(stage, RoadSegment),
              "from_node_id": "fn.id", "to_node_id": "tn.id"}
    return _upsert(sourced_upsert_sql(RoadSegment, values=values, from_sql=(
        f"""{stage.name} s
              JOIN {nodes} fn ON fn.source = %(source)s AND fn.source_id = s.from_ref
              JOIN {nodes} tn ON tn.source = %(source)s AND tn.source_id = s.to_ref""")),
        {"source": source, "run": run_id})


def fresh_for(models, *, source: str) -> bool:
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
    with connection.cursor() as cur:
        cur.execute(f"SELECT {query}", {"source": source})
        if not cur.fetchone()[0]:
            return False
        cur.execute(f"LOCK TABLE {', '.join(tables)} IN SHARE ROW EXCLUSIVE MODE")
        cur.execute(f"SELECT {query}", {"source": source})
        return cur.fetchone()[0]


def indexes_deferred(models) -> list[str]:
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
    with connection.cursor() as cur:
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


def foreign_keys_deferred(models) -> list[str]:
    """Of the foreign keys between the models' tables, those whose two
    tables this transaction holds empty and under ACCESS EXCLUSIVE lock
    (call :func:`indexes_deferred` first) are dropped; the statements that
    add them back, as they were, are returned, to run once the rows are in
    (:func:`indexes_rebuild`).

    Adding a key back makes PostgreSQL check every row in one query, and
    refuse a dangling reference (the import then fails and rolls back, the
    key with the rest), instead of one query per row; no other session can
    see either table meanwhile, and no other table is locked.  Keys to
    tables outside ``models`` (import run, admin area) stay live.  The
    transaction's constraints must be IMMEDIATE (as
    :func:`cim.services.imports.import_execute` sets them): PostgreSQL
    alters no table with row checks still pending.
    """
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cur:
        cur.execute(
            """SELECT c.conrelid::regclass::text, quote_ident(c.conname), pg_get_constraintdef(c.oid)
                 FROM pg_constraint c
                WHERE c.contype = 'f' AND c.conrelid = ANY(%(t)s::regclass[])
                  AND c.confrelid = ANY(%(t)s::regclass[])
                  AND (SELECT count(*) FROM pg_locks l
                        WHERE l.pid = pg_backend_pid() AND l.granted AND l.mode = 'AccessExclusiveLock'
                          AND l.relation IN (c.conrelid, c.confrelid))
                      = CASE WHEN c.conrelid = c.confrelid THEN 1 ELSE 2 END
                ORDER BY 1, 2""", {"t": tables})
        keys = cur.fetchall()
        restore = []
        for table, name, definition in keys:
            cur.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {table})")
            if not cur.fetchone()[0]:
                continue
            cur.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
            restore.append(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
    return restore


def indexes_rebuild(statements: list[str]) -> None:
    """Run the statements :func:`indexes_deferred` or
    :func:`foreign_keys_deferred` returned."""
    with connection.cursor() as cur:
        for statement in statements:
            cur.execute(statement)


def _copy_rows(cur, table: str, columns: list[str], rows: Iterable[tuple]) -> None:
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
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


# The attributes of a checked building row, in the order the OSM reader gives them.
CHECKED_BUILDING_ATTRS = ["name", "height", "height_source", "floors", "use", "year_built", "tags"]
CHECKED_BUILDING_STAGE = stage_columns(Building, ["source_id", "footprint", "centroid", "base_elevation",
                                                  *CHECKED_BUILDING_ATTRS])
# A COPY line of a new building: the stage's columns, then the constant ones.
_CHECKED_BUILDING_COPY = [name for name, _ in CHECKED_BUILDING_STAGE] + _column_names(
    Building, ["source", "synthetic", "import_run", "lod"])


def buildings_check_and_load(rows: list[tuple], *, source: str, run_id: int, fresh: bool, areas: bool,
                             sample: Sampler | None) -> Upserted:
    """Building rows ``(source_id, footprint, attrs)`` → ``Building`` (LoD 1),
    ``footprint`` hex EWKB of a MultiPolygon in SRID 4326, ``attrs`` = (name,
    height, height_source, floors, use, year_built, tags as JSON text).

    Here, in bulk: each footprint is checked, and the refused ones come
    back in ``rejected`` with GEOS's reason; centroids and base elevations
    are computed.  With ``fresh`` (see :func:`fresh_for`) and no admin
    boundary to look up, the rows are COPYed straight into the table;
    otherwise they are staged and upserted by ``(source, source_id)``, the
    admin area set by SQL.  Either way PostgreSQL checks each row's
    constraints and references (a run that does not exist is refused).
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
    # COPY text written here rather than row by row through psycopg: the
    # attributes repeat (one text per tag combination, kept by the identity
    # of its tuple), and source ids, hex and numbers need no escaping.
    texts = {id(attrs): attrs for _, _, attrs in rows}
    for key, attrs in texts.items():
        texts[key] = "\t".join(map(_copy_text, attrs))
    copy_in = fresh and not areas
    # A new building's line ends with the constant columns (each line is written once).
    end = "\t" + "\t".join(map(_copy_text, (source, False, run_id, 1))) + "\n" if copy_in else "\n"
    text = "".join([f"{sid}\t{footprint}\t{centroid}\t{_copy_text(base)}\t{texts[id(attrs)]}{end}"
                    for (sid, footprint, attrs), centroid, base in zip(rows, centroids, bases, strict=True)])
    with connection.cursor() as cur:
        if copy_in:
            # created_at and updated_at: the database's default, the transaction's time
            with cur.copy(f"COPY {Building._meta.db_table} ({', '.join(_CHECKED_BUILDING_COPY)}) "
                          "FROM STDIN") as copy:
                copy.write(text)
            return Upserted(len(rows), 0, rejected)
        stage = Stage("checked_building", CHECKED_BUILDING_STAGE)
        with cur.copy(f"COPY {stage.name} FROM STDIN") as copy:
            copy.write(text)
    loaded = _upsert(sourced_upsert_sql(Building, from_sql=f"{stage.name} s", values={
        **_staged(stage, Building), "lod": "1", "solid": "NULL",
        "admin_area_id": admin_area_sql("s.centroid", any_areas=areas)}), {"source": source, "run": run_id})
    return Upserted(loaded.inserted, loaded.updated, rejected)


_GRAPH_NODE_COPY = _column_names(RoadNode, ["id", "source", "source_id", "synthetic", "import_run", "geom"])
_GRAPH_SEGMENT_COPY = _column_names(RoadSegment, [
    "source", "source_id", "synthetic", "import_run", "name", "geom", "from_node", "to_node",
    *SEGMENT_ROW[5:], "length_m"])


def road_graph_copy(*, node_refs: np.ndarray, node_wkb: list[str], segments: list[tuple],
                    lengths: np.ndarray, source: str, run_id: int) -> tuple[Upserted, Upserted]:
    """A road graph whose source has no road stored yet (see
    :func:`fresh_for`) COPYed straight in.  Node rows are given as OSM ids
    (sorted) and hex EWKB points; segment rows in the order of
    :data:`SEGMENT_ROW`, with refs among the node ids, and their lengths in
    metres.  Node ids are drawn from the table's sequence first, so that
    the segments name their nodes without a join; PostgreSQL checks each
    segment's nodes and each row's run as the rows go in."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", [RoadNode._meta.db_table])
        sequence = cur.fetchone()[0]
        cur.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence, len(node_refs)])
        ids = np.array([row[0] for row in cur.fetchall()], dtype=np.int64)
        # created_at and updated_at: the database's default, the transaction's time
        _copy_rows(cur, RoadNode._meta.db_table, _GRAPH_NODE_COPY, (
            (node_id, source, f"node/{ref}", False, run_id, wkb)
            for node_id, ref, wkb in zip(ids.tolist(), node_refs.tolist(), node_wkb, strict=True)))
        ends = np.array([(row[3], row[4]) for row in segments], dtype=np.int64).reshape(-1, 2)
        node_ids = ids[np.searchsorted(node_refs, ends)].tolist()
        _copy_rows(cur, RoadSegment._meta.db_table, _GRAPH_SEGMENT_COPY, (
            (source, row[0], False, run_id, row[1], row[2], a, b, *row[5:], length)
            for row, (a, b), length in zip(segments, node_ids, lengths.tolist(), strict=True)))
    return Upserted(len(node_refs), 0), Upserted(len(segments), 0)


def existing_source_ids(model, *, source: str, source_ids: list[str]) -> int:
    """How many of ``source_ids`` are already stored for ``source``."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {model._meta.db_table} WHERE source = %s AND source_id = ANY(%s)",
                    [source, source_ids])
        return cur.fetchone()[0]


def stale_segments_delete(*, source: str, run_id: int, way_keys: list[str]) -> int:
    """Delete segments of re-imported ways that this run no longer produced
    (a way now cut into fewer parts).  Through the ORM, so that references
    to a segment are handled as the models say."""
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


def service_points_upsert(stage: Stage, *, source: str, run_id: int, areas: bool = True) -> Upserted:
    """Staged points → ``ServicePoint``, each in the finest admin area covering it."""
    values = {**_staged(stage, ServicePoint), "admin_area_id": admin_area_sql("s.geom", any_areas=areas)}
    return _upsert(sourced_upsert_sql(ServicePoint, values=values, from_sql=f"{stage.name} s"),
                   {"source": source, "run": run_id})


def admin_areas_upsert(stage: Stage) -> Upserted:
    """Staged areas → ``AdminArea`` keyed by code; parents are linked by
    ``parent_code`` afterwards (the parent may be in the same file).  Contact
    details and population are the platform's own: set empty for a new
    area, kept for a known one."""
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
        {})
    with connection.cursor() as cur:
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
        cur.execute(f"SELECT count(admin_area_id) FROM {ServicePoint._meta.db_table} "
                    "WHERE import_run_id = %s", [run_id])
        points_in_area = cur.fetchone()[0]
    if buildings_in_area or points_in_area:
        report.notes.append(f"admin area set: {buildings_in_area} buildings, {points_in_area} service points")
    if on_terrain:
        report.notes.append(f"base elevation from the DEMs: {on_terrain} buildings")

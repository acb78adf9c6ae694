"""Reads of the buildings' history (3DCityDB v5 style versions, see
:class:`cim.models.BuildingVersion`): one building's versions, the city as
of a date, the difference between two dates or two import runs, and what an
import run changed (for its undo)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.gis.geos import Polygon
from django.db import connection

from cim.models import Building, BuildingVersion, ImportRun

# The attributes compared between versions (besides the provenance columns).
# ``bim_model_id``: the BIM model that replaces the building (set: the building is drawn by the model).
COMPARED_FIELDS = ("name", "footprint", "height", "height_source", "floors", "use", "year_built",
                   "base_elevation", "lod", "solid", "tags", "bim_model_id")
STATE_FIELDS = ("source", "source_id", "import_run_id", "synthetic", "created_at", "name", "footprint",
                "centroid", "height", "height_source", "floors", "use", "year_built", "base_elevation",
                "admin_area_id", "lod", "solid", "tags", "bim_model_id")
_SHOWN = ("name", "height", "floors", "use", "year_built", "lod", "bim_model_id")
_B = Building._meta.db_table
_V = BuildingVersion._meta.db_table


def _current_from(alias: str = "b") -> str:
    """SQL: since when the current row of a building is valid."""
    return (f"COALESCE((SELECT max(v.valid_to) FROM {_V} v WHERE v.building_id = {alias}.id), "
            f"{alias}.created_at)")


def building_history(building_id: int) -> list[dict]:
    """The versions of a building, oldest first, each with its validity
    interval, what created it (run, or user and reason) and the fields that
    differ from the version before; the last is the current one (``valid_to``
    None) unless the building was deleted."""
    past = list(BuildingVersion.objects.filter(building_id=building_id).order_by("valid_from", "id"))
    current = Building.objects.filter(pk=building_id).first()
    if not past and current is None:
        return []
    states: list[dict] = []
    created_run, created_by, reason, operation = (past[0].import_run_id if past else current.import_run_id,
                                                  None, "", "create")
    previous = None
    for version in past:
        states.append(_state(version, version.valid_from, version.valid_to, created_run, created_by, reason,
                             operation, previous))
        previous = version
        created_run, created_by, reason = version.changed_run_id, version.changed_by_id, version.reason
        operation = version.operation
    if current is not None:
        since = past[-1].valid_to if past else current.created_at
        states.append(_state(current, since, None, created_run, created_by, reason,
                             "create" if operation == "delete" else operation, previous))
    return states


def _state(obj, valid_from, valid_to, run, user, reason, operation, previous) -> dict:
    changed = [] if previous is None else [f for f in COMPARED_FIELDS
                                           if getattr(obj, f) != getattr(previous, f)]
    return {"valid_from": valid_from, "valid_to": valid_to, "operation": operation if previous else "create",
            "import_run": run, "changed_by": user, "reason": reason, "changed_fields": changed,
            "ended_by": None, **{f.removesuffix("_id"): getattr(obj, f) for f in _SHOWN}}


def _bbox_sql(bbox: Polygon | None, alias: str, params: list) -> str:
    if bbox is None:
        return ""
    params.append(bbox.ewkt)
    return f" AND {alias}.footprint && ST_GeomFromEWKT(%s)"


def _as_of_sql(when: dt.datetime, bbox: Polygon | None, params: list) -> str:
    """SQL selecting (building_id, key, attributes…) of the city as it was at ``when``."""
    cols = ", ".join(("source", "source_id", *COMPARED_FIELDS[:1], "ST_AsEWKB(footprint) AS footprint",
                      *COMPARED_FIELDS[2:]))
    params.append(when)
    past = f"SELECT building_id, {cols} FROM {_V} v WHERE v.valid_from <= %s "
    params.append(when)
    past += "AND v.valid_to > %s" + _bbox_sql(bbox, "v", params)
    params.append(when)
    now = f"SELECT id, {cols} FROM {_B} b WHERE {_current_from()} <= %s" + _bbox_sql(bbox, "b", params)
    return f"{past} UNION ALL {now}"


def city_as_of(when: dt.datetime, *, bbox: Polygon | None = None, limit: int = 10000) -> list[dict]:
    """The buildings as they were at ``when`` (in ``bbox`` if given)."""
    params: list = []
    sql = _as_of_sql(when, bbox, params)
    with connection.cursor() as cur:
        cur.execute(f"SELECT building_id, source, source_id, name, height, floors, use, year_built, "
                    f"bim_model_id FROM ({sql}) s ORDER BY building_id LIMIT %s", [*params, limit])
        keys = ("id", "source", "source_id", "name", "height", "floors", "use", "year_built", "bim_model")
        return [dict(zip(keys, row, strict=True)) for row in cur.fetchall()]


def demolished_as_of(when: dt.datetime, *, bbox: Polygon | None = None, limit: int = 5000) -> list[dict]:
    """The buildings that stood at ``when`` and are deleted now, each as its
    version valid then (footprint as GeoJSON, height, attributes, interval)
    with when, by whom and why it was deleted: what the time slider draws."""
    params: list = [when, when]
    bbox_sql = _bbox_sql(bbox, "v", params)
    params.append(limit)
    with connection.cursor() as cur:
        cur.execute(
            f"""SELECT v.building_id, v.source_id, v.name, v.height, v.floors, v.use, v.year_built,
                       v.base_elevation, ST_AsGeoJSON(v.footprint, 7), v.valid_from, v.valid_to,
                       d.valid_to, d.reason, d.changed_by_id, d.changed_run_id
                  FROM {_V} v
                  JOIN LATERAL (SELECT w.valid_to, w.reason, w.changed_by_id, w.changed_run_id FROM {_V} w
                                 WHERE w.building_id = v.building_id AND w.operation = 'delete'
                                 ORDER BY w.valid_to DESC LIMIT 1) d ON true
                 WHERE v.valid_from <= %s AND v.valid_to > %s{bbox_sql}
                   AND NOT EXISTS (SELECT 1 FROM {_B} b WHERE b.id = v.building_id)
                 ORDER BY v.building_id LIMIT %s""", params)
        keys = ("id", "source_id", "name", "height", "floors", "use", "year_built", "base_elevation",
                "footprint", "valid_from", "valid_to", "deleted_at", "reason", "deleted_by", "deleted_run")
        return [dict(zip(keys, row, strict=True)) for row in cur.fetchall()]


def city_diff(a: dt.datetime, b: dt.datetime, *, bbox: Polygon | None = None) -> dict:
    """What changed between the city at ``a`` and at ``b``: buildings new at
    ``b``, changed (with the changed fields) and removed, by building id."""
    pa: list = []
    pb: list = []
    sa, sb = _as_of_sql(a, bbox, pa), _as_of_sql(b, bbox, pb)
    fields = ", ".join(f"x.{f} IS DISTINCT FROM y.{f}" for f in COMPARED_FIELDS)
    with connection.cursor() as cur:
        cur.execute(
            f"""SELECT COALESCE(x.building_id, y.building_id), COALESCE(x.source_id, y.source_id),
                       x.building_id IS NULL, y.building_id IS NULL, {fields}
                  FROM ({sa}) x FULL JOIN ({sb}) y ON x.building_id = y.building_id""", [*pa, *pb])
        new, changed, removed = [], [], []
        for bid, source_id, is_new, is_removed, *flags in cur.fetchall():
            if is_new:
                new.append({"id": bid, "source_id": source_id})
            elif is_removed:
                removed.append({"id": bid, "source_id": source_id})
            elif any(flags):
                changed.append({"id": bid, "source_id": source_id,
                                "fields": [f for f, d in zip(COMPARED_FIELDS, flags, strict=True) if d]})
    return {"new": new, "changed": changed, "removed": removed}


def run_time(run: ImportRun) -> dt.datetime:
    """The time at which the city includes what ``run`` wrote."""
    return run.finished_at or run.started_at


@dataclass
class RunChanges:
    created_ids: list[int] = field(default_factory=list)
    replaced_version_ids: list[int] = field(default_factory=list)
    dependents: list[dict] = field(default_factory=list)
    undone: bool = False


def run_changes(run: ImportRun) -> RunChanges:
    """What ``run`` did to buildings: the ones it created (their first
    version names the run) and the versions it replaced; and the later
    changes that depend on them (any version of those buildings valid from
    the run's write or after, which an undo would silently drop)."""
    out = RunChanges()
    with connection.cursor() as cur:
        # Created by the run: the earliest state of the building names it.
        cur.execute(
            f"""SELECT b.id FROM {_B} b WHERE b.import_run_id = %(run)s
                  AND NOT EXISTS (SELECT 1 FROM {_V} v WHERE v.building_id = b.id)
                UNION
                SELECT v.building_id FROM {_V} v WHERE v.import_run_id = %(run)s
                   AND v.valid_from = (SELECT min(w.valid_from) FROM {_V} w
                                        WHERE w.building_id = v.building_id)
                   AND NOT EXISTS (SELECT 1 FROM {_V} w WHERE w.building_id = v.building_id
                                     AND w.valid_from = v.valid_from AND w.id < v.id)""",
            {"run": run.pk})
        created = sorted(row[0] for row in cur.fetchall())
        cur.execute(f"SELECT id, building_id, valid_to FROM {_V} WHERE changed_run_id = %s", [run.pk])
        replaced = cur.fetchall()
        out.created_ids = created
        out.replaced_version_ids = [r[0] for r in replaced]
        # Later changes: a version of a created building (its first state
        # ended), or one valid from the run's change on.
        cur.execute(
            f"""SELECT v.building_id, v.source_id, v.valid_to, v.changed_run_id, v.changed_by_id, v.reason,
                       v.operation
                  FROM {_V} v
                  LEFT JOIN unnest(%s::bigint[], %s::timestamptz[]) AS r(building_id, at)
                         ON r.building_id = v.building_id
                 WHERE (v.building_id = ANY(%s) OR v.valid_from >= r.at)
                   AND NOT (v.changed_run_id IS NOT DISTINCT FROM %s AND v.building_id <> ALL(%s))
                 ORDER BY v.valid_to, v.id""",
            [[r[1] for r in replaced], [r[2] for r in replaced], created, run.pk, created])
        for bid, source_id, at, by_run, by_user, reason, op in cur.fetchall():
            if reason.startswith(f"undo import #{run.pk}:"):
                out.undone = True
                continue
            out.dependents.append({"building": bid, "source_id": source_id, "changed_at": at.isoformat(),
                                   "import_run": by_run, "changed_by": by_user, "operation": op})
    return out

"""Building the city's 3D Tiles from PostGIS (the geometry work is in
:mod:`cim.tiling`, which knows nothing of Django).

Output: ``settings.CIM["TILES_DIR"]`` (a symbolic link to the current build)
holds ``tileset.json``, ``manifest.json`` and ``t/<tile id>.glb`` (+ ``.gz``).

One query reads every building (one snapshot, so nothing can change between
two reads) into column arrays, with a fingerprint per building over
everything the tiles show.  Incremental by default: against the manifest of
the published build, only the tiles holding changed, added or deleted
buildings are re-encoded; the other files are hard-linked into the new build
unchanged.  A change of the registered DEMs, of the builder or of its caps
forces a full build.  Buildings are placed on the ground through the same
sampler and geoid as the terrain tiles (:func:`cim.services.terrain.ground_heights`,
:mod:`cim.terrain.geoid`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import connection, transaction
from tqdm import tqdm

from cim.choices import BuildingUse
from cim.errors import Conflict, DomainError
from cim.models import AdminArea, Building, DemRaster
from cim.services.audit import audit_record
from cim.services.terrain import ground_heights
from cim.terrain.geoid import undulation
from cim.tiling import manifest as mf
from cim.tiling.builder import SKIRT_M, BuildingRecords, Prepared, encode_tile, prepare, tileset_document
from cim.tiling.geodesy import EnuFrame
from cim.tiling.publish import current_build, discard, new_build_dir, publish, write_atomic, write_with_gzip
from cim.tiling.quadtree import MAX_BUILDINGS, MAX_CONTENT_SIZE_M, MAX_VERTICES, root_cell

log = logging.getLogger(__name__)

BUILDER_VERSION = "1"  # bump whenever cim.tiling's output changes for the same input
LOCK_KEY = 0x7469_6C65  # pg advisory lock: one tiles build at a time
USE_VALUES = [c.value for c in BuildingUse]


@dataclass
class TilesBuildResult:
    """What a build did (printed by the command, recorded in the audit log)."""

    mode: str  # full | incremental | unchanged
    path: Path
    version: str = ""
    tiles: int = 0
    tiles_written: int = 0
    buildings: int = 0
    changed: int = 0
    added: int = 0
    removed: int = 0
    bytes: int = 0
    gzip_bytes: int = 0
    seconds: float = 0.0
    problems: list[tuple[int, str]] = field(default_factory=list)

    def summary(self) -> dict:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in self.__dict__.items()
                if k != "problems"} | {"problems": len(self.problems)}


def read_records() -> BuildingRecords:
    """Every building as column arrays, ordered by id, with fingerprints.

    No ORDER BY: PostgreSQL would sort the wide rows (WKB) in temporary files
    beyond ``work_mem``; Python sorts the fetched rows in a few milliseconds.
    """
    with connection.cursor() as cur:
        cur.execute(
            "SELECT b.id, ST_AsBinary(b.footprint), ST_X(b.centroid), ST_Y(b.centroid), b.height, "
            "coalesce(b.floors, 0), b.use, coalesce(b.year_built, 0), b.name, coalesce(a.code, ''), "
            "coalesce(a.name, ''), b.lod, b.base_elevation, b.solid::text "
            f"FROM {Building._meta.db_table} b "
            f"LEFT JOIN {AdminArea._meta.db_table} a ON a.id = b.admin_area_id")
        rows = cur.fetchall()
    rows.sort(key=itemgetter(0))
    n = len(rows)
    col = list(zip(*rows, strict=True)) if rows else [()] * 14
    solid_texts = list(col[13])
    records = BuildingRecords(
        ids=np.asarray(col[0], dtype=np.int64),
        wkb=list(col[1]),
        centroid=np.column_stack([np.asarray(col[2], np.float64), np.asarray(col[3], np.float64)])
        if n else np.zeros((0, 2)),
        height=np.asarray(col[4], dtype=np.float64),
        floors=np.asarray(col[5], dtype=np.int64),
        use=list(col[6]),
        year=np.asarray(col[7], dtype=np.int64),
        name=list(col[8]),
        admin_code=list(col[9]),
        admin_name=list(col[10]),
        lod=np.asarray(col[11], dtype=np.int64),
        base_elevation=np.array([np.nan if v is None else v for v in col[12]], dtype=np.float64),
        solids=[json.loads(s) if s else None for s in solid_texts],
    )
    records.fingerprints = _fingerprints(records, solid_texts)
    return records


def _fingerprints(rec: BuildingRecords, solid_texts) -> list[str]:
    """A 64-bit hash per building over every value the tiles show or depend
    on.  Computed here rather than in SQL, where md5 over text casts cost
    more than the whole read."""
    numbers = np.column_stack([rec.centroid, rec.height, rec.floors, rec.year, rec.lod,
                               rec.base_elevation]).astype("<f8") if len(rec) else np.zeros((0, 7))
    rows = numbers.tobytes()
    width = numbers.shape[1] * 8
    out = []
    for i in range(len(rec)):
        h = hashlib.blake2b(rec.wkb[i], digest_size=8)
        h.update(rows[i * width:(i + 1) * width])
        h.update("\x1f".join((rec.use[i], rec.name[i], rec.admin_code[i], rec.admin_name[i],
                              solid_texts[i] or "")).encode())
        out.append(h.hexdigest())
    return out


def _build_key(max_buildings: int, max_vertices: int) -> str:
    dems = list(DemRaster.objects.order_by("id").values_list(
        "id", "checksum", "priority", "vertical_datum", "path"))
    payload = json.dumps([BUILDER_VERSION, max_buildings, max_vertices, MAX_CONTENT_SIZE_M, SKIRT_M,
                          dems], default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _ground(lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    return ground_heights(lons, lats) if len(lons) else np.zeros(0)


def _undulation(lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    return undulation(lons, lats) if len(lons) else np.zeros(0)


def _prepare(records: BuildingRecords, frame: EnuFrame) -> Prepared:
    return prepare(records, frame=frame, ground=_ground, undulation=_undulation)


def _load_manifest(build: Path | None, key: str) -> dict | None:
    if build is None or not (build / "manifest.json").is_file():
        return None
    try:
        data = json.loads((build / "manifest.json").read_text())
    except (OSError, ValueError):
        log.warning("tiles manifest unreadable; doing a full build")
        return None
    if data.get("format") != mf.FORMAT or data.get("key") != key:
        return None
    return data


class _Lock:
    """A session-level advisory lock so that two builds never interleave."""

    def __enter__(self):
        with connection.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
            if not cur.fetchone()[0]:
                raise Conflict("another build_tiles is running; try again when it has finished")
        return self

    def __exit__(self, *exc):
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])


@dataclass
class _Plan:
    tree: object
    dirty: set[str]
    importance: np.ndarray
    vertices: np.ndarray
    cell: tuple[float, float, float]
    full: bool
    changed: int = 0
    added: int = 0
    removed: int = 0


def tiles_build(
    *,
    full: bool = False,
    by=None,
    progress: bool = False,
    out_dir: Path | None = None,
    max_buildings: int = MAX_BUILDINGS,
    max_vertices: int = MAX_VERTICES,
) -> TilesBuildResult:
    """Build (or bring up to date) the 3D Tiles of all buildings.

    Raises :class:`DomainError` when there is no building to tile and
    :class:`Conflict` when another build runs; the published tileset is then
    left as it was.
    """
    started = time.perf_counter()
    served = Path(out_dir or settings.CIM["TILES_DIR"])
    with _Lock():
        key = _build_key(max_buildings, max_vertices)
        previous = current_build(served)
        old = None if full else _load_manifest(previous, key)
        records = read_records()
        if len(records) == 0:
            raise DomainError("there are no buildings to tile; import some first",
                              field="buildings", code="no_buildings")
        plan, frame, light, prepared = _plan(old, records, max_buildings, max_vertices)
        if plan is None:
            return TilesBuildResult(mode="unchanged", path=served, version=old["version"],
                                    tiles=sum(1 for t in old["tiles"].values() if t["content"]),
                                    buildings=len(records), seconds=time.perf_counter() - started)
        return _write(served, previous, old, plan, frame, light, prepared, by=by, progress=progress,
                      key=key, started=started)


def _plan(old: dict | None, records: BuildingRecords, max_buildings: int, max_vertices: int):
    """Full or incremental, which tiles to encode, and the meshes they need."""
    lonlat = records.centroid
    if old is not None:
        frame = EnuFrame(*old["frame"])
        xy = frame.from_geodetic(lonlat[:, 0], lonlat[:, 1], 0.0)
        light = mf.Light(records.ids, records.fingerprints, xy[:, 0], xy[:, 1])
        changed, added, removed = mf.diff(old, light)
        if not (changed or added or removed):
            return None, frame, light, None
        touched = np.isin(records.ids, np.array(sorted(changed | added), dtype=np.int64))
        fresh_prep = _prepare(records.subset(touched), frame)
        fresh = {int(bid): (float(fresh_prep.importance[k]), int(fresh_prep.vertex_count[k]))
                 for k, bid in enumerate(fresh_prep.records.ids)}
        plan = mf.plan_incremental(old, light, fresh=fresh, max_buildings=max_buildings,
                                   max_vertices=max_vertices)
        if plan is not None:
            needed = [t.buildings for t in plan.tree.walk() if t.id in plan.dirty]
            mask = np.zeros(len(records), dtype=bool)
            if needed:
                mask[np.concatenate(needed)] = True
            prepared = _prepare(records.subset(mask), frame)
            out = _Plan(plan.tree, plan.dirty, plan.importance, plan.vertices, tuple(old["root"]),
                        False, len(changed), len(added), len(removed))
            return out, frame, light, prepared
        log.info("a new building lies outside the tiled area: full build")
    lo, hi = lonlat.min(axis=0), lonlat.max(axis=0)
    frame = EnuFrame(float((lo[0] + hi[0]) / 2), float((lo[1] + hi[1]) / 2), 0.0)
    xy = frame.from_geodetic(lonlat[:, 0], lonlat[:, 1], 0.0)
    light = mf.Light(records.ids, records.fingerprints, xy[:, 0], xy[:, 1])
    prepared = _prepare(records, frame)
    cell = root_cell(light.x, light.y)
    plan = mf.plan_full(light, importance=prepared.importance, vertices=prepared.vertex_count,
                        cell=cell, max_buildings=max_buildings, max_vertices=max_vertices)
    out = _Plan(plan.tree, plan.dirty, plan.importance, plan.vertices, cell, True,
                added=len(records))
    return out, frame, light, prepared


def _write(served, previous, old, plan, frame, light, prepared, *, by, progress, key,
           started) -> TilesBuildResult:
    version, build_dir = new_build_dir(served)
    result = TilesBuildResult(mode="full" if plan.full else "incremental", path=served,
                              version=version, buildings=len(light.ids), changed=plan.changed,
                              added=plan.added, removed=plan.removed,
                              problems=list(prepared.problems))
    # zlib and file writes release the GIL: compress and write on a second
    # core while the next tile is encoded.
    pool = ThreadPoolExecutor(max_workers=2)
    pending: list[tuple[str, Future]] = []
    try:
        contents: dict[str, dict] = {}
        position = {int(b): k for k, b in enumerate(prepared.records.ids)}
        tiles = list(plan.tree.walk())
        for tile in tqdm(tiles, desc="tiles", unit="tile", disable=not progress, leave=False):
            name = f"t/{tile.id}.glb"
            if not plan.full and tile.id not in plan.dirty:
                entry = old["tiles"].get(tile.id, {}).get("content")
                if entry:  # unchanged: the same file, hard-linked
                    for suffix in ("", ".gz"):
                        target = build_dir / (entry["file"] + suffix)
                        target.parent.mkdir(parents=True, exist_ok=True)
                        os.link(previous / (entry["file"] + suffix), target)
                    contents[tile.id] = entry
                continue
            if len(tile.buildings) == 0:
                continue
            members = np.array([position[int(b)] for b in light.ids[tile.buildings]], dtype=np.int64)
            content = encode_tile(prepared, members, use_values=USE_VALUES)
            if content is None:
                continue
            pending.append((tile.id, pool.submit(write_with_gzip, build_dir / name, content.data)))
            result.tiles_written += 1
            contents[tile.id] = {
                "file": name, "uri": f"{name}?v={content.digest}", "digest": content.digest,
                "bytes": len(content.data), "gzip_bytes": 0, "vertices": content.vertices,
                "box_min": content.box_min, "box_max": content.box_max,
            }
        for tile_id, future in pending:
            contents[tile_id]["gzip_bytes"] = future.result()
        doc = tileset_document(plan.tree, frame=frame, contents=contents, version=version)
        write_atomic(build_dir / "tileset.json", json.dumps(doc, separators=(",", ":")).encode())
        tiles_section = mf.tiles_to_manifest(plan.tree, light=light, importance=plan.importance,
                                             vertices=plan.vertices, contents=contents)
        manifest = {"format": mf.FORMAT, "key": key, "version": version,
                    "frame": [frame.lon, frame.lat, frame.height], "root": list(plan.cell),
                    "tiles": tiles_section}
        write_atomic(build_dir / "manifest.json", json.dumps(manifest, separators=(",", ":")).encode())
        publish(served, build_dir)
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        discard(build_dir)
        raise
    pool.shutdown(wait=True)
    result.tiles = len(contents)
    result.bytes = sum(c["bytes"] for c in contents.values())
    result.gzip_bytes = sum(c["gzip_bytes"] for c in contents.values())
    result.seconds = time.perf_counter() - started
    with transaction.atomic():
        audit_record(actor=by or "system", action="tiles.build", object_type="cim.tileset",
                     object_id=version, after=result.summary())
    return result

"""Building the city's 3D Tiles from PostGIS (the geometry work is in
:mod:`cim.tiling`, which knows nothing of Django).

Output: ``cim_settings.TILES_DIR`` (a symbolic link to the current build)
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

import functools
import hashlib
import json
import logging
import os
import pickle
import shutil
import threading
import time
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path

import numpy as np
import psycopg
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from tqdm import tqdm

from cim.choices import BuildingUse
from cim.conf import cim_settings
from cim.errors import Conflict, DomainError
from cim.models import AdminArea, BimModel, Building, DemRaster
from cim.progress import Progress, stage, terminal, track
from cim.services.audit import audit_record
from cim.services.bim_links import add_links
from cim.services.elevation import ground_sampler
from cim.services.terrain import ground_heights
from cim.terrain.geoid import undulation
from cim.tiling import manifest as mf
from cim.tiling.builder import SKIRT_M, BuildingRecords, Prepared, encode_tile, prepare, tileset_document
from cim.tiling.geodesy import EnuFrame
from cim.tiling.parallel import cores, run_forked
from cim.tiling.publish import current_build, discard, new_build_dir, publish, write_atomic, write_with_gzip
from cim.tiling.quadtree import (
    MAX_BUILDINGS,
    MAX_CONTENT_SIZE_M,
    MAX_VERTICES,
    Tile,
    build_quadtree,
    root_cell,
    split_above_content,
)
from config.common.replica import replica_reads

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
    """Every building as column arrays, ordered by id, with fingerprints."""
    records, solid_texts = _read()
    records.fingerprints = _fingerprints(records, solid_texts)
    return records


def _read(alias: str = DEFAULT_DB_ALIAS, ids: np.ndarray | None = None) -> tuple[BuildingRecords,
                                                                                list[str | None]]:
    """Every building as column arrays, ordered by id (no fingerprints yet),
    and each one's solid as the database's JSON text.

    No ORDER BY: PostgreSQL would sort the wide rows (WKB) in temporary files
    beyond ``work_mem``; Python sorts the fetched rows in a few milliseconds.
    """
    db = connections[alias]
    db.ensure_connection()
    # Binary results (a plain server-side-bound cursor; Django's client-side
    # cursors cannot): the WKB arrives as it is instead of as hex text, and
    # the numbers need no parsing; half the client's time of the read.
    with psycopg.Cursor(db.connection) as cur:
        cur.execute(
            "SELECT b.id, ST_AsBinary(b.footprint), ST_X(b.centroid), ST_Y(b.centroid), b.height, "
            "coalesce(b.floors, 0), b.use, coalesce(b.year_built, 0), b.name, coalesce(a.code, ''), "
            "coalesce(a.name, ''), b.lod, b.base_elevation, b.solid::text "
            f"FROM {Building._meta.db_table} b "
            f"LEFT JOIN {AdminArea._meta.db_table} a ON a.id = b.admin_area_id "
            # a building a tiled BIM model replaces is drawn by the model's own tileset
            f"WHERE NOT EXISTS (SELECT 1 FROM {BimModel._meta.db_table} m "
            "WHERE m.id = b.bim_model_id AND m.tiles_version <> '')"
            + ("" if ids is None else " AND b.id = ANY(%s)"),
            None if ids is None else [ids.tolist()], binary=True)
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
    return records, solid_texts


def _fingerprints(rec: BuildingRecords, solid_texts, idx: np.ndarray | None = None) -> list[str]:
    """A 64-bit hash per building (of ``idx``, default all) over every value
    the tiles show or depend on.  Computed here rather than in SQL, where md5
    over text casts cost more than the whole read."""
    idx = np.arange(len(rec)) if idx is None else np.asarray(idx, dtype=np.int64)
    numbers = np.column_stack([rec.centroid[idx], rec.height[idx], rec.floors[idx], rec.year[idx],
                               rec.lod[idx], rec.base_elevation[idx]]).astype("<f8") \
        if len(idx) else np.zeros((0, 7))
    rows = numbers.tobytes()
    width = numbers.shape[1] * 8
    out = []
    wkb, use, name, code, area = rec.wkb, rec.use, rec.name, rec.admin_code, rec.admin_name
    blake2b = hashlib.blake2b
    for k, i in enumerate(idx.tolist()):
        # one call over the concatenation: the same digest as three updates
        text = "\x1f".join((use[i], name[i], code[i], area[i], solid_texts[i] or "")).encode()
        out.append(blake2b(b"".join((wkb[i], rows[k * width:(k + 1) * width], text)),
                           digest_size=8).hexdigest())
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


def _prepare(records: BuildingRecords, frame: EnuFrame, ground=_ground) -> Prepared:
    return prepare(records, frame=frame, ground=ground, undulation=_undulation)


def _ground_sampler():
    """The ground sampler of :mod:`cim.services.elevation` with the DEMs
    looked up and their grids loaded now: the forked workers of a full build
    sample heights without a query (they must not use the parent's database
    connection) and share the loaded grids."""
    sample = ground_sampler(preload=True)
    _undulation(np.zeros(1), np.zeros(1))  # the geoid transformer, made once before any fork
    if sample is None:
        return lambda lons, lats: np.full(np.shape(lons), np.nan)
    return sample


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
    progress: Progress = False,
    out_dir: Path | None = None,
    max_buildings: int = MAX_BUILDINGS,
    max_vertices: int = MAX_VERTICES,
    workers: int | None = None,
    shares: int | None = None,
) -> TilesBuildResult:
    """Build (or bring up to date) the 3D Tiles of all buildings.

    A full build spreads the meshes and tiles over ``workers`` processes
    (default: the cores, at most two); the output is the same as with one.
    With ``shares`` (> 1) it is spread over the Celery workers instead: the
    subtrees are dealt into that many shares, each offered to the workers as a
    ``cim.tiles_part`` task (any machine that mounts the tiles folder), and this
    process builds whatever share no worker has taken (see :func:`tiles_part_build`).
    Raises :class:`DomainError` when there is no building to tile and
    :class:`Conflict` when another build runs; the published tileset is then
    left as it was.
    """
    started = time.perf_counter()
    served = Path(out_dir or cim_settings.TILES_DIR)
    with _Lock():
        key = _build_key(max_buildings, max_vertices)
        previous = current_build(served)
        old = None if full else _load_manifest(previous, key)
        # The one big read (every building) from the replica when there is one, once
        # it has replayed everything committed before the build started.
        with replica_reads(consistent=True) as alias:
            records, solid_texts = _read(alias)
        if len(records) == 0:
            raise DomainError("there are no buildings to tile; import some first",
                              field="buildings", code="no_buildings")
        if old is not None:  # incremental: every fingerprint first, to find what changed
            records.fingerprints = _fingerprints(records, solid_texts)
            found = _plan_incremental(old, records, max_buildings, max_vertices)
            if found == "unchanged":
                return TilesBuildResult(mode="unchanged", path=served, version=old["version"],
                                        tiles=sum(1 for t in old["tiles"].values() if t["content"]),
                                        buildings=len(records), seconds=time.perf_counter() - started)
            if found is not None:
                plan, frame, light, prepared = found
                return _write(served, previous, old, plan, frame, light, prepared, by=by,
                              progress=progress, key=key, started=started)
        return _build_full(served, records, solid_texts, by=by, progress=progress, key=key,
                           started=started, max_buildings=max_buildings, max_vertices=max_vertices,
                           workers=min(2, cores()) if workers is None else workers, shares=shares)


def _plan_incremental(old: dict, records: BuildingRecords, max_buildings: int, max_vertices: int):
    """"unchanged", (plan, frame, light, prepared) for the tiles to re-encode,
    or None when only a full build will do."""
    lonlat = records.centroid
    frame = EnuFrame(*old["frame"])
    xy = frame.from_geodetic(lonlat[:, 0], lonlat[:, 1], 0.0)
    light = mf.Light(records.ids, records.fingerprints, xy[:, 0], xy[:, 1])
    changed, added, removed = mf.diff(old, light)
    if not (changed or added or removed):
        return "unchanged"
    touched = np.isin(records.ids, np.array(sorted(changed | added), dtype=np.int64))
    fresh_prep = _prepare(records.subset(touched), frame)
    fresh = {int(bid): (float(fresh_prep.importance[k]), int(fresh_prep.vertex_count[k]))
             for k, bid in enumerate(fresh_prep.records.ids)}
    plan = mf.plan_incremental(old, light, fresh=fresh, max_buildings=max_buildings,
                               max_vertices=max_vertices)
    if plan is None:
        log.info("a new building lies outside the tiled area: full build")
        return None
    needed = [t.buildings for t in plan.tree.walk() if t.id in plan.dirty]
    mask = np.zeros(len(records), dtype=bool)
    if needed:
        mask[np.concatenate(needed)] = True
    prepared = _prepare(records.subset(mask), frame)
    out = _Plan(plan.tree, plan.dirty, plan.importance, plan.vertices, tuple(old["root"]),
                False, len(changed), len(added), len(removed))
    return out, frame, light, prepared


@dataclass
class _Part:
    """What one worker of a full build made of its share of the city."""

    idx: np.ndarray  # its buildings (indices into the records), sorted
    importance: np.ndarray
    vertices: np.ndarray
    fingerprints: list[str]
    subtrees: dict[str, tuple[np.ndarray, list[Tile]]]  # stub id → (own buildings, children)
    contents: dict[str, dict]
    problems: list[tuple[int, str]]


def _build_part(job, *, records, solid_texts, frame, x, y, ground, build_dir, max_buildings,
                max_vertices) -> _Part:
    """Meshes, subtrees, glb + gzip files of some stubs' buildings (runs in
    a forked worker: no database, no threads)."""
    stubs, progress = job
    idx = np.sort(np.concatenate([s.buildings for s in stubs]))
    prepared = _prepare(records.subset(idx), frame, ground)
    importance = np.zeros(len(records))
    vertices = np.zeros(len(records), dtype=np.int64)
    importance[idx] = prepared.importance
    vertices[idx] = prepared.vertex_count
    subtrees, contents = {}, {}
    # the bar follows this process's share only (the other worker's runs alongside)
    for stub in tqdm(stubs, desc="tile cells", unit="cell", disable=not terminal(progress), leave=False):
        tree = build_quadtree(x=x, y=y, importance=importance, vertices=vertices, ids=records.ids,
                              members=stub.buildings, cell=(stub.x0, stub.y0, stub.size),
                              tile_id=stub.id, max_buildings=max_buildings, max_vertices=max_vertices)
        subtrees[stub.id] = (tree.buildings, tree.children)
        for tile in tree.walk():
            if len(tile.buildings) == 0:
                continue
            content = encode_tile(prepared, np.searchsorted(idx, tile.buildings), use_values=USE_VALUES)
            if content is None:
                continue
            name = f"t/{tile.id}.glb"
            gzip_bytes = write_with_gzip(build_dir / name, content.data)
            contents[tile.id] = {
                "file": name, "uri": f"{name}?v={content.digest}", "digest": content.digest,
                "bytes": len(content.data), "gzip_bytes": gzip_bytes, "vertices": content.vertices,
                "box_min": content.box_min, "box_max": content.box_max,
            }
    return _Part(idx, prepared.importance, prepared.vertex_count,
                 _fingerprints(records, solid_texts, idx), subtrees, contents, prepared.problems)


def _shares(stubs: list[Tile], workers: int) -> list[list[Tile]]:
    """The stubs dealt to ``workers`` workers, largest first to the least
    loaded (by footprint count: meshing and encoding go with it)."""
    loads = [0] * max(1, workers)
    shares: list[list[Tile]] = [[] for _ in loads]
    for stub in sorted(stubs, key=lambda s: (-len(s.buildings), s.id)):
        k = loads.index(min(loads))
        shares[k].append(stub)
        loads[k] += len(stub.buildings)
    return [share for share in shares if share]


# --- a full build spread over the Celery workers ---------------------------------------------
#
# The coordinator (the process running tiles_build) writes one JSON file per share
# into a folder beside the build folder (same volume): the frame, the limits, and per
# stub its cell and the database ids of its buildings.  It queues one cim.tiles_part
# task per share and then builds, itself, every share it can claim first.  A worker
# claims a share by creating its .claim file (O_EXCL), reads those buildings (from the
# replica when there is one), builds the subtrees, writes the glb files into the build
# folder and its result (subtrees, per-building figures) as a pickle.  The
# coordinator waits for the shares others claimed and rebuilds any whose worker
# failed or stopped touching its claim (PART_STALE_S): a build never waits for a
# worker that is not coming, and never deadlocks with one worker.

PART_HEARTBEAT_S = 2.0
PART_STALE_S = 30.0


def _parts_dir(build_dir: Path) -> Path:
    return build_dir.with_name(build_dir.name + ".parts")


def _claim(parts_dir: Path, k: int) -> bool:
    try:
        fd = os.open(parts_dir / f"{k}.claim", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    os.write(fd, f"{os.uname().nodename}:{os.getpid()}".encode())
    os.close(fd)
    return True


def _stale(parts_dir: Path, k: int) -> bool:
    try:
        return time.time() - (parts_dir / f"{k}.claim").stat().st_mtime > PART_STALE_S
    except FileNotFoundError:
        return False


def _stub_spec(stub: Tile, ids: np.ndarray) -> dict:
    return {"id": stub.id, "cell": [stub.x0, stub.y0, stub.size], "ids": ids[stub.buildings].tolist()}


def _remap(part: _Part, remote_ids: np.ndarray, ids: np.ndarray) -> _Part:
    """A part built elsewhere, its building indices turned into this process's."""
    to_here = np.searchsorted(ids, remote_ids)
    part.idx = to_here[part.idx]
    for own, children in part.subtrees.values():
        own[:] = to_here[own]
        for child in children:
            for tile in child.walk():
                tile.buildings = to_here[tile.buildings]
    part.problems = [(int(b), why) for b, why in part.problems]
    return part


def _parts_on_workers(shares: list[list[Tile]], build_part, *, records, frame, build_dir, max_buildings,
                      max_vertices, progress) -> list[_Part]:
    from cim.tasks import tiles_part

    parts_dir = _parts_dir(build_dir)
    parts_dir.mkdir()
    try:
        common = {"build_dir": str(build_dir), "frame": [frame.lon, frame.lat, frame.height],
                  "max_buildings": max_buildings, "max_vertices": max_vertices}
        for k, share in enumerate(shares):
            spec = {**common, "stubs": [_stub_spec(stub, records.ids) for stub in share]}
            write_atomic(parts_dir / f"{k}.json", json.dumps(spec).encode())
        for k in range(len(shares)):
            tiles_part.apply_async(args=[str(parts_dir), k])
        parts: dict[int, _Part] = {}
        time.sleep(float(cim_settings.TILES_PART_GRACE_S))
        # whatever no worker has taken yet, from the last share (the workers take them from the first)
        for k in reversed(range(len(shares))):
            if _claim(parts_dir, k):
                parts[k] = build_part((shares[k], False))
        while len(parts) < len(shares):
            for k in set(range(len(shares))) - set(parts):
                done, failed = parts_dir / f"{k}.pkl", parts_dir / f"{k}.failed"
                if done.exists():
                    remote_ids, part = pickle.loads(done.read_bytes())
                    parts[k] = _remap(part, remote_ids, records.ids)
                elif failed.exists() or _stale(parts_dir, k):
                    log.warning("tile share %d: %s; building it here", k,
                                failed.read_text()[-500:] if failed.exists() else "its worker stopped")
                    parts[k] = build_part((shares[k], False))
            if len(parts) < len(shares):
                time.sleep(0.05)
        return [parts[k] for k in range(len(shares))]
    finally:
        shutil.rmtree(parts_dir, ignore_errors=True)


def tiles_part_build(parts_dir: Path, k: int) -> str:
    """One share of a distributed full build, on a Celery worker (``cim.tiles_part``):
    "built", or "taken" / "gone" when the coordinator (or another worker) got there first."""
    spec_file = parts_dir / f"{k}.json"
    if not spec_file.exists():
        return "gone"
    if not _claim(parts_dir, k):
        return "taken"
    claim = parts_dir / f"{k}.claim"
    beating = threading.Event()

    def heartbeat() -> None:
        while not beating.wait(PART_HEARTBEAT_S):
            try:
                os.utime(claim)
            except FileNotFoundError:  # the build is over
                return

    threading.Thread(target=heartbeat, name="tiles-part-heartbeat", daemon=True).start()
    try:
        spec = json.loads(spec_file.read_text())
        wanted = np.asarray(sorted({i for stub in spec["stubs"] for i in stub["ids"]}), dtype=np.int64)
        with replica_reads(consistent=True) as alias:
            records, solid_texts = _read(alias, ids=wanted)
        if len(records) != len(wanted) or not np.array_equal(records.ids, wanted):
            raise RuntimeError(f"{len(wanted) - len(records)} buildings of this share were deleted meanwhile")
        frame = EnuFrame(*spec["frame"])
        xy = frame.from_geodetic(records.centroid[:, 0], records.centroid[:, 1], 0.0)
        stubs = [Tile(stub["id"], *stub["cell"], buildings=np.searchsorted(records.ids, stub["ids"]))
                 for stub in spec["stubs"]]
        part = _build_part((stubs, False), records=records, solid_texts=solid_texts, frame=frame,
                           x=xy[:, 0], y=xy[:, 1], ground=_ground_sampler(),
                           build_dir=Path(spec["build_dir"]), max_buildings=spec["max_buildings"],
                           max_vertices=spec["max_vertices"])
        result = pickle.dumps((records.ids, part), protocol=pickle.HIGHEST_PROTOCOL)
        write_atomic(parts_dir / f"{k}.pkl", result)
        return "built"
    except BaseException:
        if parts_dir.exists():
            write_atomic(parts_dir / f"{k}.failed", traceback.format_exc(limit=20).encode())
        raise
    finally:
        beating.set()


def _build_full(served, records, solid_texts, *, by, progress, key, started, max_buildings,
                max_vertices, workers, shares=None) -> TilesBuildResult:
    """Every tile anew: the frame and the top of the quadtree here, the
    subtrees under the first cells that may hold content in ``workers``
    processes, then tileset.json, the manifest and the switch here."""
    lonlat = records.centroid
    lo, hi = lonlat.min(axis=0), lonlat.max(axis=0)
    frame = EnuFrame(float((lo[0] + hi[0]) / 2), float((lo[1] + hi[1]) / 2), 0.0)
    xy = frame.from_geodetic(lonlat[:, 0], lonlat[:, 1], 0.0)
    x, y = xy[:, 0], xy[:, 1]
    cell = root_cell(x, y)
    tree, stubs = split_above_content(x=x, y=y, cell=cell)
    ground = _ground_sampler()
    version, build_dir = new_build_dir(served)
    try:
        stage(progress, "tile cells")
        build_part = functools.partial(_build_part, records=records, solid_texts=solid_texts, frame=frame,
                                       x=x, y=y, ground=ground, build_dir=build_dir,
                                       max_buildings=max_buildings, max_vertices=max_vertices)
        if shares and shares > 1:
            parts = _parts_on_workers(_shares(stubs, shares), build_part, records=records, frame=frame,
                                      build_dir=build_dir, max_buildings=max_buildings,
                                      max_vertices=max_vertices, progress=progress)
        else:
            parts = run_forked(build_part, [(share, terminal(progress) and k == 0)
                                            for k, share in enumerate(_shares(stubs, workers))])
        n = len(records)
        importance = np.zeros(n)
        vertices = np.zeros(n, dtype=np.int64)
        fingerprints: list[str] = [""] * n
        contents: dict[str, dict] = {}
        problems: list[tuple[int, str]] = []
        by_id = {s.id: s for s in stubs}
        for part in parts:
            importance[part.idx] = part.importance
            vertices[part.idx] = part.vertices
            for i, fp in zip(part.idx.tolist(), part.fingerprints, strict=True):
                fingerprints[i] = fp
            for stub_id, (own, children) in part.subtrees.items():
                by_id[stub_id].buildings, by_id[stub_id].children = own, children
            contents.update(part.contents)
            problems.extend(part.problems)
        # in the order one process finds them: solids that failed, then empty footprints
        problems.sort(key=lambda p: (p[1].startswith("footprint has no valid ring"), p[0]))
        records.fingerprints = fingerprints
        light = mf.Light(records.ids, fingerprints, x, y)
        result = TilesBuildResult(mode="full", path=served, version=version, buildings=n, added=n,
                                  tiles_written=len(contents), problems=problems)
        _finish(served, build_dir, tree=tree, frame=frame, light=light, importance=importance,
                vertices=vertices, cell=cell, contents=contents, key=key, version=version)
    except BaseException:
        discard(build_dir)
        raise
    return _done(result, contents, by=by, started=started)


def _finish(served, build_dir, *, tree, frame, light, importance, vertices, cell, contents, key,
            version) -> None:
    """tileset.json and manifest.json into the build folder, then publish it."""
    doc = add_links(tileset_document(tree, frame=frame, contents=contents, version=version), frame)
    write_atomic(build_dir / "tileset.json", json.dumps(doc, separators=(",", ":")).encode())
    tiles_section = mf.tiles_to_manifest(tree, light=light, importance=importance,
                                         vertices=vertices, contents=contents)
    manifest = {"format": mf.FORMAT, "key": key, "version": version,
                "frame": [frame.lon, frame.lat, frame.height], "root": list(cell),
                "tiles": tiles_section}
    write_atomic(build_dir / "manifest.json", json.dumps(manifest, separators=(",", ":")).encode())
    publish(served, build_dir)


def _done(result: TilesBuildResult, contents: dict, *, by, started) -> TilesBuildResult:
    result.tiles = len(contents)
    result.bytes = sum(c["bytes"] for c in contents.values())
    result.gzip_bytes = sum(c["gzip_bytes"] for c in contents.values())
    result.seconds = time.perf_counter() - started
    with transaction.atomic():
        audit_record(actor=by or "system", action="tiles.build", object_type="cim.tileset",
                     object_id=result.version, after=result.summary())
    return result


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
        for tile in track(tiles, progress, desc="tiles", unit="tile", leave=False):
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
        _finish(served, build_dir, tree=plan.tree, frame=frame, light=light,
                importance=plan.importance, vertices=plan.vertices, cell=plan.cell,
                contents=contents, key=key, version=version)
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        discard(build_dir)
        raise
    pool.shutdown(wait=True)
    return _done(result, contents, by=by, started=started)

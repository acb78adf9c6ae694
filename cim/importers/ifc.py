"""``import_ifc``: an IFC2x3 / IFC4 building (IfcOpenShell) placed in the city.

Inside the import's transaction: the file is read and checked
(:mod:`cim.bim.reader`), placed (:mod:`cim.bim.placement`: map conversion,
IFC2x3 property sets, site reference, or the user's point), tessellated
with ``ifcopenshell.geom``'s iterator, and stored as one :class:`BimModel`
with its :class:`BimElement` rows.  Its tiles are written into a fresh
build folder that :mod:`cim.services.bim` publishes only after the
transaction has committed (and throws away when it has not), so a failed
import leaves neither rows nor files behind.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection

from cim.bim import placement as pl
from cim.bim import reader
from cim.bim import tiles as bim_tiles
from cim.conf import cim_settings
from cim.errors import ImportFailed
from cim.importers.inputs import input_file
from cim.importers.report import ImportReport
from cim.models import BimElement, BimModel, Building, ImportRun
from cim.progress import Progress, counter
from cim.services.history import bim_link_building
from cim.terrain.geoid import undulation
from cim.tiling.publish import new_build_dir, write_atomic, write_with_gzip

SUFFIXES = (".ifc",)
LAYER = "bim_elements"
SOURCE = "ifc"
MIN_OVERLAP = 0.25  # share of the smaller footprint a city building must overlap to be replaced


@dataclass
class ManualPlacement:
    """The user's placement: the model origin's lon/lat, the clockwise angle
    from north to the model's +Y, and the orthometric height of its z = 0
    (None: the ground there, from the DEM, else 0)."""

    lon: float
    lat: float
    rotation_deg: float = 0.0
    base_height: float | None = None


@dataclass
class Loaded:
    """What a load leaves for the service to finish after the commit."""

    model: BimModel | None = None
    build_dir: Path | None = None
    version: str = ""


def manual_placement(given: ManualPlacement) -> pl.Placement:
    """The user's point as a placement (its base: the ground there when not given)."""
    base = given.base_height
    if base is None:
        from cim.services.elevation import ground_sampler

        sample = ground_sampler()
        ground = sample(np.array([given.lon]), np.array([given.lat]))[0] if sample is not None else np.nan
        base = float(ground) if np.isfinite(ground) else 0.0
    try:
        return pl.manual(lon=given.lon, lat=given.lat, base_height=base, rotation_deg=given.rotation_deg)
    except pl.PlacementError as exc:
        raise ImportFailed(str(exc), field="placement") from None


def _replaced_building(footprint: GEOSGeometry) -> Building | None:
    """The city building the model stands for: the one its footprint overlaps
    most, if that covers at least MIN_OVERLAP of the smaller of the two."""
    with connection.cursor() as cur:
        cur.execute(
            f"""SELECT b.id, ST_Area(ST_Intersection(b.footprint, g.geom)::geography) AS shared,
                       least(ST_Area(b.footprint::geography), ST_Area(g.geom::geography)) AS smaller
                  FROM {Building._meta.db_table} b, (SELECT ST_GeomFromEWKB(%s) AS geom) g
                 WHERE b.footprint && g.geom AND ST_Intersects(b.footprint, g.geom)
                 ORDER BY shared DESC LIMIT 1""",
            [bytes(footprint.ewkb)],
        )
        row = cur.fetchone()
    if row is None or not row[2] or row[1] / row[2] < MIN_OVERLAP:
        return None
    return Building.objects.get(pk=row[0])


def load_ifc(
    *,
    path: Path,
    run: ImportRun,
    report: ImportReport,
    loaded: Loaded,
    placement: ManualPlacement | None = None,
    replaces: int | None = None,
    classes: tuple[str, ...] | None = None,
    progress: Progress = False,
    by=None,
    workers: int | None = None,
) -> None:
    """Load one IFC file (inside the caller's transaction); fills ``loaded``."""
    path = input_file(path, suffixes=SUFFIXES, reads="import_ifc reads IFC STEP files (.ifc)")
    try:
        with report.timed("parse"):
            model = reader.read_model(path, classes=classes)
        given = manual_placement(placement) if placement is not None else None
        place = reader.choose_placement(model, given=given)
    except reader.IfcReadError as exc:
        raise ImportFailed(
            f"{path.name}: {exc}", field="placement" if "placement" in str(exc) else "file"
        ) from None
    layer = report.layer(LAYER)
    layer.read = len(model.elements)
    if not model.elements:
        raise ImportFailed(
            f"{path.name}: the file has no building elements (IfcElement, IfcSpace)", field="file"
        )
    with report.timed("geometry"):
        bar = counter(progress, desc=f"geometry of {path.name}", unit="shape", total=len(model.elements))
        shapes = reader.tessellate(model, workers=workers, progress=lambda done, total: bar.update(1))
        bar.close()
    if not len(shapes.triangles):
        raise ImportFailed(
            f"{path.name}: no element has any geometry (nothing to place or draw)", field="file"
        )
    for global_id, reason in shapes.failed:
        report.notes.append(f"{global_id}: {reason}")
    building_replaced = None
    if replaces is not None:
        building_replaced = Building.objects.filter(pk=replaces).first()
        if building_replaced is None:
            raise ImportFailed(f"there is no city building #{replaces} to replace", field="replaces")
    with report.timed("place"):
        geoid = float(undulation(place.origin_lon, place.origin_lat)[0])
        placed = bim_tiles.place(shapes, model.elements, place, geoid)
    footprint = GEOSGeometry(shapely.to_wkb(placed.footprint, hex=True), srid=4326)
    if building_replaced is None and replaces is None:
        building_replaced = _replaced_building(footprint)
    with report.timed("store"):
        bim = _store(model, place, placed, footprint, run=run, path=path, by=by)
        inserted = _store_elements(bim, model, placed)
        # the replaced building's row changes: a version in its history, by this run
        report.notes.extend(bim_link_building(bim, building_replaced, by=by, reason="", run_id=run.pk))
    report.loaded(LAYER, inserted=inserted, updated=0)
    with report.timed("tile"):
        loaded.model = bim
        loaded.version, loaded.build_dir = new_build_dir(Path(cim_settings.BIM_TILES_DIR) / str(bim.pk))
        write_tiles(placed, model.elements, bim, loaded.build_dir, loaded.version)
    bim.tiles_version = loaded.version
    bim.save(update_fields=["tiles_version"])
    where = place.report()
    report.notes.insert(
        0,
        f"placed by {place.source} at {where['lon']:.7f}, {where['lat']:.7f}, "
        f"height {where['height']:.2f} m, rotation {where['rotation_deg']:.3f}°"
        + (f" ({place.crs} E {place.easting:.3f} N {place.northing:.3f})" if place.crs else ""),
    )
    report.notes.extend(place.notes)
    report.notes.append(
        f"BIM model #{bim.pk}: {len(model.elements)} elements, {len(model.storeys)} storeys, "
        f"height {placed.height:.2f} m"
        + (f", replaces city building #{building_replaced.pk}" if building_replaced else "")
    )


def _store(model, place, placed, footprint, *, run, path, by) -> BimModel:
    source_id = (model.project_id or run.checksum)[:128]
    bim = BimModel.objects.filter(source=SOURCE, source_id=source_id).first() or BimModel(
        source=SOURCE, source_id=source_id
    )
    if bim.pk:
        bim.elements.all().delete()  # a re-import replaces the elements whole
    zmin = float(np.nanmin(placed.z_range[:, 0]))
    bim.name = (model.building_name or model.project_name or path.stem)[:200]
    bim.file_name = path.name[:255]
    bim.schema = model.schema
    bim.footprint = footprint
    bim.height = placed.height
    bim.base_elevation = zmin
    bim.storeys = [
        {
            "global_id": s.global_id,
            "name": s.name,
            "elevation": round(s.elevation, 3),
            "elements": sum(1 for e in model.elements if e.storey == s.name),
        }
        for s in model.storeys
    ]
    bim.placement_source = place.source
    bim.placement = {**place.report(), "geoid": round(placed.geoid, 3)}
    bim.import_run = run
    bim.tiles_version = ""
    bim.imported_by = by if getattr(by, "pk", None) else None
    bim.full_clean(exclude=["import_run", "imported_by"])
    bim.save()
    return bim


def _store_elements(bim: BimModel, model, placed) -> int:
    rows = []
    for i, e in enumerate(model.elements):
        outline = placed.outlines[i]
        z0, z1 = placed.z_range[i]
        rows.append(
            BimElement(
                model=bim,
                global_id=e.global_id[:22],
                ifc_class=e.ifc_class[:64],
                storey=e.storey[:200],
                name=e.name[:255],
                type_name=e.type_name[:255],
                material=e.material[:500],
                psets=e.psets if len(str(e.psets)) <= reader.MAX_PSET_CHARS else {"truncated": True},
                outline=GEOSGeometry(shapely.to_wkb(outline, hex=True), srid=4326)
                if outline is not None
                else None,
                z_min=None if np.isnan(z0) else float(z0),
                z_max=None if np.isnan(z1) else float(z1),
            )
        )
    BimElement.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def write_tiles(placed, elements, bim: BimModel, build_dir: Path, version: str) -> None:
    """tileset.json, shell.glb and elements.glb of a model into ``build_dir``."""
    model_id = str(bim.pk)
    shell = bim_tiles.shell_glb(placed, name=bim.name, model_id=model_id)
    parts = bim_tiles.elements_glb(placed, elements, model_id)
    write_with_gzip(build_dir / "shell.glb", shell.data)
    write_with_gzip(build_dir / "elements.glb", parts.data)
    doc = bim_tiles.tileset(
        shell,
        parts,
        frame=placed.frame,
        version=version,
        shell_uri=f"shell.glb?v={version}",
        elements_uri=f"elements.glb?v={version}",
    )
    write_atomic(build_dir / "tileset.json", json.dumps(doc, separators=(",", ":")).encode())

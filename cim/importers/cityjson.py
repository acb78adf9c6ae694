"""``import_cityjson``: CityJSON 1.0 / 1.1 / 2.0 buildings with their solids.

CRS: ``metadata.referenceSystem`` (URL or URN form; a compound CRS such as
EPSG:7415 uses its horizontal part, EPSG:28992, and names its vertical part
in ``crs_z``), or ``--crs`` (which wins).  A file with neither is refused.
The ``transform`` (scale, translate) is applied to the vertices.

A ``Building`` with its ``BuildingPart`` children becomes one ``Building``
row (source: ``--source``, default the file stem; source id: the city
object id): footprint = union of the xy projections of its GroundSurfaces
(or of all non-vertical faces), height = max z − min z (``height_source``
"model"), ``lod`` = the integer part of the highest LoD present, and the
geometry kept in ``Building.solid``.

``Building.solid`` format (read by the 3D Tiles builder)::

    {
      "lod": "2.2",                 # highest LoD present, as written in the file
      "crs": "EPSG:7415",           # the source CRS the file was read in
      "crs_z": "NAP height",        # vertical datum of z (None when the CRS has none)
      "vertices": [[lon, lat, z], ...],   # WGS 84 degrees (8 decimals); z in metres
                                          # as in the source (not shifted to EGM96)
      "faces": [                    # one entry per face (polygon):
        [[0, 1, 2, 3], [4, 5, 6]],  #   a list of rings of indices into "vertices":
        ...                         #   outer ring first, then holes; rings are not
      ],                            #   repeated-closed (last index ≠ first)
      "semantics": ["GroundSurface", "WallSurface", "RoofSurface", None, ...]
                                    # one per face: the CityJSON semantic surface
                                    # type, or None when the file has none
    }

All faces of the building and its parts are listed together, in file
order; ring orientation is as in the source (CityJSON: counter-clockwise
seen from outside the solid).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import orjson

from cim.conf import cim_settings
from cim.errors import ImportFailed
from cim.importers.inputs import input_file
from cim.models import ImportRun
from cim.progress import Progress, track
from cim.services.elevation import ground_sampler

from . import bulk
from . import geometry as g
from .cityjson_reader import LAYER, CityJsonError, CityJsonReader, epsg_from_reference, load_document
from .report import ImportReport

SUFFIXES = (".json", ".cityjson")


def load_cityjson(*, path: Path, run: ImportRun, report: ImportReport, crs: str | None = None,
                  source: str | None = None, progress: Progress = False) -> None:
    """Load one CityJSON file (inside the caller's transaction)."""
    path = input_file(path, suffixes=SUFFIXES,
                      reads="import_cityjson reads CityJSON files (.json, .city.json)")
    try:
        doc = load_document(path.read_bytes())
        declared = ((doc.get("metadata") or {}).get("referenceSystem")
                    or (doc.get("metadata") or {}).get("crs", {}).get("epsg"))
        epsg = epsg_from_reference(crs) if crs else (
            int(declared) if isinstance(declared, int) else epsg_from_reference(declared))
        if crs and epsg is None:
            raise CityJsonError(f"--crs {crs!r} is not an EPSG code (e.g. EPSG:28992)")
        if epsg is None:
            raise ImportFailed(
                f"{path.name}: the file declares no coordinate reference system "
                "(metadata.referenceSystem); give one with --crs, e.g. --crs EPSG:28992",
                field="crs")
        reader = CityJsonReader(doc, crs_epsg=epsg, report=report,
                                max_height_m=cim_settings.MAX_BUILDING_HEIGHT_M)
        buildings = reader.buildings()
    except CityJsonError as exc:
        raise ImportFailed(f"{path.name}: {exc}", field="file") from None
    source = source or _default_source(path)
    bulk.rejected_stage()
    stage = bulk.Stage("building", bulk.BUILDING_COLUMNS)
    footprints = g.to_ewkb_hex(np.array([b.footprint for b in buildings], dtype=object)) if buildings else []
    rows = [(b.source_id[:128], b.name, wkb, b.height, "model", b.floors, "other", b.year_built,
             _lod_int(b.lod), _json(b.solid), _json(b.attributes))
            for b, wkb in track(zip(buildings, footprints, strict=True), progress, total=len(buildings),
                                desc=f"loading {path.name}", leave=False)]
    stage.load(bulk.with_base_elevations(rows, ground_sampler()))
    loaded = bulk.buildings_upsert(stage, source=source, run_id=run.pk, layer=LAYER,
                                   areas=bulk.any_admin_boundaries())
    report.loaded(LAYER, inserted=loaded.inserted, updated=loaded.updated)
    bulk.placement_notes(report, run_id=run.pk)
    bulk.rejected_drain(report)


def _json(value) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # integers beyond 64 bits and the like
        return json.dumps(value, ensure_ascii=False, default=str)


def _lod_int(lod: str) -> int:
    """``Building.lod`` (0–3) from a CityJSON LoD such as "2.2"."""
    try:
        return max(0, min(int(float(lod)), 3))
    except (TypeError, ValueError):
        return 1


def _default_source(path: Path) -> str:
    name = path.name
    for suffix in (".city.json", ".cityjson", ".json"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)][:64]
    return path.stem[:64]

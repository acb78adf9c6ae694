"""``import_dem``: a GeoTIFF or SRTM ``.hgt`` / ``.hgt.zip`` registered as a
DEM (Cloud-Optimised GeoTIFF, via :func:`cim.services.dem.dem_register`),
then the base elevation of every building it covers is set again."""

from __future__ import annotations

from pathlib import Path

from cim.choices import VerticalDatum
from cim.errors import ImportFailed
from cim.importers.inputs import input_file
from cim.models import DemRaster, ImportRun
from cim.services.dem import dem_register
from cim.services.elevation import building_base_elevations_update

from .report import ImportReport

SUFFIXES = (".tif", ".tiff", ".hgt", ".zip")
LAYER = "dem"


def load_dem(*, path: Path, run: ImportRun, report: ImportReport, crs: str | None = None,
             name: str | None = None, vertical_datum: str = VerticalDatum.EGM96, priority: int = 0) -> None:
    """Register one DEM file (inside the caller's transaction)."""
    path = input_file(path, suffixes=SUFFIXES,
                      reads="import_dem reads GeoTIFF (.tif) and SRTM (.hgt, .hgt.zip)")
    if vertical_datum not in VerticalDatum.values:
        raise ImportFailed(f"--vertical-datum {vertical_datum!r}: expected one of "
                           f"{', '.join(VerticalDatum.values)}", field="vertical_datum")
    if name is None:
        name = path.name
        for suffix in (".zip", ".hgt", ".tiff", ".tif"):
            name = name[: -len(suffix)] if name.lower().endswith(suffix) else name
    layer = report.layer(LAYER)
    layer.read += 1
    existed = DemRaster.objects.filter(source_name=path.name).exists()
    try:
        dem = dem_register(source_path=path, name=name, crs=crs, vertical_datum=vertical_datum,
                           priority=priority, run=run)
    except ImportFailed as exc:
        raise ImportFailed(exc.message if path.name in exc.message else f"{path.name}: {exc.message}",
                           field=exc.field) from None
    report.loaded(LAYER, inserted=0 if existed else 1, updated=1 if existed else 0)
    report.notes.append(f"DEM {dem.name!r}: {dem.width}×{dem.height} cells, {dem.resolution_m:.0f} m, "
                        f"{dem.min_elevation:.0f}–{dem.max_elevation:.0f} m, stored as {dem.path}")
    elevated = building_base_elevations_update(by="command:import_dem")
    if elevated:
        report.notes.append(f"base elevation from the DEMs: {elevated} buildings")

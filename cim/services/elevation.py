"""Setting buildings on the terrain: ``Building.base_elevation`` from the
registered DEMs.

Importers compute the base while loading (:func:`ground_sampler` once, then
:func:`base_elevations` per batch, which also runs on a loader thread), so
that each building row is written once; :func:`building_base_elevations_update`
sets it again for stored buildings when a DEM is registered.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import shapely
from django.db import connection, transaction
from rasterio.errors import RasterioIOError

from cim.errors import ImportFailed
from cim.models import Building, DemRaster
from cim.services.audit import audit_record
from cim.services.terrain import dem_path, grid_for, ground_heights, heights_from

Sampler = Callable[[np.ndarray, np.ndarray], np.ndarray]


def ground_sampler(*, preload: bool = False) -> Sampler | None:
    """Orthometric ground height at many points, from the DEMs registered
    now: the same answer as :func:`cim.services.terrain.ground_heights`
    (best DEM first, bilinear, voids filled), but without touching the
    database on each call, so it can run on another thread or in a forked
    process.  A DEM's grid is loaded when some point first needs it, or at
    once with ``preload`` (for a caller that forks workers afterwards: they
    inherit the loaded grids).  None when no DEM is registered.  Raises
    :class:`ImportFailed` when a registered DEM's file is gone or unreadable."""
    dems = list(DemRaster.objects.all())  # best first (Meta.ordering)
    if not dems:
        return None
    for dem in dems:
        if not dem_path(dem).is_file():
            raise ImportFailed(f"DEM {dem.name!r}: its file {dem.path} is missing under MEDIA_ROOT; "
                               "register it again with import_dem", field="dem")

    def grid(dem):
        try:
            return grid_for(dem)
        except (OSError, RasterioIOError, ValueError) as exc:
            raise ImportFailed(f"DEM {dem.name!r} cannot be read: {exc}", field="dem") from None

    if preload:
        for dem in dems:
            grid(dem)

    def sample(lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        return heights_from(dems, lons, lats, grid=grid)

    return sample


def base_elevations(footprints: np.ndarray, sample: Sampler | None = ground_heights) -> np.ndarray:
    """For each footprint (shapely geometries, lon/lat): the minimum of the
    bilinear ground height over its vertices, NaN where no DEM covers it.
    The minimum keeps a building on a slope from floating above the ground
    at its lowest corner."""
    out = np.full(len(footprints), np.nan)
    if sample is None or not len(footprints):
        return out
    coords, index = shapely.get_coordinates(footprints, return_index=True)
    if not len(coords):
        return out
    heights = sample(coords[:, 0], coords[:, 1])
    present = np.unique(index)
    starts = np.searchsorted(index, present)
    out[present] = np.fmin.reduceat(heights, starts)  # fmin skips NaN unless all are NaN
    return out


@transaction.atomic
def building_base_elevations_update(*, by=None) -> int:
    """Set ``base_elevation`` of every stored building that a registered DEM
    covers (after a DEM is registered).  Returns how many were set."""
    sample = ground_sampler()
    if sample is None:
        return 0
    table = Building._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"""SELECT b.id, ST_AsBinary(b.footprint) FROM {table} b
                 WHERE EXISTS (SELECT 1 FROM {DemRaster._meta.db_table} d WHERE d.bounds && b.footprint)
                 ORDER BY b.id""")
        rows = cur.fetchall()
    if not rows:
        return 0
    ids = np.array([row[0] for row in rows], dtype=np.int64)
    bases = base_elevations(shapely.from_wkb([bytes(row[1]) for row in rows]), sample)
    found = np.isfinite(bases)
    with connection.cursor() as cur:
        cur.execute(
            f"""UPDATE {table} b SET base_elevation = v.h
                  FROM (SELECT unnest(%s::bigint[]) AS id, unnest(%s::float8[]) AS h) v
                 WHERE b.id = v.id AND b.base_elevation IS DISTINCT FROM v.h""",
            [ids[found].tolist(), np.round(bases[found], 2).tolist()])
    updated = int(found.sum())
    audit_record(actor=by or "system", action="building.base_elevations", object_type="cim.building",
                 after={"updated": updated})
    return updated

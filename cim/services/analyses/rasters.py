"""Vector to raster helpers shared by the grid analyses (flood, viewshed)."""

from __future__ import annotations

import numpy as np

__all__ = ["plain_polygons"]


def plain_polygons(values, geoms) -> list[tuple[object, dict]]:
    """(value, GeoJSON polygon dict) per polygon part (``values``: one per geometry,
    a pk or a height), built from coordinate arrays in a few vectorised calls
    (shapely's per-geometry ``__geo_interface__`` costs ten times more for the tens
    of thousands of footprints of a city)."""
    import shapely

    parts, index = shapely.get_parts(geoms, return_index=True)
    owners = np.asarray(values)[index]
    holes = shapely.get_num_interior_rings(parts) > 0
    out: list[tuple[object, dict]] = [(owners[i].item(), parts[i].__geo_interface__)
                                      for i in np.flatnonzero(holes)]
    simple = np.flatnonzero(~holes)
    coords, ring_of = shapely.get_coordinates(shapely.get_exterior_ring(parts[simple]), return_index=True)
    cuts = np.flatnonzero(np.diff(ring_of)) + 1
    for i, ring in zip(simple, np.split(coords, cuts), strict=True):
        out.append((owners[i].item(), {"type": "Polygon", "coordinates": [ring.tolist()]}))
    return out

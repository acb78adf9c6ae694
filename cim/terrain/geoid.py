"""EGM96 geoid undulation: orthometric (SRTM) → ellipsoidal (Cesium) heights.

Needs the PROJ grid ``us_nga_egm96_15.tif`` from Debian's ``proj-data``; the
pyproj wheel ships none, and PROJ would silently use N = 0 without it, so a
missing grid is an error here.
"""

from __future__ import annotations

import functools
import os

import numpy as np
import pyproj
from pyproj.transformer import TransformerGroup

_SYSTEM_PROJ = "/usr/share/proj"


@functools.lru_cache(maxsize=1)
def _transformer() -> pyproj.Transformer:
    if os.path.isdir(_SYSTEM_PROJ) and _SYSTEM_PROJ not in pyproj.datadir.get_data_dir():
        pyproj.datadir.append_data_dir(_SYSTEM_PROJ)
    group = TransformerGroup("EPSG:4326+5773", "EPSG:4979", always_xy=True)
    usable = [t for t in group.transformers if "egm96" in t.definition.lower()]
    if not usable:
        raise RuntimeError(
            "EGM96 geoid grid not found: install Debian package proj-data "
            "(us_nga_egm96_15.tif) so that heights can be made ellipsoidal"
        )
    return usable[0]


def undulation(lon, lat) -> np.ndarray:
    """Geoid height N in metres (ellipsoidal = orthometric + N)."""
    lon = np.atleast_1d(np.asarray(lon, dtype=np.float64))
    lat = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    _, _, h = _transformer().transform(lon, lat, np.zeros_like(lon))
    return np.asarray(h)

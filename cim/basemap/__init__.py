"""Raster basemap tiles (XYZ, Web Mercator) drawn from the city model: hillshade
from the DEM, land use (buildings by use), water, administrative boundaries,
roads with their names and place names in Chinese.  Pure: no Django; the
service :mod:`cim.services.basemap` reads the model and publishes the tiles."""

from cim.basemap.render import MapData, Renderer, TileLabels

__all__ = ["MapData", "Renderer", "TileLabels"]

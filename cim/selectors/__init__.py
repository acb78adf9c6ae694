"""Read queries of the city model, one module per concept:
:mod:`.admin_areas`, :mod:`.addresses`, :mod:`.buildings`, :mod:`.city`,
:mod:`.networks` (roads, service points, water), :mod:`.plates`, and the
PostGIS helpers of :mod:`.geo`.  The API and the pages import these; these
import neither."""

from cim.selectors.admin_areas import admin_area_tree, admin_boundaries
from cim.selectors.buildings import building_addresses, buildings_in
from cim.selectors.city import city_info
from cim.selectors.networks import roads_in, service_points_in, waterways_in

__all__ = [
    "admin_area_tree",
    "admin_boundaries",
    "building_addresses",
    "buildings_in",
    "city_info",
    "roads_in",
    "service_points_in",
    "waterways_in",
]

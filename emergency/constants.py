"""Constants of the emergency domain and the app's settings with defaults.

Settings are read from ``settings.EMERGENCY`` (a dict, optional); every key
has a default here, so a deployment sets only what it changes.
"""

from __future__ import annotations

from django.conf import settings

from emergency.choices import (
    CapCategory,
    CapSeverity,
    IncidentLevel,
    ZoneTier,
)
from emergency.choices import (
    IncidentCategory as C,
)
from emergency.choices import (
    IncidentType as T,
)

# Which category each type belongs to; "other" fits any category.
TYPE_CATEGORY: dict[str, str] = {
    T.FLOOD: C.NATURAL_DISASTER, T.EARTHQUAKE: C.NATURAL_DISASTER, T.LANDSLIDE: C.NATURAL_DISASTER,
    T.FOREST_FIRE: C.NATURAL_DISASTER, T.SNOWSTORM: C.NATURAL_DISASTER,
    T.FIRE: C.ACCIDENT, T.TRAFFIC_ACCIDENT: C.ACCIDENT, T.HAZMAT: C.ACCIDENT, T.GAS_LEAK: C.ACCIDENT,
    T.BUILDING_COLLAPSE: C.ACCIDENT, T.UTILITY_FAILURE: C.ACCIDENT,
    T.EPIDEMIC: C.PUBLIC_HEALTH, T.FOOD_POISONING: C.PUBLIC_HEALTH, T.MEDICAL: C.PUBLIC_HEALTH,
    T.PUBLIC_ORDER: C.SOCIAL_SECURITY, T.CRIME: C.SOCIAL_SECURITY, T.TERRORISM: C.SOCIAL_SECURITY,
}

# I is the most severe: rank 1.
LEVEL_RANK = {IncidentLevel.I: 1, IncidentLevel.II: 2, IncidentLevel.III: 3, IncidentLevel.IV: 4}
# Warning colours of the Emergency Response Law, used on the map and in CAP.
LEVEL_COLOUR = {IncidentLevel.I: "red", IncidentLevel.II: "orange", IncidentLevel.III: "yellow",
                IncidentLevel.IV: "blue"}
LEVEL_CAP_SEVERITY = {IncidentLevel.I: CapSeverity.EXTREME, IncidentLevel.II: CapSeverity.SEVERE,
                      IncidentLevel.III: CapSeverity.MODERATE, IncidentLevel.IV: CapSeverity.MINOR}
TYPE_CAP_CATEGORY = {
    T.FLOOD: CapCategory.MET, T.EARTHQUAKE: CapCategory.GEO, T.LANDSLIDE: CapCategory.GEO,
    T.FOREST_FIRE: CapCategory.FIRE, T.SNOWSTORM: CapCategory.MET, T.FIRE: CapCategory.FIRE,
    T.TRAFFIC_ACCIDENT: CapCategory.TRANSPORT, T.HAZMAT: CapCategory.CBRNE, T.GAS_LEAK: CapCategory.SAFETY,
    T.BUILDING_COLLAPSE: CapCategory.RESCUE, T.UTILITY_FAILURE: CapCategory.INFRA,
    T.EPIDEMIC: CapCategory.HEALTH, T.FOOD_POISONING: CapCategory.HEALTH, T.MEDICAL: CapCategory.HEALTH,
    T.PUBLIC_ORDER: CapCategory.SECURITY, T.CRIME: CapCategory.SECURITY,
    T.TERRORISM: CapCategory.SECURITY, T.OTHER: CapCategory.OTHER,
}

# People per m² of gross floor area, by building use, for zone estimates.
# Residential: 1 / 38.6 m² (urban housing floor area per person, 2020
# census); the others are typical daytime occupancies, not design maxima.
PEOPLE_PER_M2 = {
    "residential": 1 / 38.6, "office": 1 / 15, "commercial": 1 / 20, "education": 1 / 10,
    "healthcare": 1 / 25, "public": 1 / 30, "industrial": 1 / 60, "religious": 1 / 50,
    "transport": 1 / 40, "agricultural": 0.0, "other": 1 / 100,
}

DEFAULTS = {
    # a unit position older than this counts as stale: the unit is placed at its station
    "UNIT_POSITION_STALE_S": 300,
    # incidents further than this from any drivable road cannot be dispatched to by road
    "MAX_SNAP_DISTANCE_M": 2000.0,
    # alternatives shown beyond the units still needed, per unit type
    "RECOMMEND_EXTRA": 2,
    # recommendations read the available units and closures from an in-memory
    # picture kept per process (emergency.dispatch_state); False: from the
    # database on every request
    "DISPATCH_STATE_CACHE": True,
    # the picture is read again at least this often, for the units' positions
    # (their moves do not send change notices)
    "DISPATCH_STATE_MAX_AGE_S": 1.0,
    "ATTACHMENT_MAX_BYTES": {"photo": 15 * 2**20, "video": 200 * 2**20, "audio": 30 * 2**20},
    # subfolder of MEDIA_ROOT for files that are served only through a permission-checked view
    "PRIVATE_MEDIA_DIR": "private/emergency",
    "ZONE_NAMES": {ZoneTier.SEALED: "封控区", ZoneTier.CONTROLLED: "管控区",
                   ZoneTier.PREVENTION: "防范区"},
    "ZONE_BUFFER_M": 50.0,
    "PEOPLE_PER_M2": PEOPLE_PER_M2,
    # CAP sender and the unit code of GB/T 35965.1 (division code + DDD UUU XX)
    "CAP_SENDER": "emergency@tianshui.gov.cn",
    "CAP_SENDER_NAME": "天水市突发事件预警信息发布中心",
    "CAP_UNIT_CODE": "00000000",  # DDD (GB/T 4657 organisation) + UUU + XX
    "CAP_DIVISION_CODE": "620500",  # used when an incident has no division
    "CAP_DEFAULT_RADIUS_M": 1000.0,
}


def conf(key: str):
    """One emergency setting, ``settings.EMERGENCY[key]`` or its default."""
    return getattr(settings, "EMERGENCY", {}).get(key, DEFAULTS[key])

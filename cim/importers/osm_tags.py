"""What OpenStreetMap tags mean for the city model (pure; no Django).

Heights (``height=12 m``, ``40'``), speeds (``maxspeed=50 mph``,
``FR:urban``), one-way rules, road classes, building uses and service-point
categories.  Values are the ``value`` strings of the choices in
:mod:`cim.choices`; a test checks that every value used here is a valid
choice.
"""

from __future__ import annotations

import re

FOOT_M = 0.3048
INCH_M = 0.0254
MPH_KMH = 1.609344
KNOT_KMH = 1.852

_NUMBER = r"[0-9]+(?:[.,][0-9]+)?"
_METRES = re.compile(rf"^\s*(-?{_NUMBER})\s*(m|metres|meters|metre|meter)?\s*$", re.IGNORECASE)
_FEET = re.compile(rf"^\s*({_NUMBER})\s*(?:'|ft|feet|foot)\s*(?:({_NUMBER})\s*(?:\"|in|inches))?\s*$",
                   re.IGNORECASE)
_SPEED = re.compile(rf"^\s*({_NUMBER})\s*(km/h|kmh|kph|mph|knots)?\s*$", re.IGNORECASE)


def _num(text: str) -> float:
    return float(text.replace(",", "."))


def parse_length_m(value: str | None) -> float | None:
    """A length tag in metres: ``12``, ``12 m``, ``12.5m``, ``12,5``, ``40'``,
    ``40 ft``, ``12'6"``.  None when absent or not understood."""
    if not value:
        return None
    match = _METRES.match(value)
    if match:
        return _num(match.group(1))
    match = _FEET.match(value)
    if match:
        inches = _num(match.group(2)) if match.group(2) else 0.0
        return _num(match.group(1)) * FOOT_M + inches * INCH_M
    return None


def parse_count(value: str | None) -> float | None:
    """A count such as ``building:levels=5`` or ``lanes=2;3`` (first value)."""
    if not value:
        return None
    first = value.split(";")[0].strip().replace(",", ".")
    try:
        number = float(first)
    except ValueError:
        return None
    return number if number == number else None  # NaN is not a count


# ---- buildings -------------------------------------------------------------

# Typical heights (m) by building type, used only when neither ``height`` nor
# ``building:levels`` is mapped; the result is recorded as "estimated".
ESTIMATED_HEIGHT_M = {
    "house": 7.0, "detached": 7.0, "semidetached_house": 7.0, "terrace": 8.0, "bungalow": 4.0,
    "residential": 15.0, "apartments": 18.0, "dormitory": 15.0, "hotel": 20.0,
    "commercial": 10.0, "retail": 6.0, "supermarket": 7.0, "kiosk": 3.0, "office": 18.0,
    "industrial": 10.0, "warehouse": 9.0, "factory": 12.0, "manufacture": 12.0,
    "church": 18.0, "cathedral": 30.0, "chapel": 8.0, "mosque": 15.0, "temple": 12.0,
    "school": 12.0, "university": 15.0, "college": 12.0, "kindergarten": 6.0,
    "hospital": 20.0, "public": 12.0, "civic": 12.0, "government": 15.0,
    "train_station": 12.0, "transportation": 8.0, "hangar": 12.0, "parking": 10.0,
    "garage": 3.0, "garages": 3.0, "carport": 2.5, "shed": 2.5, "hut": 3.0, "cabin": 3.5,
    "roof": 4.0, "greenhouse": 3.5, "glasshouse": 3.5, "barn": 7.0, "farm": 7.0,
    "farm_auxiliary": 5.0, "stable": 5.0, "cowshed": 5.0, "service": 3.0, "toilets": 3.0,
}
DEFAULT_ESTIMATED_HEIGHT_M = 9.0  # three storeys: the commonest urban building

_BUILDING_USE = {
    "residential": ("house", "detached", "semidetached_house", "terrace", "bungalow", "residential",
                    "apartments", "dormitory", "cabin", "static_caravan", "houseboat"),
    "commercial": ("commercial", "retail", "supermarket", "kiosk", "hotel", "shop", "mall"),
    "office": ("office",),
    "industrial": ("industrial", "warehouse", "factory", "manufacture", "storage_tank", "works"),
    "education": ("school", "university", "college", "kindergarten"),
    "healthcare": ("hospital", "clinic"),
    "religious": ("church", "cathedral", "chapel", "mosque", "temple", "synagogue", "shrine",
                  "religious", "monastery"),
    "transport": ("train_station", "transportation", "hangar", "parking", "garage", "garages",
                  "carport", "railway"),
    "agricultural": ("farm", "farm_auxiliary", "barn", "stable", "cowshed", "greenhouse",
                     "glasshouse", "sty"),
    "public": ("public", "civic", "government", "fire_station", "police", "townhall",
               "sports_hall", "stadium", "museum"),
}
BUILDING_USE = {tag: use for use, tags in _BUILDING_USE.items() for tag in tags}

_AMENITY_USE = {
    "education": ("school", "university", "college", "kindergarten", "library"),
    "healthcare": ("hospital", "clinic", "doctors", "dentist", "pharmacy"),
    "religious": ("place_of_worship", "monastery"),
    "public": ("townhall", "police", "fire_station", "community_centre", "courthouse",
               "public_building", "post_office", "social_facility", "theatre", "arts_centre"),
    "commercial": ("restaurant", "cafe", "bank", "bar", "pub", "fast_food", "marketplace",
                   "cinema", "nightclub", "casino", "fuel"),
    "transport": ("parking", "bus_station", "ferry_terminal"),
}
AMENITY_USE = {tag: use for use, tags in _AMENITY_USE.items() for tag in tags}


def building_use(tags: dict[str, str]) -> str:
    """The building's use from ``building``, then ``amenity``, ``shop``, ``office``."""
    use = BUILDING_USE.get(tags.get("building", ""))
    if use:
        return use
    use = AMENITY_USE.get(tags.get("amenity", ""))
    if use:
        return use
    if tags.get("shop"):
        return "commercial"
    if tags.get("office"):
        return "office"
    return "other"


def building_height(tags: dict[str, str], storey_height_m: float) -> tuple[float | None, str, int | None]:
    """``(height_m, height_source, floors)`` of a building.

    ``height`` wins (source "measured"); else ``building:levels`` (+
    ``roof:levels``) × the storey height ("levels"); else the typical height
    of the building type ("estimated").  A ``height`` that cannot be read
    falls through to the next rule; an absurd number (0, negative, 5000) is
    returned as it is, for the caller to reject with the reason.
    """
    levels = parse_count(tags.get("building:levels"))
    floors = int(round(levels)) if levels is not None and 1 <= levels <= 200 else None
    raw_height = tags.get("height")
    height = parse_length_m(raw_height)
    if height is not None:
        return height, "measured", floors
    if levels is not None and levels > 0:
        roof = parse_count(tags.get("roof:levels")) or 0.0
        return (levels + max(roof, 0.0)) * storey_height_m, "levels", floors
    kind = tags.get("building", "")
    return ESTIMATED_HEIGHT_M.get(kind, DEFAULT_ESTIMATED_HEIGHT_M), "estimated", floors


def display_name(tags: dict[str, str]) -> str:
    """``name:zh`` first (this is a Chinese platform), then ``name``."""
    return (tags.get("name:zh") or tags.get("name:zh-Hans") or tags.get("name") or "").strip()


# ---- roads -----------------------------------------------------------------

PEDESTRIAN_HIGHWAYS = frozenset(
    {"footway", "path", "steps", "cycleway", "pedestrian", "bridleway", "corridor", "platform",
     "elevator"})
NOT_ROADS = frozenset({"proposed", "abandoned", "disused", "razed", "dismantled", "no", "planned"})

_ROAD_CLASS = {
    "motorway": "motorway", "trunk": "trunk", "primary": "primary", "secondary": "secondary",
    "tertiary": "tertiary", "residential": "residential", "living_street": "residential",
    "service": "service", "services": "service", "rest_area": "service", "escape": "service",
    "unclassified": "unclassified", "road": "unclassified", "busway": "unclassified",
    "bus_guideway": "unclassified", "raceway": "unclassified", "track": "track",
}

# Free-flow speeds (km/h) when ``maxspeed`` is absent, by OSM highway value.
DEFAULT_SPEED_KMH = {
    "motorway": 100.0, "trunk": 80.0, "primary": 60.0, "secondary": 50.0, "tertiary": 40.0,
    "unclassified": 30.0, "residential": 30.0, "living_street": 10.0, "service": 20.0,
    "services": 20.0, "rest_area": 20.0, "escape": 20.0, "road": 30.0, "busway": 40.0,
    "bus_guideway": 40.0, "raceway": 30.0, "track": 15.0,
    "motorway_link": 60.0, "trunk_link": 50.0, "primary_link": 40.0, "secondary_link": 35.0,
    "tertiary_link": 30.0,
}
WALK_SPEED_KMH = 5.0
FALLBACK_SPEED_KMH = 30.0
MAX_SPEED_KMH = 200.0  # the model's check constraint

# Country zone values of ``maxspeed`` (https://wiki.openstreetmap.org/wiki/Key:maxspeed).
ZONE_SPEED_KMH = {
    "urban": 50.0, "rural": 80.0, "motorway": 130.0, "trunk": 110.0, "living_street": 20.0,
    "walk": 7.0, "zone30": 30.0, "zone20": 20.0, "bicycle_road": 30.0, "school": 30.0,
}
COUNTRY_ZONE_SPEED_KMH = {
    ("DE", "rural"): 100.0, ("DE", "motorway"): 130.0, ("DE", "trunk"): 100.0,
    ("AT", "rural"): 100.0, ("CH", "rural"): 80.0, ("CH", "motorway"): 120.0,
    ("CH", "trunk"): 100.0, ("IT", "rural"): 90.0, ("IT", "trunk"): 110.0,
    ("RU", "urban"): 60.0, ("RU", "rural"): 90.0, ("RU", "motorway"): 110.0,
    ("CN", "urban"): 50.0, ("CN", "rural"): 70.0, ("CN", "motorway"): 120.0,
    ("CN", "trunk"): 100.0, ("GB", "nsl_single"): 96.56, ("GB", "nsl_dual"): 112.65,
    ("GB", "motorway"): 112.65, ("FR", "rural"): 80.0, ("FR", "motorway"): 130.0,
}
_NON_NUMERIC_SPEEDS = {"walk": 7.0, "none": None, "signals": None, "variable": None}


def road_class(highway: str) -> str:
    """Our road class for an OSM ``highway`` value."""
    if highway in PEDESTRIAN_HIGHWAYS:
        return "pedestrian"
    if highway.endswith("_link"):
        return "link"
    return _ROAD_CLASS.get(highway, "unclassified")


def default_speed(highway: str) -> float:
    if highway in PEDESTRIAN_HIGHWAYS:
        return WALK_SPEED_KMH
    return DEFAULT_SPEED_KMH.get(highway, FALLBACK_SPEED_KMH)


def parse_maxspeed(value: str | None) -> float | None:
    """``maxspeed`` in km/h: ``50``, ``50 mph``, ``10 knots``, ``FR:urban``,
    ``DE:zone30``, ``walk``; ``50;30`` gives the lower.  None when absent,
    unlimited (``none``), variable or not understood."""
    if not value:
        return None
    speeds = []
    for part in value.split(";"):
        part = part.strip()
        match = _SPEED.match(part)
        if match:
            unit = (match.group(2) or "").lower()
            factor = MPH_KMH if unit == "mph" else KNOT_KMH if unit == "knots" else 1.0
            speeds.append(_num(match.group(1)) * factor)
            continue
        if part.lower() in _NON_NUMERIC_SPEEDS:
            speed = _NON_NUMERIC_SPEEDS[part.lower()]
            if speed is not None:
                speeds.append(speed)
            continue
        country, sep, zone = part.partition(":")
        if sep:
            zone = zone.lower()
            speed = COUNTRY_ZONE_SPEED_KMH.get((country.upper(), zone), ZONE_SPEED_KMH.get(zone))
            if speed is None and zone.startswith("zone") and zone[4:].isdigit():
                speed = float(zone[4:])
            if speed is not None:
                speeds.append(speed)
    speeds = [s for s in speeds if 0 < s <= MAX_SPEED_KMH]
    return min(speeds) if speeds else None


def road_speed(tags: dict[str, str]) -> tuple[float, bool]:
    """``(speed_kmh, from_tag)``: ``maxspeed`` when it is understood, else the
    default of the highway class."""
    highway = tags.get("highway", "")
    speed = parse_maxspeed(tags.get("maxspeed"))
    if speed is not None and highway not in PEDESTRIAN_HIGHWAYS:
        return speed, True
    if highway == "construction":
        return default_speed(tags.get("construction", "")), False
    return default_speed(highway), False


def oneway(tags: dict[str, str]) -> tuple[bool, bool]:
    """``(oneway, reversed)``; ``oneway=-1`` means one-way against the way's
    direction.  Motorways and roundabouts are one-way unless tagged otherwise."""
    value = (tags.get("oneway") or "").strip().lower()
    if value in {"yes", "1", "true"}:
        return True, False
    if value in {"-1", "reverse"}:
        return True, True
    if value in {"no", "0", "false", "reversible", "alternating"}:
        return False, False
    implied = tags.get("highway") == "motorway" or tags.get("junction") in {"roundabout", "circular"}
    return implied, False


def lanes(tags: dict[str, str]) -> int | None:
    count = parse_count(tags.get("lanes"))
    if count is None or not 1 <= count <= 16:
        return None
    return int(round(count))


def is_yes(value: str | None) -> bool:
    """True for any value but absent/``no`` (``bridge=viaduct`` is a bridge)."""
    return bool(value) and value.strip().lower() not in {"no", "0", "false"}


# ---- service points --------------------------------------------------------

AMENITY_CATEGORY = {
    "townhall": "gov_service_hall", "hospital": "hospital", "clinic": "clinic",
    "doctors": "clinic", "fire_station": "fire_station", "police": "police_station",
    "school": "school", "kindergarten": "kindergarten", "pharmacy": "pharmacy",
    "community_centre": "community_centre", "shelter": "shelter",
}


def service_category(tags: dict[str, str]) -> str | None:
    """The service-point category of an OSM object, or None if it is not one.

    Bus-stop shelters (``shelter_type=public_transport``) are not emergency
    shelters and are left out.
    """
    if tags.get("emergency") == "assembly_point":
        return "shelter"
    category = AMENITY_CATEGORY.get(tags.get("amenity", ""))
    if category == "shelter" and tags.get("shelter_type") == "public_transport":
        return None
    return category


def street_address(tags: dict[str, str]) -> str:
    """``addr:street addr:housenumber`` (or ``addr:full``)."""
    if tags.get("addr:full"):
        return tags["addr:full"]
    parts = [tags.get("addr:street", ""), tags.get("addr:housenumber", "")]
    return " ".join(p for p in parts if p).strip()

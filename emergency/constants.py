"""Constants of the emergency domain.  The app's settings are declared in
:mod:`emergency.conf`."""

from __future__ import annotations

from emergency.choices import (
    CapCategory,
    CapSeverity,
    IncidentLevel,
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

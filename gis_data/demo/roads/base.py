"""Road classes and the records the road generator passes around.  Pure: no Django."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely

# class: (speed km/h, lanes, right-of-way width m, rank for overlaps)
ROAD_CLASSES = {
    "trunk": (60.0, 6, 50.0, 6),
    "primary": (50.0, 4, 40.0, 5),
    "secondary": (40.0, 4, 30.0, 4),
    "tertiary": (30.0, 2, 20.0, 3),
    "residential": (20.0, 1, 10.0, 2),
}
ONEWAY_LANES = {"primary": 3, "secondary": 2, "tertiary": 1, "residential": 1}


@dataclass
class SourceLine:
    geom: shapely.Geometry
    name: str
    road_class: str
    oneway: bool = False
    kind: str = "street"  # riverside, arterial, cross, parallel, lane, stream
    bridge_ok: bool = False
    group: str = ""  # lines of one group share a generated name
    district: str = ""


@dataclass
class RoadNetwork:
    """A noded road graph in metres: node coordinates and edges with attributes."""

    nodes: np.ndarray  # (n, 2)
    edges: list[dict] = field(default_factory=list)
    dropped_pieces: int = 0

    def geoms(self) -> np.ndarray:
        return np.array([e["geom"] for e in self.edges], dtype=object)

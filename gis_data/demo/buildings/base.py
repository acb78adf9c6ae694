"""Shared pieces of the building layouts: the result container, a parcel's
local frame and the fitting helpers.  Pure: no Django."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely

from ..blocks import Parcel

__all__ = ["SOUTH_FACING_MAX", "STOREY_M", "Buildings", "Frame", "first_fit", "fit", "inner_of",
           "place_one", "rows"]

SOUTH_FACING_MAX = np.radians(15.0)  # housing keeps within 15° of due south
STOREY_M = {"residential": 2.9, "oldtown": 3.3, "village": 3.0, "commercial": 4.8,
            "office": 3.8, "education": 3.8, "healthcare": 4.2, "public": 3.9}


@dataclass
class Buildings:
    """Generated buildings as parallel lists (metric footprints)."""

    geoms: list = field(default_factory=list)
    use: list = field(default_factory=list)
    floors: list = field(default_factory=list)
    storey: list = field(default_factory=list)
    year: list = field(default_factory=list)
    name: list = field(default_factory=list)
    typology: list = field(default_factory=list)
    parcel: list = field(default_factory=list)
    tags: list = field(default_factory=list)

    def add(self, geoms, *, use, floors, storey, year, typology, parcel, name=None, tags=None):
        n = len(geoms)
        if n == 0:
            return
        self.geoms.extend(geoms)

        def many(value):
            return list(value) if isinstance(value, (list, tuple, np.ndarray)) else [value] * n

        self.use.extend(many(use))
        self.floors.extend(int(f) for f in many(floors))
        self.storey.extend(float(s) for s in many(storey))
        self.year.extend(int(y) for y in many(year))
        self.typology.extend(many(typology))
        self.parcel.extend(many(parcel))
        self.name.extend(many(name if name is not None else ""))
        self.tags.extend(many(tags) if isinstance(tags, list) else [dict(tags or {}) for _ in range(n)])

    def __len__(self) -> int:
        return len(self.geoms)

    def heights(self) -> np.ndarray:
        return np.round(np.asarray(self.floors) * np.asarray(self.storey), 1)

    def subset(self, keep: np.ndarray) -> Buildings:
        idx = np.flatnonzero(keep)
        out = Buildings()
        for attr in ("geoms", "use", "floors", "storey", "year", "name", "typology", "parcel", "tags"):
            values = getattr(self, attr)
            setattr(out, attr, [values[i] for i in idx])
        return out


class Frame:
    """A parcel's local frame: u along the street grid (east-west-ish), v across."""

    def __init__(self, poly: shapely.Polygon, angle: float, inner=None):
        self.origin = np.asarray(poly.centroid.coords[0])
        self.cos, self.sin = np.cos(angle), np.sin(angle)
        # Layouts start from the setback line, not from the parcel edge.
        local = self.to_local(shapely.get_coordinates(inner if inner is not None else poly))
        self.u0, self.v0 = local.min(axis=0)
        self.u1, self.v1 = local.max(axis=0)

    def to_local(self, xy: np.ndarray) -> np.ndarray:
        d = xy - self.origin
        return np.column_stack([d[:, 0] * self.cos + d[:, 1] * self.sin,
                                -d[:, 0] * self.sin + d[:, 1] * self.cos])

    def to_world(self, uv: np.ndarray) -> np.ndarray:
        u, v = uv[..., 0], uv[..., 1]
        return np.stack([self.origin[0] + u * self.cos - v * self.sin,
                         self.origin[1] + u * self.sin + v * self.cos], axis=-1)

    def rects(self, u, v, w, d) -> np.ndarray:
        u, v, w, d = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in (u, v, w, d)))
        corners = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5], [-0.5, -0.5]])
        local = np.stack([u[:, None] + corners[None, :, 0] * w[:, None],
                          v[:, None] + corners[None, :, 1] * d[:, None]], axis=-1)
        return shapely.polygons(self.to_world(local))

    def shapes(self, u, v, local_rings: np.ndarray) -> np.ndarray:
        """Polygons from rings given relative to each centre (n, k, 2)."""
        pts = local_rings + np.stack([u, v], axis=-1)[:, None, :]
        return shapely.polygons(self.to_world(pts))


def fit(inner, candidates: np.ndarray) -> np.ndarray:
    if len(candidates) == 0:
        return np.zeros(0, dtype=bool)
    return shapely.contains(inner, candidates)


def first_fit(inner, slots: np.ndarray, variants: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """For each slot, the first variant (by order) that fits: (kept mask, variant index)."""
    chosen = np.full(slots.size, -1)
    for k, cand in enumerate(variants):
        todo = chosen < 0
        if not todo.any():
            break
        ok = np.zeros(slots.size, dtype=bool)
        ok[todo] = fit(inner, cand[todo])
        chosen[ok & todo] = k
    return chosen >= 0, chosen


def inner_of(parcel: Parcel, setback: float):
    inner = parcel.geom.buffer(-setback, join_style="mitre")
    if inner.is_empty:
        return None
    shapely.prepare(inner)
    return inner


# ---------------------------------------------------------------- residential


def rows(frame: Frame, inner, *, depth: float, pitch: float, lengths: list[float], gap: float,
          rng: np.random.Generator, stagger: bool = True, v_start: float | None = None,
          v_end: float | None = None):
    """Rows of bars along u, spaced ``pitch`` along v; each slot tries the
    lengths in order until one fits.  Returns (polygons, u, v, length)."""
    u_list, v_list = [], []
    v = (frame.v0 if v_start is None else v_start) + depth / 2 + rng.uniform(0, 4)
    top = frame.v1 if v_end is None else v_end
    row = 0
    base = lengths[0]
    while v + depth / 2 <= top:
        shift = (base + gap) / 2 if (stagger and row % 2) else 0.0
        u = frame.u0 + base / 2 + rng.uniform(0, gap) - shift
        while u - base / 2 <= frame.u1:
            u_list.append(u)
            v_list.append(v)
            u += base + gap
        v += pitch
        row += 1
    if not u_list:
        return np.array([], dtype=object), np.array([]), np.array([]), np.array([])
    us, vs = np.array(u_list), np.array(v_list)
    variants = [frame.rects(us, vs, length, depth) for length in lengths]
    kept, which = first_fit(inner, us, variants)
    polys = np.array([variants[k][i] for i, k in enumerate(which) if kept[i]], dtype=object)
    length_of = np.array([lengths[k] for k in which[kept]])
    return polys, us[kept], vs[kept], length_of


def place_one(frame: Frame, inner, v_from: float, w: float, d: float):
    """The first spot (from the south, near the middle) where a w × d building
    fits north of ``v_from``: (polygon, its northern edge) or None."""
    middle = (frame.u0 + frame.u1) / 2
    for scale in (1.0, 0.8, 0.6):
        ws, ds = w * scale, d * scale
        v = v_from + ds / 2 + 1
        while v + ds / 2 <= frame.v1:
            for du in (0.0, -30.0, 30.0, -60.0, 60.0):
                rect = frame.rects([middle + du], [v], ws, ds)[0]
                if inner.contains(rect):
                    return rect, v + ds / 2
            v += 8.0
    return None

"""A small offline map of an address's surroundings, drawn as inline SVG.

Input is plain lon/lat geometry (no Django); output is an SVG string whose
user unit is one metre in a local tangent plane around the address (an
equirectangular projection, exact enough for a few hundred metres).  No tile
server, no script: the scan page stays light and works offline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import shapely

ROAD_WIDTH = {"primary": 9, "secondary": 8, "trunk": 10, "tertiary": 7, "residential": 5,
              "service": 4, "pedestrian": 3, "track": 3}


@dataclass
class MapData:
    """What to draw, in lon/lat."""

    centre: tuple[float, float]
    radius_m: float = 220.0
    roads: list[tuple[list[tuple[float, float]], str, str]] = field(default_factory=list)
    buildings: list[list[tuple[float, float]]] = field(default_factory=list)
    target_building: list[tuple[float, float]] | None = None
    points: list[tuple] = field(default_factory=list)  # lon, lat, label[, fill colour]
    route: list[tuple[float, float]] = field(default_factory=list)
    mark_centre: bool = True  # the "you are here" pin (off for a map of many places)


def fit_radius(centre: tuple[float, float], points, *, least: float = 180.0,
               most: float = 900.0) -> float:
    """The half-width (m) of a 4:3 view around ``centre`` that shows ``points``."""
    proj = _Projector(*centre)
    need = least
    for lon, lat in points:
        x, y = proj(lon, lat)
        need = max(need, abs(x) * 1.12, abs(y) / 0.75 * 1.12)
    return min(need, most)


class _Projector:
    def __init__(self, lon0: float, lat0: float):
        self.lon0, self.lat0 = lon0, lat0
        self.kx = 111_320.0 * math.cos(math.radians(lat0))
        self.ky = 110_574.0

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        return (lon - self.lon0) * self.kx, -(lat - self.lat0) * self.ky


def _path(pts: list[tuple[float, float]], close: bool = False) -> str:
    if not pts:
        return ""
    out = [f"M{pts[0][0]:.0f} {pts[0][1]:.0f}"]
    prev = (round(pts[0][0]), round(pts[0][1]))
    for x, y in pts[1:]:
        cur = (round(x), round(y))
        if cur != prev:
            out.append(f"L{cur[0]} {cur[1]}")
            prev = cur
    if close:
        out.append("Z")
    return "".join(out)


def _clip(pts, r):
    """Drop geometry entirely outside the view square."""
    return any(abs(x) <= r * 1.2 and abs(y) <= r * 1.2 for x, y in pts)


def surroundings_svg(data: MapData, *, title: str = "") -> str:
    r = data.radius_m
    k = max(1.0, r / 180.0)  # symbols keep their size on screen as the view grows
    proj = _Projector(*data.centre)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{-r:.0f} {-r * 0.75:.0f} '
             f'{2 * r:.0f} {1.5 * r:.0f}" role="img" class="map">']
    if title:
        parts.append(f"<title>{escape(title)}</title>")
    parts.append(f'<rect x="{-r:.0f}" y="{-r:.0f}" width="{2 * r:.0f}" height="{2 * r:.0f}" '
                 f'fill="#eef1ec"/>')
    bpaths = []
    for ring in data.buildings:
        simplified = shapely.Polygon(ring).simplify(1.0) if len(ring) > 6 else None
        usable = simplified is not None and not simplified.is_empty
        coords = list(simplified.exterior.coords) if usable else ring
        pts = [proj(x, y) for x, y in coords]
        if _clip(pts, r):
            bpaths.append(_path(pts, close=True))
    if bpaths:
        parts.append(f'<path fill="#d5d0c8" stroke="#b9b2a6" stroke-width="{0.6 * k:.1f}" '
                     f'd="{"".join(bpaths)}"/>')
    if data.target_building:
        pts = [proj(x, y) for x, y in data.target_building]
        parts.append(f'<path fill="#f4b183" stroke="#c55a11" stroke-width="{1.2 * k:.1f}" '
                     f'd="{_path(pts, close=True)}"/>')
    casing, fill, labels = [], [], []
    for coords, road_class, name in data.roads:
        pts = [proj(x, y) for x, y in coords]
        if not _clip(pts, r):
            continue
        w = ROAD_WIDTH.get(road_class, 5) * (0.3 + 0.7 * k)
        d = _path(pts)
        casing.append(f'<path d="{d}" stroke-width="{w + 2 * k:.1f}"/>')
        fill.append(f'<path d="{d}" stroke-width="{w:.1f}"/>')
        if name and len(pts) >= 2:
            labels.append((math.dist(pts[0], pts[-1]), name, pts))
    parts.append(f'<g fill="none" stroke="#a7a398" stroke-linecap="round">{"".join(casing)}</g>')
    parts.append(f'<g fill="none" stroke="#ffffff" stroke-linecap="round">{"".join(fill)}</g>')
    seen = set()
    for _, name, pts in sorted(labels, reverse=True):
        if name in seen or len(seen) >= 4:
            continue
        seen.add(name)
        mid = pts[len(pts) // 2] if len(pts) > 2 else ((pts[0][0] + pts[1][0]) / 2,
                                                      (pts[0][1] + pts[1][1]) / 2)
        if abs(mid[0]) > r * 0.85 or abs(mid[1]) > r * 0.65:
            continue
        parts.append(f'<text x="{mid[0]:.0f}" y="{mid[1] - 6 * k:.0f}" font-size="{13 * k:.0f}" '
                     f'fill="#444" text-anchor="middle" paint-order="stroke" stroke="#fff" '
                     f'stroke-width="{3 * k:.0f}">{escape(name)}</text>')
    if data.route:
        pts = [proj(x, y) for x, y in data.route]
        parts.append(f'<path d="{_path(pts)}" fill="none" stroke="#1f6feb" '
                     f'stroke-width="{4 * k:.1f}" stroke-dasharray="{8 * k:.0f} {5 * k:.0f}" '
                     f'stroke-linecap="round"/>')
    for lon, lat, label, *colour in data.points:
        x, y = proj(lon, lat)
        if abs(x) > r or abs(y) > r * 0.75:
            continue
        fill = escape(colour[0]) if colour else "#1a7f37"
        parts.append(f'<g transform="translate({x:.0f} {y:.0f}) scale({k:.2f})"><circle r="9" '
                     f'fill="{fill}" stroke="#fff" stroke-width="2"/><text y="4.5" font-size="12" '
                     f'fill="#fff" text-anchor="middle" font-weight="700">{escape(label)}</text></g>')
    if data.mark_centre:
        parts.append(f'<g transform="scale({k:.2f})"><circle r="11" fill="#d1242f" stroke="#fff" '
                     f'stroke-width="3"/><circle r="3.5" fill="#fff"/></g>')
    bar = next((b for b in (50, 100, 200, 500, 1000, 2000, 5000) if b >= r / 3.5), 10000)
    parts.append(f'<g transform="translate({-r + 12 * k:.0f} {r * 0.75 - 14 * k:.0f})" '
                 f'font-size="{11 * k:.0f}" fill="#333"><path d="M0 0h{bar}" stroke="#333" '
                 f'stroke-width="{2 * k:.1f}"/><text x="{bar / 2}" y="{-4 * k:.0f}" '
                 f'text-anchor="middle">{bar} m</text></g>')
    parts.append(f'<text x="{r - 10 * k:.0f}" y="{-r * 0.75 + 20 * k:.0f}" font-size="{14 * k:.0f}" '
                 f'text-anchor="end" fill="#333" font-weight="700">N↑</text>')
    parts.append("</svg>")
    return "".join(parts)

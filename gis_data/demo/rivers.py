"""Valleys and rivers of the demo city: smooth valley axes from the plan, the
rivers meandering along them, the water areas and the valley floors.

All geometry in metres (EPSG:4544).  Pure: no Django.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.ops import substring

from . import plan
from .geo import rng_for, to_metric

STEP_M = 5.0


@dataclass
class Axis:
    """A valley axis sampled every ``STEP_M`` metres, with per-sample
    attributes: river level ``z``, floor half-widths ``wl``/``wr`` (left and
    right looking downstream), water width ``ww`` and the river's offset
    ``meander`` from the axis (positive to the left)."""

    key: str
    kind: str  # main, tributary, gully
    name: str
    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    wl: np.ndarray
    wr: np.ndarray
    ww: np.ndarray
    meander: np.ndarray
    side_tan: float = 0.33
    floor_rise: float = 12.0
    bank_rise: float = 4.0
    river_names: tuple[str, str] = ("", "")
    split_s: float | None = None  # chainage where the river changes name (confluence)
    s: np.ndarray = field(init=False)
    tx: np.ndarray = field(init=False)
    ty: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        dx = np.gradient(self.x)
        dy = np.gradient(self.y)
        norm = np.hypot(dx, dy)
        self.tx, self.ty = dx / norm, dy / norm
        seg = np.hypot(np.diff(self.x), np.diff(self.y))
        self.s = np.concatenate([[0.0], np.cumsum(seg)])

    @property
    def nx(self) -> np.ndarray:
        return -self.ty

    @property
    def ny(self) -> np.ndarray:
        return self.tx

    @property
    def length(self) -> float:
        return float(self.s[-1])

    def offset_points(self, offset: np.ndarray | float, every: int = 1) -> np.ndarray:
        """Points at a signed offset (left positive) from the axis."""
        off = np.broadcast_to(np.asarray(offset, dtype=float), self.x.shape)
        return np.column_stack([self.x + self.nx * off, self.y + self.ny * off])[::every]

    def river_line(self, every: int = 4) -> shapely.LineString:
        return shapely.LineString(self.offset_points(self.meander, every))

    def floor_polygon(self, every: int = 10) -> shapely.Polygon:
        left = self.offset_points(self.wl, every)
        right = self.offset_points(-self.wr, every)
        return shapely.make_valid(shapely.Polygon(np.vstack([left, right[::-1]]))).buffer(0)

    def water_polygon(self, s_from: float = -np.inf, s_to: float = np.inf,
                      every: int = 2) -> shapely.Polygon:
        keep = (self.s >= s_from) & (self.s <= s_to)
        idx = np.flatnonzero(keep)[::every]
        if idx.size < 2:
            return shapely.Polygon()
        left = np.column_stack([self.x + self.nx * (self.meander + self.ww / 2),
                                self.y + self.ny * (self.meander + self.ww / 2)])[idx]
        right = np.column_stack([self.x + self.nx * (self.meander - self.ww / 2),
                                 self.y + self.ny * (self.meander - self.ww / 2)])[idx]
        return shapely.make_valid(shapely.Polygon(np.vstack([left, right[::-1]]))).buffer(0)

    def nearest_index(self, px: float, py: float) -> int:
        return int(np.argmin((self.x - px) ** 2 + (self.y - py) ** 2))


def _catmull_rom(points: np.ndarray, per_segment: int = 60) -> np.ndarray:
    """A centripetal Catmull-Rom curve through the points."""
    p = np.vstack([2 * points[0] - points[1], points, 2 * points[-1] - points[-2]])
    out = []
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        t0 = 0.0
        t1 = t0 + np.linalg.norm(p1 - p0) ** 0.5
        t2 = t1 + np.linalg.norm(p2 - p1) ** 0.5
        t3 = t2 + np.linalg.norm(p3 - p2) ** 0.5
        t = np.linspace(t1, t2, per_segment, endpoint=False)[:, None]
        a1 = (t1 - t) / (t1 - t0) * p0 + (t - t0) / (t1 - t0) * p1
        a2 = (t2 - t) / (t2 - t1) * p1 + (t - t1) / (t2 - t1) * p2
        a3 = (t3 - t) / (t3 - t2) * p2 + (t - t2) / (t3 - t2) * p3
        b1 = (t2 - t) / (t2 - t0) * a1 + (t - t0) / (t2 - t0) * a2
        b2 = (t3 - t) / (t3 - t1) * a2 + (t - t1) / (t3 - t1) * a3
        out.append((t2 - t) / (t2 - t1) * b1 + (t - t1) / (t2 - t1) * b2)
    out.append(points[-1:])
    return np.vstack(out)


def _moving_average(values: np.ndarray, window: int) -> np.ndarray:
    if window < 3 or values.size < window:
        return values
    pad = window // 2
    # Reflect through the end points so that the ends keep their position and slope.
    padded = np.concatenate([2 * values[0] - values[pad:0:-1], values,
                             2 * values[-1] - values[-2:-pad - 2:-1]])
    kernel = np.ones(window) / window
    return np.convolve(padded, kernel, mode="valid")[: values.size]


def axis_from_points(key: str, kind: str, name: str, points: list[tuple], *, smooth_m: float = 600.0,
                     end_xy: tuple[float, float] | None = None) -> Axis:
    """Resample a spline through the plan's control points every STEP_M metres."""
    arr = np.asarray(points, dtype=float)
    mx, my = to_metric(arr[:, 0], arr[:, 1])
    ctrl = np.column_stack([mx, my])
    if end_xy is not None:
        ctrl[-1] = end_xy
    per = 400
    curve = _catmull_rom(ctrl, per)
    seg = np.hypot(*np.diff(curve, axis=0).T)
    chain = np.concatenate([[0.0], np.cumsum(seg)])
    ctrl_chain = chain[np.arange(len(ctrl)) * per]
    s = np.arange(0.0, chain[-1], STEP_M)
    x = _moving_average(np.interp(s, chain, curve[:, 0]), 41)
    y = _moving_average(np.interp(s, chain, curve[:, 1]), 41)
    window = int(smooth_m / STEP_M) | 1
    attrs = [_moving_average(np.interp(s, ctrl_chain, arr[:, col]), window) for col in (2, 3, 4, 5)]
    z, wl, wr, ww = attrs
    return Axis(key=key, kind=kind, name=name, x=x, y=y, z=z, wl=wl, wr=wr, ww=ww,
                meander=np.zeros_like(x))


def _meander(axis: Axis, seed: int, amplitude: float, *, calm_at: list[float]) -> np.ndarray:
    """A smooth random offset of the river from the valley axis, zero at the
    ends and at the given chainages (confluences)."""
    rng = rng_for(seed, "meander", axis.key)
    s = axis.s
    m = np.zeros_like(s)
    for _ in range(3):
        wavelength = rng.uniform(1800.0, 4200.0)
        m += rng.uniform(0.4, 1.0) * np.sin(2 * np.pi * s / wavelength + rng.uniform(0, 2 * np.pi))
    m /= 2.0
    taper = np.minimum(np.clip(s / 1500.0, 0, 1), np.clip((s[-1] - s) / 1500.0, 0, 1))
    for c in calm_at:
        taper = np.minimum(taper, np.clip(np.abs(s - c) / 1200.0, 0, 1))
    limit = np.maximum(0.0, 0.3 * np.minimum(axis.wl, axis.wr) - axis.ww / 2)
    return np.clip(amplitude * m * taper ** 2, -limit, limit)


@dataclass
class Valleys:
    """The valley axes of the city and the water areas drawn from them."""

    main: Axis
    wei_upper: Axis
    tributaries: list[Axis]
    lakes: list[tuple[str, str, shapely.Polygon]]  # key, name, polygon

    @property
    def axes(self) -> list[Axis]:
        return [self.main, self.wei_upper, *self.tributaries]

    def floors(self) -> shapely.Geometry:
        return shapely.union_all([a.floor_polygon() for a in self.axes])

    def waterways(self) -> list[dict]:
        """Water areas with names and centrelines (metric)."""
        main = self.main
        split = main.split_s
        out = []
        ji_water = main.water_polygon(s_to=split)
        ji_line = shapely.LineString(main.offset_points(main.meander)[(main.s <= split)][::4])
        out.append({"key": "jihe", "name": "藉河", "kind": "river", "geom": ji_water,
                    "centreline": ji_line})
        wei_low = main.water_polygon(s_from=split)
        wei_up = self.wei_upper.water_polygon()
        wei_line_up = self.wei_upper.offset_points(self.wei_upper.meander)[::4]
        wei_line_low = main.offset_points(main.meander)[(main.s >= split)][::4]
        out.append({"key": "weihe", "name": "渭河", "kind": "river",
                    "geom": shapely.union_all([wei_up, wei_low]),
                    "centreline": shapely.LineString(np.vstack([wei_line_up, wei_line_low]))})
        for trib in self.tributaries:
            out.append({"key": trib.key, "name": trib.name, "kind": "stream",
                        "geom": trib.water_polygon(), "centreline": trib.river_line()})
        for key, name, poly in self.lakes:
            out.append({"key": key, "name": name, "kind": "lake", "geom": poly, "centreline": None})
        return out

    def water(self) -> shapely.Geometry:
        return shapely.union_all([w["geom"] for w in self.waterways()])


def _ellipse(cx: float, cy: float, rx: float, ry: float, angle_deg: float) -> shapely.Polygon:
    theta = np.linspace(0, 2 * np.pi, 73)[:-1]
    a = np.radians(angle_deg)
    px, py = rx * np.cos(theta), ry * np.sin(theta)
    return shapely.Polygon(np.column_stack([cx + px * np.cos(a) - py * np.sin(a),
                                            cy + px * np.sin(a) + py * np.cos(a)]))


def build_valleys(seed: int) -> Valleys:
    """The valley axes and rivers of the plan, meandering by the seed."""
    main_plan = plan.MAIN_VALLEY
    main = axis_from_points("main", "main", "", main_plan["points"])
    main.river_names = main_plan["river_names"]
    cx, cy = to_metric(*plan.CONFLUENCE)
    split = float(main.s[main.nearest_index(float(cx), float(cy))])
    main.split_s = split
    main.meander = _meander(main, seed, main_plan["meander_m"], calm_at=[split])

    wei_plan = plan.WEI_UPPER_VALLEY
    conf_xy = (float(main.x[main.nearest_index(float(cx), float(cy))]),
               float(main.y[main.nearest_index(float(cx), float(cy))]))
    wei = axis_from_points("wei_upper", "main", "", wei_plan["points"], end_xy=conf_xy)
    wei.river_names = wei_plan["river_names"]
    wei.meander = _meander(wei, seed, wei_plan["meander_m"], calm_at=[])

    main_river = main.offset_points(main.meander)
    tributaries = []
    for trib in plan.TRIBUTARIES:
        lon, lat = trib["points"][-1][:2]
        mx, my = to_metric(lon, lat)
        k = int(np.argmin((main_river[:, 0] - mx) ** 2 + (main_river[:, 1] - my) ** 2))
        axis = axis_from_points(trib["key"], "tributary", trib["name"], trib["points"],
                                smooth_m=300.0, end_xy=tuple(main_river[k]))
        axis.floor_rise, axis.bank_rise, axis.side_tan = 5.0, 2.0, 0.36
        axis.meander = _meander(axis, seed, 25.0, calm_at=[])
        tributaries.append(axis)

    lakes = []
    for lake in plan.LAKES:
        lx, ly = to_metric(*lake["centre"])
        rx, ry = lake["radii_m"]
        lakes.append((lake["key"], lake["name"],
                      _ellipse(float(lx), float(ly), rx, ry, lake["angle_deg"])))
    return Valleys(main=main, wei_upper=wei, tributaries=tributaries, lakes=lakes)


def build_gullies(valleys: Valleys, seed: int) -> list[Axis]:
    """Dry loess gullies (冲沟) cutting into the hills from the valley edges."""
    rng = rng_for(seed, "gullies")
    floors = valleys.floors()
    trib_mouths = [(t.x[-1], t.y[-1]) for t in valleys.tributaries]
    out: list[Axis] = []
    for axis in (valleys.main, valleys.wei_upper):
        for side in (1, -1):
            s = rng.uniform(300, 900)
            while s < axis.length - 300:
                k = int(s / STEP_M)
                width = axis.wl[k] if side > 0 else axis.wr[k]
                start = np.array([axis.x[k] + axis.nx[k] * side * (width - 20),
                                  axis.y[k] + axis.ny[k] * side * (width - 20)])
                s += rng.uniform(420, 950)
                if min(np.hypot(start[0] - mx, start[1] - my) for mx, my in trib_mouths) < 900:
                    continue
                if min(np.hypot(start[0] - t.x, start[1] - t.y).min() for t in valleys.tributaries) < 500:
                    continue
                heading = np.arctan2(axis.ny[k] * side, axis.nx[k] * side) + rng.uniform(-0.45, 0.45)
                length = rng.uniform(900, 3400)
                pts = [start]
                for _ in range(4):
                    heading += rng.uniform(-0.35, 0.35)
                    pts.append(pts[-1] + length / 4 * np.array([np.cos(heading), np.sin(heading)]))
                line = shapely.LineString(pts)
                other = line.intersection(floors.difference(shapely.Point(start).buffer(400)))
                if not other.is_empty:
                    cut = line.project(shapely.Point(shapely.get_coordinates(other)[0])) - 300
                    if cut < 500:
                        continue
                    line = substring(line, 0, cut)
                coords = np.asarray(line.coords)[::-1]  # head first, mouth last
                z0 = float(axis.z[k] + axis.floor_rise + axis.bank_rise)
                grade = rng.uniform(0.045, 0.085)
                chain = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(coords, axis=0).T))])
                zs = z0 + grade * (chain[-1] - chain)
                w = rng.uniform(22, 40)
                pts_ll = [(c[0], c[1], zz, w, w, 0.0) for c, zz in zip(coords, zs, strict=True)]
                g = _axis_from_metric(f"gully-{axis.key}-{side}-{len(out)}", pts_ll)
                g.floor_rise, g.bank_rise, g.side_tan = 3.0, 0.0, rng.uniform(0.45, 0.62)
                out.append(g)
    return out


def _axis_from_metric(key: str, points: list[tuple]) -> Axis:
    arr = np.asarray(points, dtype=float)
    curve = _catmull_rom(arr[:, :2], 40)
    seg = np.hypot(*np.diff(curve, axis=0).T)
    chain = np.concatenate([[0.0], np.cumsum(seg)])
    ctrl_chain = chain[np.arange(len(arr)) * 40]
    s = np.arange(0.0, chain[-1], STEP_M * 2)
    x = np.interp(s, chain, curve[:, 0])
    y = np.interp(s, chain, curve[:, 1])
    z, wl, wr, ww = (np.interp(s, ctrl_chain, arr[:, col]) for col in (2, 3, 4, 5))
    return Axis(key=key, kind="gully", name="", x=x, y=y, z=z, wl=wl, wr=wr, ww=ww,
                meander=np.zeros_like(x))

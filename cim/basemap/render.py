"""Drawing basemap tiles.

:class:`Renderer` takes the city as lon/lat geometries (:class:`MapData`) and a
height function, prepares one zoom level at a time (geometries projected to
global pixels and indexed, every label placed once for the whole level) and
draws 256 × 256 PNG tiles of it.  Vector layers are drawn at twice the size
and reduced (antialiasing, which Pillow's polygons lack); labels are drawn at
full size after that, from positions in global pixels, so a name that crosses
a tile edge continues seamlessly on the neighbouring tile.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import shapely
from PIL import Image, ImageDraw, ImageFont

from cim.basemap import style as st
from cim.basemap import webmercator as wm
from cim.basemap.labels import Glyph, LabelPlacer, TileLabels

Heights = Callable[[np.ndarray, np.ndarray], np.ndarray]
SUPERSAMPLE = 2
MARGIN_PX = 16  # features this close to a tile are drawn too (line widths, end caps)
SUN_AZIMUTH_DEG = 315.0
SUN_ALTITUDE_DEG = 45.0


@dataclass
class MapData:
    """The city to draw, in lon/lat (EPSG:4326)."""

    buildings: list[tuple[str, object]] = field(default_factory=list)  # (use, footprint)
    water: list[tuple[str, object, object | None]] = field(default_factory=list)  # (name, area, centreline)
    roads: list[tuple[str, str, bool, object]] = field(default_factory=list)  # (class, name, closed, line)
    areas: list[tuple[str, str, object | None, tuple[float, float] | None]] = field(
        default_factory=list)  # (level, name, boundary, label point)

    def bounds(self) -> tuple[float, float, float, float] | None:
        geoms = [g for _, g in self.buildings] + [g for _, g, _ in self.water] + [g for *_, g in self.roads]
        if not geoms:
            return None
        return tuple(float(v) for v in shapely.total_bounds(np.array(geoms, dtype=object)))


def _project(geoms: np.ndarray, z: int) -> np.ndarray:
    def fn(coords):
        x, y = wm.to_px(coords[:, 0], coords[:, 1], z)
        return np.column_stack([x, y])

    return shapely.transform(geoms, fn) if len(geoms) else geoms


class _Layer:
    """Projected geometries of one layer with their attributes and a spatial index."""

    def __init__(self, geoms: np.ndarray, attrs: list):
        self.geoms = geoms
        self.attrs = attrs
        self.tree = shapely.STRtree(geoms)

    def near(self, box) -> np.ndarray:
        return np.sort(self.tree.query(box)) if len(self.geoms) else np.zeros(0, int)


def _dashes(ring: np.ndarray, on: float, off: float) -> np.ndarray:
    """Dash segments (n, 2, 2) along a polyline, phased from its start."""
    seg = np.hypot(*np.diff(ring, axis=0).T)
    dist = np.concatenate([[0.0], np.cumsum(seg)])
    if dist[-1] <= 0:
        return np.zeros((0, 2, 2))
    starts = np.arange(0.0, dist[-1], on + off)
    ends = np.minimum(starts + on, dist[-1])
    pts = [np.column_stack([np.interp(d, dist, ring[:, 0]), np.interp(d, dist, ring[:, 1])])
           for d in (starts, ends)]
    return np.stack(pts, axis=1)


def _rings(geom):
    """The polygons of a (multi)polygon."""
    if geom.geom_type == "Polygon":
        yield geom
    elif geom.geom_type == "MultiPolygon":
        yield from geom.geoms


@dataclass
class Zoom:
    """One zoom level, ready to draw: layers in global pixels and the placed labels."""

    z: int
    buildings: _Layer
    water: _Layer
    roads: _Layer
    boundaries: dict[str, _Layer]
    labels: TileLabels


class Renderer:
    """Draws the tiles of :class:`MapData` (see the module docstring)."""

    def __init__(self, data: MapData, *, heights: Heights | None, font_path: str, font_index: int = 0):
        self.data = data
        self.heights = heights
        self.font_path = font_path
        self.font_index = font_index
        self._fonts: dict[int, ImageFont.FreeTypeFont] = {}
        self._road_lines = self._merged_roads()

    def font(self, size: int) -> ImageFont.FreeTypeFont:
        if size not in self._fonts:
            self._fonts[size] = ImageFont.truetype(self.font_path, size, index=self.font_index)
        return self._fonts[size]

    def _merged_roads(self) -> list[tuple[str, str, object]]:
        """Named roads as merged lines (roads are stored segment by segment,
        node to node), one name label per stretch rather than per segment."""
        by_name: dict[tuple[str, str], list] = {}
        for road_class, name, _closed, line in self.data.roads:
            if name:
                by_name.setdefault((road_class, name), []).append(line)
        out = []
        for (road_class, name), lines in by_name.items():
            merged = shapely.line_merge(shapely.multilinestrings(lines))
            out.extend((road_class, name, part) for part in shapely.get_parts(merged))
        return out

    # --- one zoom level --------------------------------------------------------------------

    def zoom(self, z: int) -> Zoom:
        d = self.data
        buildings = _Layer(_project(np.array([g for _, g in d.buildings], dtype=object), z),
                           [u for u, _ in d.buildings])
        water = _Layer(_project(np.array([g for _, g, _ in d.water], dtype=object), z),
                       [n for n, _, _ in d.water])
        shown = [(c, n, closed, g) for c, n, closed, g in d.roads
                 if z >= st.ROADS.get(c, st.DEFAULT_ROAD).min_zoom]
        roads = _Layer(_project(np.array([g for *_, g in shown], dtype=object), z),
                       [(c, closed) for c, _, closed, _ in shown])
        boundaries = {}
        for level, area_style in st.ADMIN.items():
            if z < area_style.line_min_zoom:
                continue
            geoms = [g for lv, _, g, _ in d.areas if lv == level and g is not None]
            dashes = []
            on, off = area_style.dash
            for geom in _project(np.array(geoms, dtype=object), z):
                for poly in _rings(geom):
                    dashes.append(_dashes(np.asarray(poly.exterior.coords), on, off))
            segs = np.concatenate(dashes) if dashes else np.zeros((0, 2, 2))
            boundaries[level] = _Layer(shapely.linestrings(segs) if len(segs) else np.zeros(0, dtype=object),
                                       [None] * len(segs))
        return Zoom(z, buildings, water, roads, boundaries, self._place_labels(z))

    def _place_labels(self, z: int) -> TileLabels:
        placer = LabelPlacer(self.font)
        d = self.data

        def area_labels(level):
            area_style = st.ADMIN[level]
            lo, hi = area_style.label_zooms
            if not lo <= z <= hi:
                return
            for lv, name, _geom, point in d.areas:
                if lv == level and name and point is not None:
                    x, y = wm.to_px(point[0], point[1], z)
                    placer.point(name, float(x), float(y), size=area_style.font, fill=area_style.text)

        area_labels("district")
        area_labels("street")
        if z >= 12:
            for name, area, centreline in d.water:
                if not name:
                    continue
                if centreline is not None:
                    placer.along(name, _project(np.array([centreline], dtype=object), z)[0],
                                 size=st.WATER_FONT, fill=st.WATER_TEXT)
                else:
                    p = area.representative_point()
                    x, y = wm.to_px(p.x, p.y, z)
                    placer.point(name, float(x), float(y), size=st.WATER_FONT, fill=st.WATER_TEXT)
        lines = sorted(self._road_lines, key=lambda r: -st.ROADS.get(r[0], st.DEFAULT_ROAD).rank)
        for road_class, name, line in lines:
            road_style = st.ROADS.get(road_class, st.DEFAULT_ROAD)
            if z < road_style.label_zoom:
                continue
            size = st.MAJOR_ROAD_FONT if road_style.rank >= 6 else st.ROAD_FONT
            placer.along(name, _project(np.array([line], dtype=object), z)[0], size=size, fill=st.ROAD_TEXT)
        area_labels("community")
        return placer.tiles

    # --- one tile --------------------------------------------------------------------------

    def background(self, z: int, x: int, y: int) -> Image.Image:
        """Paper-coloured land shaded by the DEM (light from the north-west)."""
        base = np.array(st.LAND, dtype=np.float32)
        if self.heights is None:
            return Image.new("RGB", (wm.TILE, wm.TILE), st.LAND)
        idx = np.arange(-1, wm.TILE + 1) + 0.5
        px, py = np.meshgrid(x * wm.TILE + idx, y * wm.TILE + idx)
        lon, lat = wm.to_lonlat(px, py, z)
        h = self.heights(lon.reshape(-1), lat.reshape(-1)).reshape(px.shape).astype(np.float64)
        outside = np.isnan(h)  # beyond every DEM: flat paper, not a smeared edge
        h = np.where(outside, np.nanmean(h) if not outside.all() else 0.0, h)
        m = wm.metres_per_px(z, float(lat[wm.TILE // 2, wm.TILE // 2]))
        exaggeration = 1.0 + max(0, 14 - z) * 0.25  # flat-looking at city scale otherwise
        dzdx = (h[1:-1, 2:] - h[1:-1, :-2]) / (2 * m) * exaggeration
        dzdy = (h[:-2, 1:-1] - h[2:, 1:-1]) / (2 * m) * exaggeration  # northwards: row 0 is north
        az, alt = np.radians(SUN_AZIMUTH_DEG), np.radians(SUN_ALTITUDE_DEG)
        light = np.array([np.sin(az) * np.cos(alt), np.cos(az) * np.cos(alt), np.sin(alt)])
        norm = np.sqrt(dzdx ** 2 + dzdy ** 2 + 1)
        shade = (-dzdx * light[0] - dzdy * light[1] + light[2]) / norm
        tone = np.clip(1.0 + 0.9 * (shade - light[2]), 0.55, 1.08)
        tone[outside[1:-1, 1:-1]] = 1.0
        rgb = np.clip(base[None, None, :] * tone[:, :, None], 0, 255).astype(np.uint8)
        return Image.fromarray(rgb, "RGB")

    def has_content(self, zoom: Zoom, x: int, y: int) -> bool:
        """Whether anything but the ground falls on a tile."""
        ox, oy = x * wm.TILE, y * wm.TILE
        box = shapely.box(ox, oy, ox + wm.TILE, oy + wm.TILE)
        return ((x, y) in zoom.labels or any(len(layer.near(box)) for layer in (
            zoom.buildings, zoom.water, zoom.roads, *zoom.boundaries.values())))

    def render(self, zoom: Zoom, x: int, y: int) -> Image.Image:
        z = zoom.z
        s = SUPERSAMPLE
        size = wm.TILE * s
        ox, oy = x * wm.TILE, y * wm.TILE
        img = self.background(z, x, y).resize((size, size), Image.BILINEAR)
        draw = ImageDraw.Draw(img)
        box = shapely.box(ox - MARGIN_PX, oy - MARGIN_PX, ox + wm.TILE + MARGIN_PX, oy + wm.TILE + MARGIN_PX)

        def flat(coords) -> list[float]:
            return ((np.asarray(coords)[:, :2] - (ox, oy)) * s).ravel().tolist()

        def fill_polygon(geom, colour, outline=None, width=0):
            for poly in _rings(geom):
                ext = flat(poly.exterior.coords)
                if len(ext) < 6:
                    continue
                if poly.interiors:  # courtyards, islands: through a mask of the polygon's box
                    x0, y0 = max(0, int(min(ext[0::2]))), max(0, int(min(ext[1::2])))
                    x1, y1 = min(size, int(max(ext[0::2])) + 2), min(size, int(max(ext[1::2])) + 2)
                    if x1 <= x0 or y1 <= y0:
                        continue
                    mask = Image.new("L", (x1 - x0, y1 - y0), 0)
                    mdraw = ImageDraw.Draw(mask)
                    mdraw.polygon([v - (x0 if k % 2 == 0 else y0) for k, v in enumerate(ext)], fill=255)
                    for ring in poly.interiors:
                        hole = flat(ring.coords)
                        mdraw.polygon([v - (x0 if k % 2 == 0 else y0) for k, v in enumerate(hole)], fill=0)
                    img.paste(colour, (x0, y0, x1, y1), mask=mask)
                else:
                    draw.polygon(ext, fill=colour)
                if outline is not None:
                    draw.line(ext + ext[:2], fill=outline, width=width)

        # land use: buildings by use (a dot of colour from far away, footprints close up)
        edge = z >= 16
        for i in zoom.buildings.near(box):
            colour = st.LAND_USE.get(zoom.buildings.attrs[i], st.LAND_USE["other"])
            line = tuple(int(c * st.BUILDING_EDGE_DARKEN) for c in colour) if edge else colour
            fill_polygon(zoom.buildings.geoms[i], colour, outline=line, width=1 if edge else s)
        for i in zoom.water.near(box):
            fill_polygon(zoom.water.geoms[i], st.WATER, outline=st.WATER_EDGE, width=s)
        for level, layer in zoom.boundaries.items():
            area_style = st.ADMIN[level]
            width = max(1, round(area_style.line_width * s))
            for i in layer.near(box):
                draw.line(flat(layer.geoms[i].coords), fill=area_style.line, width=width)
        self._draw_roads(draw, zoom, box, flat)
        img = img.resize((wm.TILE, wm.TILE), Image.LANCZOS)
        self._draw_labels(img, zoom.labels.get((x, y), ()), ox, oy)
        return img

    def _draw_roads(self, draw, zoom: Zoom, box, flat) -> None:
        s = SUPERSAMPLE
        found = [(zoom.roads.attrs[i], zoom.roads.geoms[i]) for i in zoom.roads.near(box)]
        found.sort(key=lambda r: st.ROADS.get(r[0][0], st.DEFAULT_ROAD).rank)
        for casing in (True, False):
            for (road_class, closed), geom in found:
                road_style = st.ROADS.get(road_class, st.DEFAULT_ROAD)
                width = st.road_width(road_style, zoom.z) * s
                if casing and width < 2.5 * s:
                    continue
                colour = road_style.casing if casing else (st.CLOSED_ROAD if closed else road_style.fill)
                w = width + (2 * s if casing else 0)
                pts = flat(geom.coords)
                draw.line(pts, fill=colour, width=max(1, round(w)), joint="curve")
                if w >= 3 * s:  # round ends, so that segments join without notches
                    r = w / 2
                    for px, py in ((pts[0], pts[1]), (pts[-2], pts[-1])):
                        draw.ellipse((px - r, py - r, px + r, py + r), fill=colour)

    def _draw_labels(self, img: Image.Image, glyphs: list[Glyph] | tuple, ox: float, oy: float) -> None:
        if not glyphs:
            return
        draw = ImageDraw.Draw(img)
        for g in glyphs:
            draw.text((g.x - ox, g.y - oy), g.text, font=self.font(g.size), fill=g.fill, anchor="mm",
                      stroke_width=2, stroke_fill=st.HALO)

    def png(self, zoom: Zoom, x: int, y: int) -> bytes:
        buf = io.BytesIO()
        self.render(zoom, x, y).save(buf, "PNG", compress_level=6)
        return buf.getvalue()


__all__ = ["MapData", "Renderer", "TileLabels", "Zoom"]

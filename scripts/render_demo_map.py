"""Draw the loaded Tianshui demo city as a PNG (hillshade, water, community
boundaries, roads, buildings by use) with two close-ups, from the database.

    .venv/bin/python scripts/render_demo_map.py [--out docs/demo_city.png]

Drawn with numpy + Pillow only (no matplotlib).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import shapely
import shapely.geometry
from PIL import Image, ImageDraw, ImageFont
from shapely.ops import polylabel

ROOT = Path(__file__).resolve().parent.parent
FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
USE_COLOURS = {
    "residential": (236, 164, 120), "commercial": (214, 58, 64), "office": (150, 70, 190),
    "public": (40, 80, 200), "education": (240, 196, 40), "healthcare": (30, 160, 80),
    "industrial": (110, 110, 130), "other": (160, 160, 160),
}
USE_LABELS = {"residential": "住宅", "commercial": "商业", "office": "办公", "public": "公共服务",
              "education": "教育", "healthcare": "医疗", "industrial": "工业"}
ROAD_STYLE = {"trunk": ((200, 40, 40), 5), "primary": ((235, 140, 40), 4),
              "secondary": ((250, 210, 110), 3), "tertiary": ((255, 255, 255), 2),
              "residential": ((250, 250, 245), 1)}
WATER = (110, 165, 225)


def _font(size: int):
    try:
        return ImageFont.truetype(FONT, size)
    except OSError:
        return ImageFont.load_default()


class View:
    """A metric window onto the map, drawn at ``scale`` pixels per metre."""

    def __init__(self, bounds, scale: float):
        self.x0, self.y0, self.x1, self.y1 = bounds
        self.scale = scale
        self.size = (int((self.x1 - self.x0) * scale), int((self.y1 - self.y0) * scale))

    def px(self, coords: np.ndarray) -> list[tuple[float, float]]:
        return list(zip((coords[:, 0] - self.x0) * self.scale, (self.y1 - coords[:, 1]) * self.scale,
                        strict=True))


def hillshade(grid, view: View, to_lonlat) -> Image.Image:
    """Hillshade with a height tint, resampled onto the view's pixels."""
    w, h = view.size
    xs = view.x0 + (np.arange(w) + 0.5) / view.scale
    ys = view.y1 - (np.arange(h) + 0.5) / view.scale
    gx, gy = np.meshgrid(xs, ys)
    lon, lat = to_lonlat(gx.ravel(), gy.ravel())
    z = grid.sample(lon, lat).reshape(h, w)
    z = np.where(np.isfinite(z), z, np.nanmin(z))
    step = 1.0 / view.scale
    dzdy, dzdx = np.gradient(z, step, step)
    slope = np.arctan(np.hypot(dzdx, dzdy) * 1.0)
    aspect = np.arctan2(-dzdx, dzdy)
    az, alt = np.radians(315.0), np.radians(40.0)
    shade = np.clip(np.sin(alt) * np.cos(slope) + np.cos(alt) * np.sin(slope) * np.cos(az - aspect), 0, 1)
    t = np.clip((z - 1090.0) / 650.0, 0, 1)[..., None]
    low = np.array([214, 222, 196]) / 255.0
    high = np.array([222, 196, 150]) / 255.0
    rgb = (low * (1 - t) + high * t) * (0.45 + 0.65 * shade[..., None])
    return Image.fromarray((np.clip(rgb, 0, 1) * 255).astype(np.uint8))


def draw_polygons(draw: ImageDraw.ImageDraw, view: View, geoms, fill=None, outline=None, width=1):
    for geom in geoms:
        for poly in shapely.get_parts(geom):
            if poly.geom_type != "Polygon" or poly.is_empty:
                continue
            pts = view.px(np.asarray(poly.exterior.coords))
            if len(pts) >= 3:
                draw.polygon(pts, fill=fill, outline=outline, width=width)


def draw_lines(draw, view: View, geoms, fill, width):
    for geom in geoms:
        for line in shapely.get_parts(geom):
            if line.geom_type == "LineString":
                draw.line(view.px(np.asarray(line.coords)), fill=fill, width=width, joint="curve")


def render_view(data: dict, view: View, to_lonlat, *, detail: bool) -> Image.Image:
    img = hillshade(data["grid"], view, to_lonlat).convert("RGBA")
    layer = Image.new("RGBA", view.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    draw_polygons(draw, view, data["parks"], fill=(150, 200, 120, 200))
    draw_polygons(draw, view, data["water"], fill=WATER + (255,))
    scale_w = 1 if not detail else 2
    for cls in ("residential", "tertiary", "secondary", "primary", "trunk"):
        colour, width = ROAD_STYLE[cls]
        if not detail and cls in ("residential",):
            continue
        w = max(1, int(round(width * (0.5 if not detail else 1.2))))
        draw_lines(draw, view, data["roads"].get(cls, []), colour + (255,), w)
    draw_lines(draw, view, data["bridges"], (90, 90, 90, 255), 2 * scale_w)
    for use, geoms in data["buildings"].items():
        colour = USE_COLOURS.get(use, USE_COLOURS["other"])
        if not detail:
            # At 12 m a pixel the buildings become a texture: darker, so that the
            # streets and open ground between them show.
            colour = tuple(int(c * 0.78) for c in colour)
        draw_polygons(draw, view, geoms, fill=colour + (255,),
                      outline=(90, 60, 50, 255) if detail else None)
    draw_lines(draw, view, [g.boundary for g in data["communities"]], (120, 40, 140, 230),
               2 if detail else 1)
    draw_lines(draw, view, [g.boundary for g in data["streets"]], (80, 0, 110, 255),
               4 if detail else 2)
    draw_lines(draw, view, [g.boundary for g in data["districts"]], (20, 20, 20, 255), 3)
    return Image.alpha_composite(img, layer)


def label(draw, xy, text, size, fill=(20, 20, 20), halo=(255, 255, 255)):
    font = _font(size)
    x, y = xy
    for dx in (-2, 0, 2):
        for dy in (-2, 0, 2):
            draw.text((x + dx, y + dy), text, font=font, fill=halo, anchor="mm")
    draw.text((x, y), text, font=font, fill=fill, anchor="mm")


def compose(data: dict, out: Path, to_metric, to_lonlat) -> None:
    x0, y0, x1, y1 = data["bounds"]
    full = View((x0 - 600, y0 - 600, x1 + 600, y1 + 600), 3200 / (x1 - x0 + 1200))
    top = render_view(data, full, to_lonlat, detail=False)
    d = ImageDraw.Draw(top)
    for text, lon, lat, size in (("秦州区", 105.66, 34.600, 44), ("麦积区", 105.93, 34.592, 44),
                                 ("藉河", 105.63, 34.5735, 30), ("渭河", 105.955, 34.561, 30),
                                 ("三阳川", 105.79, 34.623, 26)):
        x, y = to_metric(lon, lat)
        px, py = full.px(np.array([[float(x), float(y)]]))[0]
        label(d, (px, py), text, size)
    for text, (x, y) in data["street_labels"]:
        px, py = full.px(np.array([[x, y]]))[0]
        label(d, (px, py), text, 20, fill=(70, 0, 100))
    insets = []
    for name, lon, lat in (("秦州老城", 105.722, 34.579), ("北道", 105.902, 34.570)):
        cx, cy = (float(v) for v in to_metric(lon, lat))
        view = View((cx - 1500, cy - 1000, cx + 1500, cy + 1000), 1580 / 3000)
        img = render_view(data, view, to_lonlat, detail=True)
        label(ImageDraw.Draw(img), (110, 36), name, 34)
        insets.append(img)
    width = top.size[0]
    height = top.size[1] + insets[0].size[1] + 120
    canvas = Image.new("RGBA", (width, height), (255, 255, 255, 255))
    canvas.paste(top, (0, 0))
    canvas.paste(insets[0], (0, top.size[1] + 10))
    canvas.paste(insets[1], (width - insets[1].size[0], top.size[1] + 10))
    d = ImageDraw.Draw(canvas)
    y = height - 60
    x = 30
    font = _font(26)
    for use, text in USE_LABELS.items():
        d.rectangle([x, y, x + 30, y + 30], fill=USE_COLOURS[use])
        d.text((x + 40, y + 15), text, font=font, fill=(20, 20, 20), anchor="lm")
        x += 170
    d.line([x, y + 15, x + 40, y + 15], fill=(80, 0, 110), width=4)
    d.text((x + 50, y + 15), "街道界", font=font, fill=(20, 20, 20), anchor="lm")
    x += 170
    d.line([x, y + 15, x + 40, y + 15], fill=(120, 40, 140), width=2)
    d.text((x + 50, y + 15), "社区界（合成）", font=font, fill=(20, 20, 20), anchor="lm")
    x += 260
    d.text((x, y + 15), f"天水演示城市（合成数据，种子 {data['seed']}）：{data['count']:,} 栋建筑",
           font=font, fill=(20, 20, 20), anchor="lm")
    out.parent.mkdir(parents=True, exist_ok=True)
    # A 256-colour palette keeps the file small enough for the docs.
    canvas.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                                   dither=Image.Dither.NONE).save(out, optimize=True)


def load_from_db() -> dict:
    import django

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    django.setup()
    from django.db import connection

    from cim.models import AdminArea, DemRaster, ImportRun, ServicePoint  # noqa: F401
    from cim.services.terrain import grid_for
    from gis_data.demo.geo import geoms_to_metric
    from gis_data.demo.loader import DEM_NAME, SOURCE

    def fetch(sql, params=()):
        with connection.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    def geoms(rows):
        return geoms_to_metric(shapely.from_wkb([bytes(r[0]) for r in rows])) if rows else []

    buildings: dict[str, list] = {}
    rows = fetch("SELECT ST_AsBinary(footprint), use FROM cim_building WHERE source = %s", [SOURCE])
    all_geoms = geoms(rows)
    for g, (_, use) in zip(all_geoms, rows, strict=True):
        buildings.setdefault(use, []).append(g)
    roads: dict[str, list] = {}
    rows = fetch("SELECT ST_AsBinary(geom), road_class, bridge FROM cim_roadsegment WHERE source = %s",
                 [SOURCE])
    road_geoms = geoms(rows)
    bridges = []
    for g, (_, cls, bridge) in zip(road_geoms, rows, strict=True):
        roads.setdefault(cls, []).append(g)
        if bridge:
            bridges.append(g)
    water = geoms(fetch("SELECT ST_AsBinary(geom) FROM cim_waterway WHERE source = %s", [SOURCE]))
    communities = geoms(fetch("SELECT ST_AsBinary(boundary) FROM cim_adminarea "
                              "WHERE boundary_synthetic AND level = 'community'"))
    street_rows = fetch("SELECT ST_AsBinary(boundary), name FROM cim_adminarea "
                        "WHERE boundary_synthetic AND level = 'street' ORDER BY code")
    streets = geoms(street_rows)
    # Towns keep no boundary of their own: label the union of their communities.
    unit_rows = fetch("SELECT ST_AsBinary(ST_Union(c.boundary)), u.name FROM cim_adminarea c "
                      "JOIN cim_adminarea u ON u.id = c.parent_id WHERE c.boundary_synthetic "
                      "AND c.level = 'community' GROUP BY u.id, u.name ORDER BY u.code")
    street_labels = []
    for g, (_, name) in zip(geoms(unit_rows), unit_rows, strict=True):
        # Label the widest part of the area, not a narrow side valley.
        widest = max(shapely.get_parts(g), key=lambda p: p.area)
        short = name.removesuffix("街道").removesuffix("虚拟社区")
        street_labels.append((short, tuple(polylabel(widest, 20.0).coords[0])))
    districts = geoms(fetch("SELECT ST_AsBinary(boundary) FROM cim_adminarea "
                            "WHERE code IN ('620502', '620503')"))
    run = ImportRun.objects.filter(kind="demo", status="succeeded").order_by("-id").first()
    dem = DemRaster.objects.get(name=DEM_NAME)
    parks = [geoms_to_metric(shapely.geometry.shape(sp.tags["area"]))
             for sp in ServicePoint.objects.filter(source=SOURCE, category="shelter")
             if "area" in sp.tags]
    bounds = shapely.union_all(communities).bounds
    return {"grid": grid_for(dem), "buildings": buildings, "roads": roads, "bridges": bridges,
            "water": water, "communities": communities, "streets": streets,
            "street_labels": street_labels,
            "districts": districts, "parks": parks, "bounds": bounds,
            "seed": run.options.get("seed") if run else "?", "count": len(all_geoms)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default=str(ROOT / "docs" / "demo_city.png"))
    args = parser.parse_args()
    data = load_from_db()
    from gis_data.demo.geo import to_lonlat, to_metric

    compose(data, Path(args.out), to_metric, to_lonlat)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

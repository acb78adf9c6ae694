"""The printable reports (PDF, A4) of a saved 可视域 viewshed and a 通视 line of
sight: what was asked (observer, heights, radius, cell size), the answer (the
visible area and its share; seen or blocked, where and by what), a picture
(the visible and hidden cells on a map; the profile under the sight line) and
the report's usual head: the run, who ran it, when, on which model version."""

from __future__ import annotations

import io
import math

from django.utils.translation import gettext as _
from reportlab.graphics.shapes import Circle, Drawing, Image, Line, Polygon, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer

from cim.models import AnalysisRun

from .report_pdf import add_scale_bar, report_start, report_table
from .viewshed import viewshed_image_path

__all__ = ["line_of_sight_pdf", "viewshed_pdf"]

VISIBLE_INK = colors.HexColor("#2ecc71")  # the viewer's colours
HIDDEN_INK = colors.HexColor("#e74c3c")
OBSERVER_INK = colors.HexColor("#36c5f0")
GROUND_INK = colors.HexColor("#7f8c8d")
M_PER_DEG_LAT = 110_540


def _m_per_deg_lon(lat: float) -> float:
    return math.cos(math.radians(lat)) * 111_320


def _lonlat(p: dict) -> str:
    return f"{p['lon']:.6f}°E, {p['lat']:.6f}°N"


def _pairs(font: str, styles: dict, rows: list[tuple[str, str]]):
    """A two-column table of labels and values."""
    return report_table(
        font,
        [[_("项目"), _("数值")], *[[k, Paragraph(v, styles["body"])] for k, v in rows]],
        [52 * mm, 120 * mm],
    )


def _viewshed_map(run: AnalysisRun, width: float, height: float, font: str) -> Drawing:
    """The run's draped picture (visible green, hidden red, outside white) at its true
    shape in metres, the observer, the analysed radius, a scale bar and a legend."""
    from PIL import Image as PILImage

    s = run.summary
    drawing = Drawing(width, height)
    path = viewshed_image_path(run)
    west, south, east, north = s["image_bounds"]
    lat = (south + north) / 2
    span_x, span_y = (east - west) * _m_per_deg_lon(lat), (north - south) * M_PER_DEG_LAT
    legend = 16
    scale = min((width - 20) / span_x, (height - 30 - legend) / span_y)  # points per metre
    w, h = span_x * scale, span_y * scale
    x0, y0 = (width - w) / 2, 20 + legend

    def xy(lon, lat_):
        return x0 + (lon - west) * _m_per_deg_lon(lat) * scale, y0 + (lat_ - south) * M_PER_DEG_LAT * scale

    drawing.add(
        Rect(x0, y0, w, h, fillColor=colors.white, strokeColor=colors.HexColor("#b8c4d6"), strokeWidth=0.5)
    )
    if path.exists():
        with PILImage.open(path) as picture:
            rgba = picture.convert("RGBA")
        flat = PILImage.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        drawing.add(Image(x0, y0, w, h, flat))
    ox, oy = xy(s["observer"]["lon"], s["observer"]["lat"])
    drawing.add(
        Circle(
            ox,
            oy,
            s["radius_m"] * scale,
            fillColor=None,
            strokeColor=OBSERVER_INK,
            strokeWidth=0.8,
            strokeDashArray=[3, 2],
        )
    )
    drawing.add(Circle(ox, oy, 3.5, fillColor=OBSERVER_INK, strokeColor=colors.white, strokeWidth=1))
    add_scale_bar(drawing, scale)
    x = x0
    for ink, label in ((VISIBLE_INK, _("可见")), (HIDDEN_INK, _("不可见")), (OBSERVER_INK, _("观察点"))):
        drawing.add(Rect(x, 20, 10, 7, fillColor=ink, strokeColor=None))
        drawing.add(String(x + 13, 21, label, fontName=font, fontSize=7))
        x += 60
    return drawing


def viewshed_pdf(run: AnalysisRun) -> bytes:
    out = io.BytesIO()
    font, styles, doc, story = report_start(run, out)
    s = run.summary
    o = s["observer"]
    story += [
        Paragraph(
            _(
                "可见面积 %(area)s 平方米，占分析范围（%(analysed)s 平方米）的 %(share).1f%%；"
                "可见屋顶 %(roofs)s 栋。"
            )
            % {
                "area": f"{s['visible_area_m2']:,.0f}",
                "analysed": f"{s['analysed_area_m2']:,.0f}",
                "share": 100 * s["visible_share"],
                "roofs": f"{s.get('visible_buildings', 0):,}",
            },
            styles["body"],
        ),
        Spacer(1, 3 * mm),
        _pairs(
            font,
            styles,
            [
                (_("观察点"), _lonlat(o)),
                (_("观察点地表高程(米)"), f"{o['ground_m']:.2f}"),
                (
                    _("观察高度(米)"),
                    _("%(h)s（视点高程 %(eye).2f 米）")
                    % {"h": f"{s['observer_height_m']:g}", "eye": o["eye_m"]},
                ),
                (_("目标高度(米)"), f"{s['target_height_m']:g}"),
                (_("分析半径(米)"), f"{s['radius_m']:,.0f}"),
                (_("栅格分辨率(米)"), f"{s['cell_m']:g}"),
                (_("可见面积(平方米)"), f"{s['visible_area_m2']:,.1f}"),
                (_("可见比例"), f"{100 * s['visible_share']:.2f}%"),
            ],
        ),
        Paragraph(_("可见与不可见范围"), styles["h2"]),
        _viewshed_map(run, doc.width, 110 * mm, font),
        Paragraph(_("图：绿色为可见，红色为不可见（地面及屋顶），虚线圆为分析半径。"), styles["small"]),
        Paragraph(_("按距离的可见比例"), styles["h2"]),
    ]
    rows = [[_("距离(米)"), _("可见面积(平方米)"), _("可见比例")]]
    for band in s.get("bands", []):
        rows.append(
            [
                f"{band['from_m']:,.0f}–{band['to_m']:,.0f}",
                f"{band['visible_m2']:,.0f}",
                f"{100 * band['share']:.1f}%",
            ]
        )
    story.append(report_table(font, rows, [50 * mm, 50 * mm, 40 * mm]))
    story.append(Spacer(1, 3 * mm))
    story.append(
        Paragraph(
            _(
                "说明：地表模型为数字高程模型地形加建筑（屋顶高程 = 基底高程 + 建筑高度），"
                "按所选分辨率栅格化；"
                "可视域由 GDAL 计算（地球曲率与大气折光系数 %(k)s）；高程为 1985 国家高程基准近似（EGM96）。"
                "演示数据为程序生成，非真实测绘成果。"
            )
            % {"k": f"{run.params.get('curvature_coeff', 0.85714):g}"},
            styles["small"],
        )
    )
    doc.build(story)
    return out.getvalue()


def tick_step(length: float) -> float:
    """A round distance (1, 2 or 5 × 10ⁿ m) giving 3 to 10 ticks along ``length`` metres."""
    base = 10 ** math.floor(math.log10(max(length, 0.01) / 3))
    return next(v for v in (base * 5, base * 2, base) if length / v >= 3)


def _profile_chart(run: AnalysisRun, width: float, height: float, font: str) -> Drawing:
    """The surface under the sight line (grey), the sight line (green up to the obstruction,
    red behind it), the obstruction marked; distance and height axes."""
    s, profile = run.summary, run.result.get("profile", {})
    drawing = Drawing(width, height)
    d = profile.get("distance_m", [])
    z = profile.get("surface_m", [])
    sight = profile.get("sight_m", [])
    if len(d) < 2:
        return drawing
    zs = [v for v in z if v is not None] + sight
    lo, hi = min(zs), max(zs)
    pad = max(1.0, (hi - lo) * 0.08)
    lo, hi = lo - pad, hi + pad
    left, bottom, right, top = 40, 22, width - 10, height - 8

    def x(v):
        return left + v / d[-1] * (right - left)

    def y(v):
        return bottom + (v - lo) / (hi - lo) * (top - bottom)

    ground = [c for v, h in zip(d, z, strict=True) if h is not None for c in (x(v), y(h))]
    drawing.add(
        Polygon(
            [x(0), bottom, *ground, x(d[-1]), bottom],
            fillColor=GROUND_INK.clone(alpha=0.55),
            strokeColor=GROUND_INK,
            strokeWidth=0.5,
        )
    )
    o = s.get("obstruction")
    split = o["distance_m"] if o else d[-1]
    seen = [c for v, h in zip(d, sight, strict=True) if v <= split for c in (x(v), y(h))]
    drawing.add(PolyLine(seen, strokeColor=VISIBLE_INK, strokeWidth=1.6))
    if o:
        behind = [c for v, h in zip(d, sight, strict=True) if v >= split for c in (x(v), y(h))]
        if len(behind) >= 4:
            drawing.add(PolyLine(behind, strokeColor=HIDDEN_INK, strokeWidth=1.6, strokeDashArray=[4, 2]))
        drawing.add(
            Circle(x(o["distance_m"]), y(o["surface_m"]), 3.5, fillColor=HIDDEN_INK, strokeColor=colors.white)
        )
    for at, height_m in ((0, s["observer"]["eye_m"]), (d[-1], s["target"]["aim_m"])):
        drawing.add(Circle(x(at), y(height_m), 3, fillColor=OBSERVER_INK, strokeColor=colors.white))
    drawing.add(Line(left, bottom, right, bottom, strokeWidth=0.6))
    drawing.add(Line(left, bottom, left, top, strokeWidth=0.6))
    step = tick_step(d[-1])
    tick = 0.0
    while tick <= d[-1] + 1e-6:
        drawing.add(Line(x(tick), bottom, x(tick), bottom - 3, strokeWidth=0.5))
        drawing.add(
            String(x(tick), bottom - 11, f"{tick:g}", fontName="Helvetica", fontSize=6.5, textAnchor="middle")
        )
        tick += step
    drawing.add(String(right, bottom - 20, _("距观察点(米)"), fontName=font, fontSize=7, textAnchor="end"))
    for v in (lo + pad, hi - pad):
        drawing.add(
            String(left - 3, y(v) - 2, f"{v:.0f}", fontName="Helvetica", fontSize=6.5, textAnchor="end")
        )
    drawing.add(String(left - 3, top - 2, _("高程(米)"), fontName=font, fontSize=7, textAnchor="end"))
    return drawing


def line_of_sight_pdf(run: AnalysisRun) -> bytes:
    out = io.BytesIO()
    font, styles, doc, story = report_start(run, out)
    s, params = run.summary, run.params
    o = s.get("obstruction")
    if s["visible"]:
        verdict = _("通视：目标可见，视线长 %(length)s 米。") % {"length": f"{s['length_m']:,.1f}"}
    elif o.get("building"):
        verdict = _(
            "不通视：视线长 %(length)s 米，在距观察点 %(at)s 米处被建筑 #%(building)s 遮挡"
            "（地表 %(surface).2f 米，高出视线 %(over).2f 米）。"
        ) % {
            "length": f"{s['length_m']:,.1f}",
            "at": f"{o['distance_m']:,.1f}",
            "building": o["building"],
            "surface": o["surface_m"],
            "over": o["surface_m"] - o["sight_m"],
        }
    else:
        verdict = _(
            "不通视：视线长 %(length)s 米，在距观察点 %(at)s 米处被地形遮挡"
            "（地表 %(surface).2f 米，高出视线 %(over).2f 米）。"
        ) % {
            "length": f"{s['length_m']:,.1f}",
            "at": f"{o['distance_m']:,.1f}",
            "surface": o["surface_m"],
            "over": o["surface_m"] - o["sight_m"],
        }
    rows = [
        (_("观察点"), _lonlat(s["observer"])),
        (_("观察点地表 / 视点高程(米)"), f"{s['observer']['ground_m']:.2f} / {s['observer']['eye_m']:.2f}"),
        (_("观察高度(米)"), f"{params.get('observer_height', 0):g}"),
        (_("目标点"), _lonlat(s["target"])),
        (_("目标点地表 / 目标高程(米)"), f"{s['target']['ground_m']:.2f} / {s['target']['aim_m']:.2f}"),
        (_("目标高度(米)"), f"{params.get('target_height', 0):g}"),
        (_("视线长度(米)"), f"{s['length_m']:,.1f}"),
        (_("采样分辨率(米)"), f"{params.get('cell', 1):g}"),
        (_("是否通视"), _("是") if s["visible"] else _("否")),
    ]
    if o:
        rows += [
            (
                _("遮挡位置"),
                _("距观察点 %(at)s 米（%(where)s）") % {"at": f"{o['distance_m']:,.1f}", "where": _lonlat(o)},
            ),
            (_("遮挡物"), _("建筑 #%(id)s") % {"id": o["building"]} if o.get("building") else _("地形")),
            (_("遮挡处地表 / 视线高程(米)"), f"{o['surface_m']:.2f} / {o['sight_m']:.2f}"),
            (_("被遮挡长度(米)"), f"{o.get('blocked_length_m', 0):,.1f}"),
        ]
    story += [
        Paragraph(verdict, styles["body"]),
        Spacer(1, 3 * mm),
        _pairs(font, styles, rows),
        Paragraph(_("剖面"), styles["h2"]),
        _profile_chart(run, doc.width, 75 * mm, font),
        Paragraph(
            _(
                "图：灰色为视线下的地表（地形与建筑），绿色为可见段视线，红色虚线为被遮挡段，红点为第一个遮挡处。"
            ),
            styles["small"],
        ),
        Spacer(1, 3 * mm),
        Paragraph(
            _(
                "说明：沿视线每半个栅格采样地表模型（地形加建筑），计入地球曲率与大气折光（系数 %(k)s）。"
                "演示数据为程序生成，非真实测绘成果。"
            )
            % {"k": f"{params.get('curvature_coeff', 0.85714):g}"},
            styles["small"],
        ),
    ]
    doc.build(story)
    return out.getvalue()

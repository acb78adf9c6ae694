"""The printable report of a saved scheme comparison (PDF, A4): the indicator
table side by side, then for each scheme the 3D view posted from the
browser (when one was) beside a plan drawn here from the saved snapshot
(site line, green areas, buildings shaded by height with their floors)."""

from __future__ import annotations

import csv
import io
import math

from django.utils.translation import gettext as _
from reportlab.graphics.shapes import Drawing, Polygon, String
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Image, Paragraph, Spacer, Table, TableStyle

from cim.choices import BuildingUse
from cim.models import AnalysisRun

from .report_pdf import add_scale_bar, report_start, report_table
from .scheme import compare_image_path

__all__ = ["indicator_rows", "scheme_compare_csv", "scheme_compare_pdf"]

SITE = colors.HexColor("#e8262a")
GREEN = colors.HexColor("#5cb85c")
LOW, HIGH = colors.HexColor("#cfe0f5"), colors.HexColor("#12407f")


def _pct(x) -> str:
    return "—" if x is None else f"{x * 100:.1f}%"


def indicator_rows(schemes: list[dict]) -> list[list[str]]:
    """The comparison table: one row per indicator, one column per scheme
    (``schemes``: the run's ``summary["schemes"]``)."""
    ind = [s["indicators"] for s in schemes]
    hl = [i.get("height_limit") or {} for i in ind]
    return [
        [_("用地面积(平方米)")] + [f"{i['site_area_m2']:,.0f}" for i in ind],
        [_("建筑数量(栋)")] + [f"{i['buildings']:,}" for i in ind],
        [_("总建筑面积(平方米)")] + [f"{i['gross_floor_area_m2']:,.0f}" for i in ind],
        [_("容积率")] + [f"{i['far']:.2f}" for i in ind],
        [_("建筑密度")] + [_pct(i["coverage"]) for i in ind],
        [_("绿地率")] + [_pct(i["green_ratio"]) for i in ind],
        [_("最大高度(米)")] + [f"{i['max_height_m']:.1f}" for i in ind],
        [_("最高层数")] + [str(i["max_floors"]) for i in ind],
        [_("超出控高(栋)")] + [_height_cell(h) for h in hl],
        [_("住宅日照不达标")] + [_sun_own_cell(i.get("sunlight")) for i in ind],
        [_("周边建筑日照损失")] + [_sun_near_cell(i.get("sunlight")) for i in ind],
    ]


def _sun_own_cell(sun: dict | None) -> str:
    """The scheme's dwellings: buildings with a floor short of the standard, and those floors."""
    if not sun:
        return _("未分析")
    if not sun["dwellings"]:
        return _("无住宅")
    return _("%(failing)s/%(total)s 栋 · %(floors)s 层") % {
        "failing": sun["dwellings_failing"], "total": sun["dwellings"], "floors": sun["floors_failing"]}


def _sun_near_cell(sun: dict | None) -> str:
    """The neighbours: the largest loss of hours and the buildings losing any."""
    if not sun:
        return _("未分析")
    if not sun["neighbours"]:
        return _("周边无建筑")
    return _("最多 %(lost).2f 小时 · %(affected)s/%(total)s 栋") % {
        "lost": sun["max_lost"], "affected": sun["affected"], "total": sun["neighbours"]}


def _height_cell(check: dict) -> str:
    if not check.get("zones"):
        return _("无控高区")
    over = check.get("buildings_over", 0)
    return f"{over} / +{check['max_excess']:.1f} m" if over else "0"


def _plan(snapshot: dict, width: float, height: float) -> Drawing:
    drawing = Drawing(width, height)
    pts = list(snapshot["site"])
    if not pts:
        return drawing
    lon0, lon1 = min(p[0] for p in pts), max(p[0] for p in pts)
    lat0, lat1 = min(p[1] for p in pts), max(p[1] for p in pts)
    kx = math.cos(math.radians((lat0 + lat1) / 2)) * 111_320
    ky = 110_540
    scale = min((width - 20) / max((lon1 - lon0) * kx, 1.0), (height - 30) / max((lat1 - lat0) * ky, 1.0))

    def flat(ring):
        return [v for lon, lat in ring
                for v in (10 + (lon - lon0) * kx * scale, 20 + (lat - lat0) * ky * scale)]

    for ring in snapshot["green"]:
        drawing.add(Polygon(flat(ring), fillColor=GREEN.clone(alpha=0.45), strokeColor=GREEN,
                            strokeWidth=0.5))
    tallest = max((b["height"] for b in snapshot["buildings"]), default=1.0) or 1.0
    for b in snapshot["buildings"]:
        shade = colors.linearlyInterpolatedColor(LOW, HIGH, 0, 1, b["height"] / tallest)
        for ring in b["footprint"]:
            drawing.add(Polygon(flat(ring), fillColor=shade, strokeColor=colors.white, strokeWidth=0.4))
        ring = b["footprint"][0]
        xy = flat(ring)
        cx, cy = sum(xy[0::2]) / (len(xy) // 2), sum(xy[1::2]) / (len(xy) // 2)
        ink = colors.white if b["height"] > tallest / 2 else colors.black
        drawing.add(String(cx, cy - 2.5, f"{b['floors']}F", fontName="Helvetica", fontSize=6.5,
                           textAnchor="middle", fillColor=ink))
    drawing.add(Polygon(flat(pts), fillColor=None, strokeColor=SITE, strokeWidth=1.2, strokeDashArray=[4, 2]))
    add_scale_bar(drawing, scale)
    return drawing


def scheme_compare_pdf(run: AnalysisRun) -> bytes:
    out = io.BytesIO()
    font, styles, doc, story = report_start(run, out)
    schemes = run.summary.get("schemes", [])
    story.append(Paragraph(_("主要指标"), styles["h2"]))
    header = [_("指标")] + [Paragraph(s["name"], styles["body"]) for s in schemes]
    label_w = 50 * mm
    col_w = (doc.width - label_w) / max(len(schemes), 1)
    table = report_table(font, [header, *indicator_rows(schemes)], [label_w] + [col_w] * len(schemes))
    table.setStyle(TableStyle([("ALIGN", (1, 1), (-1, -1), "RIGHT")]))  # every scheme's figures
    story.append(table)
    uses = dict(BuildingUse.choices)
    for s, snap in zip(schemes, run.result.get("schemes", []), strict=False):
        story.append(Paragraph(s["name"], styles["h2"]))
        by_use = "；".join(f"{uses.get(u, u)} {a:,.0f} ㎡"
                          for u, a in s["indicators"].get("gfa_by_use", {}).items())
        story.append(Paragraph(_("分用途建筑面积：%(list)s") % {"list": by_use or "—"}, styles["body"]))
        half = (doc.width - 6 * mm) / 2
        cells = [_plan(snap, half, 70 * mm)]
        picture = compare_image_path(run, s["id"])
        if picture is not None:
            image = Image(str(picture))
            ratio = image.imageHeight / image.imageWidth
            image.drawWidth, image.drawHeight = half, min(half * ratio, 70 * mm)
            image.drawWidth = image.drawHeight / ratio
            cells.insert(0, image)
        story.append(Table([cells], colWidths=[half + 3 * mm] * len(cells)))
        story.append(Paragraph(_("左：三维视图（浏览器截图）；右：总平面（红色虚线为用地范围，绿色为绿地，"
                                 "建筑按高度着色并注明层数）。") if picture is not None else
                               _("总平面（红色虚线为用地范围，绿色为绿地，建筑按高度着色并注明层数）。"),
                               styles["small"]))
    story.append(Spacer(1, 3 * mm))
    story.append(Paragraph(_("说明：容积率 = 总建筑面积 / 用地面积（总建筑面积按基底面积 × 层数计）；"
                             "建筑密度 = 建筑基底总面积 / 用地面积；绿地率 = 用地内绿地面积 / 用地面积。"
                             "日照：住宅日照不达标 = 有整层不满足 GB 50180-2018 "
                             "日照标准的住宅栋数 / 住宅栋数 · 不满足的楼层数；"
                             "周边建筑日照损失 = 方案替换用地后周边建筑计算点减少的最多小时数 · "
                             "日照减少的栋数 / 周边栋数（各方案日照分析报告载有逐点结果）。"),
                           styles["small"]))
    doc.build(story)
    return out.getvalue()


def scheme_compare_csv(run: AnalysisRun) -> str:
    """The indicator table of a comparison as CSV (UTF-8 with BOM, for Excel)."""
    out = io.StringIO()
    out.write("\ufeff")
    schemes = run.summary.get("schemes", [])
    writer = csv.writer(out)
    writer.writerow([_("指标"), *(s["name"] for s in schemes)])
    writer.writerows(indicator_rows(schemes))
    return out.getvalue()

"""The printable report of a saved analysis run (PDF, A4): what was run, by
whom, on which state of the model, a map of the zones and the buildings over
their limit, the figures per zone and the worst cases as a table."""

from __future__ import annotations

import io
import math

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from cim.conf import cim_settings
from cim.models import AnalysisRun, HeightZone

FALLBACK_FONT = "STSong-Light"  # not embedded: PDF readers substitute a system CJK font
TABLE_ROWS = 200
RED = colors.HexColor("#e8262a")
ZONE = {"flat": colors.HexColor("#f6b93b"), "plane": colors.HexColor("#36c5f0")}


def report_font() -> str:
    """The report's CJK font: a TrueType font embedded (subset) in the PDF when one is
    installed (Debian's fonts-wqy-zenhei), else the reader-substituted CID font."""
    path = cim_settings.REPORT_FONT
    name = "CIM-Report-CJK"
    if name in pdfmetrics.getRegisteredFontNames():
        return name
    try:
        pdfmetrics.registerFont(TTFont(name, str(path), subfontIndex=0))
        return name
    except Exception:  # noqa: BLE001 - missing or unreadable font file: fall back
        if FALLBACK_FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
        return FALLBACK_FONT


def report_styles(font: str) -> dict[str, ParagraphStyle]:
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=18, leading=24, spaceAfter=4),
        "h2": ParagraphStyle("h2", fontName=font, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4),
        "body": ParagraphStyle("body", fontName=font, fontSize=9, leading=13),
        "small": ParagraphStyle("small", fontName=font, fontSize=7.5, leading=10, textColor=colors.grey),
    }


def _map(run: AnalysisRun, zones: list[HeightZone], width: float, height: float) -> Drawing:
    """Zones (outlines) and the buildings over the limit (red dots, size by excess), with a scale bar."""
    drawing = Drawing(width, height)
    pts = [c for z in zones for poly in z.geom for c in poly[0]]
    pts += [(v["lon"], v["lat"]) for v in run.result.get("violations", [])]
    if not pts:
        return drawing
    lon0, lon1 = min(p[0] for p in pts), max(p[0] for p in pts)
    lat0, lat1 = min(p[1] for p in pts), max(p[1] for p in pts)
    kx = math.cos(math.radians((lat0 + lat1) / 2)) * 111_320  # metres per degree of longitude
    ky = 110_540
    span_x, span_y = max((lon1 - lon0) * kx, 1.0), max((lat1 - lat0) * ky, 1.0)
    scale = min((width - 20) / span_x, (height - 30) / span_y)  # points per metre

    def xy(lon, lat):
        return 10 + (lon - lon0) * kx * scale, 20 + (lat - lat0) * ky * scale

    for z in zones:
        for poly in z.geom:
            flat = [v for lon, lat in poly[0] for v in xy(lon, lat)]
            drawing.add(Polygon(flat, strokeColor=ZONE.get(z.shape, colors.orange), strokeWidth=1,
                                fillColor=ZONE.get(z.shape, colors.orange).clone(alpha=0.12)))
    worst = max((v["excess"] for v in run.result.get("violations", [])), default=1.0) or 1.0
    for v in run.result.get("violations", [])[:5000]:
        x, y = xy(v["lon"], v["lat"])
        drawing.add(Circle(x, y, 1.2 + 2.5 * v["excess"] / worst, fillColor=RED, strokeColor=None))
    add_scale_bar(drawing, scale)
    return drawing


def add_scale_bar(drawing: Drawing, scale: float) -> None:
    """A scale bar (a round length near a quarter of the width) at the bottom left
    and a north arrow at the top right; ``scale`` in points per metre."""
    width, height = drawing.width, drawing.height
    target = (width - 20) / 4 / scale
    bar = 10 ** math.floor(math.log10(target))
    bar = next(b for b in (bar * 5, bar * 2, bar) if b <= target)
    drawing.add(Line(10, 8, 10 + bar * scale, 8, strokeWidth=2))
    label = f"{bar / 1000:g} km" if bar >= 1000 else f"{bar:g} m"
    drawing.add(String(14 + bar * scale, 5, label, fontName="Helvetica", fontSize=7))
    drawing.add(String(width - 10, height - 10, "N ↑", fontName="Helvetica", fontSize=8, textAnchor="end"))


def report_start(run: AnalysisRun, out: io.BytesIO) -> tuple[str, dict, SimpleDocTemplate, list]:
    """The A4 document of a saved run's report, its font and styles, and the
    story's opening: the title and who ran it, when, on which model version."""
    font = report_font()
    styles = report_styles(font)
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=16 * mm, rightMargin=16 * mm,
                            topMargin=14 * mm, bottomMargin=14 * mm,
                            title=f"{run.get_kind_display()} #{run.pk}", author="Tianshui CIM")
    when = timezone.localtime(run.created_at).strftime("%Y-%m-%d %H:%M")
    who = run.created_by.get_username() if run.created_by else "—"
    story = [
        Paragraph(f"{run.get_kind_display()} · {run.title}", styles["title"]),
        Paragraph(_("结果 #%(id)s · %(who)s · %(when)s · 城市模型版本 %(version)s") % {
            "id": run.pk, "who": who, "when": when, "version": run.model_version}, styles["small"]),
    ]
    return font, styles, doc, story


def height_check_pdf(run: AnalysisRun) -> bytes:
    out = io.BytesIO()
    font, styles, doc, story = report_start(run, out)
    s = run.summary
    zone_ids = [z["zone"] for z in s.get("per_zone", [])]
    zones = list(HeightZone.objects.filter(pk__in=zone_ids))
    story += [
        Paragraph(_("检查建筑 %(checked)s 栋，超高 %(over)s 栋，最大超高 %(max).1f 米；"
                    "%(unknown)s 栋缺少地面高程。") % {
            "checked": f"{s.get('checked', 0):,}", "over": f"{s.get('buildings_over', 0):,}",
            "max": s.get("max_excess", 0.0), "unknown": s.get("unknown", 0)}, styles["body"]),
        Spacer(1, 4 * mm),
        _map(run, zones, doc.width, 95 * mm),
        Paragraph(_("图：控高区范围（黄：水平限高面，蓝：倾斜限高面）与超高建筑（红点，越大超得越多）。"),
                  styles["small"]),
        Paragraph(_("各控高区"), styles["h2"]),
    ]
    datum = {"ground": _("距室外地面"), "absolute": _("1985国家高程基准")}
    rows = [[_("控高区"), _("基准"), _("限高(米)"), _("检查"), _("超高"), _("最大超高(米)")]]
    for z in s.get("per_zone", []):
        limit = f"{z['max_height']:.1f}" + (" ↗" if z["shape"] == "plane" else "")
        rows.append([Paragraph(z["name"], styles["body"]), datum.get(z["datum"], z["datum"]), limit,
                     f"{z['checked']:,}", f"{z['violations']:,}", f"{z['max_excess']:.1f}"])
    story.append(report_table(font, rows, [62 * mm, 30 * mm, 20 * mm, 18 * mm, 18 * mm, 24 * mm]))
    violations = run.result.get("violations", [])
    story.append(Paragraph(_("超高建筑（按超高排序，前 %(n)d 栋）") % {"n": min(TABLE_ROWS, len(violations))},
                           styles["h2"]))
    names = {z["zone"]: z["name"] for z in s.get("per_zone", [])}
    rows = [[_("建筑"), _("控高区"), _("高度(米)"), _("顶部(米)"), _("限高(米)"), _("超高(米)")]]
    for v in violations[:TABLE_ROWS]:
        rows.append([Paragraph(v.get("name") or f"#{v['building']}", styles["body"]),
                     Paragraph(names.get(v["zone"], str(v["zone"])), styles["body"]),
                     f"{v['height']:.1f}", f"{v['top']:.1f}", f"{v['limit']:.1f}", f"+{v['excess']:.1f}"])
    story.append(report_table(font, rows, [50 * mm, 52 * mm, 18 * mm, 20 * mm, 18 * mm, 18 * mm]))
    if len(violations) > TABLE_ROWS:
        story.append(Paragraph(_("其余 %(n)s 栋见 CSV 导出。") % {"n": f"{len(violations) - TABLE_ROWS:,}"},
                               styles["small"]))
    story.append(Spacer(1, 3 * mm))
    story.append(Paragraph(_("说明：绝对高程 = 基底高程（DEM，EGM96）+ 基准差改正 + 建筑高度；"
                             "倾斜限高面按建筑在区内部分的最低点计。演示数据为程序生成，非真实测绘成果。"),
                           styles["small"]))
    doc.build(story)
    return out.getvalue()


# hours of sun: the colour ramp of the viewer's legend (none → plenty)
SUN_STOPS = (0.0, 1.0, 2.0, 3.0, 4.0, 6.0)
SUN_COLOURS = ("#3b0f70", "#8c2981", "#de4968", "#fe9f6d", "#fcd66b", "#fcfdbf")


def sun_colour(hours: float):
    for stop, colour in zip(reversed(SUN_STOPS), reversed(SUN_COLOURS), strict=True):
        if hours >= stop:
            return colors.HexColor(colour)
    return colors.HexColor(SUN_COLOURS[0])


def _sun_grid(building: dict, values: list[list[float]], required: float, width: float, height: float,
              font: str) -> Drawing:
    """The façades unrolled (columns left to right, façade by façade) × floors, one
    cell per calculation point coloured by its hours; points short of the standard
    are crossed; a legend below."""
    drawing = Drawing(width, height)
    cols, floors = len(values), building["floors"]
    if not cols or not floors:
        return drawing
    top, bottom = 4, 22
    cw = (width - 30) / cols
    ch = (height - top - bottom) / floors
    for c, column in enumerate(values):
        for f, h in enumerate(column):
            x, y = 26 + c * cw, bottom + f * ch
            drawing.add(Rect(x, y, cw, ch, fillColor=sun_colour(h), strokeColor=colors.white,
                             strokeWidth=0.2))
            if h < required - 1e-9 and cw > 3 and ch > 3:
                drawing.add(Line(x + 0.8, y + 0.8, x + cw - 0.8, y + ch - 0.8, strokeColor=colors.white,
                                 strokeWidth=0.5))
    facades = [col["facade"] for col in building["columns"]]
    for c in range(1, cols):
        if facades[c] != facades[c - 1]:
            drawing.add(Line(26 + c * cw, bottom, 26 + c * cw, height - top, strokeColor=colors.black,
                             strokeWidth=0.8))
    for f in range(0, floors, max(1, floors // 10)):
        drawing.add(String(22, bottom + f * ch + ch / 2 - 2, f"{f + 1}F", fontName="Helvetica", fontSize=6,
                           textAnchor="end"))
    x = 26
    for stop, colour in zip(SUN_STOPS, SUN_COLOURS, strict=True):
        drawing.add(Rect(x, 4, 22, 8, fillColor=colors.HexColor(colour), strokeColor=None))
        drawing.add(String(x + 24, 5, f"≥{stop:g} h", fontName="Helvetica", fontSize=6.5))
        x += 60
    return drawing


def sunlight_pdf(run: AnalysisRun) -> bytes:
    out = io.BytesIO()
    font, styles, doc, story = report_start(run, out)
    s = run.summary
    buildings = run.result.get("buildings", [])
    day = {"dahan": _("大寒日"), "dongzhi": _("冬至日")}.get(s.get("day"), s.get("day"))
    w0, w1 = s.get("window", [0, 0])
    required = s.get("required_hours", 0)
    story += [
        Paragraph(_("%(day)s（%(date)s）真太阳时 %(start)02d:00–%(end)02d:00，步长 %(step)s 分钟；"
                    "日照标准 ≥ %(required)s 小时（建筑气候区 %(zone)s）；计算点 %(points)s 个，"
                    "遮挡建筑 %(obstacles)s 栋%(terrain)s。") % {
            "day": day, "date": s.get("date"), "start": int(w0), "end": int(w1),
            "step": f"{s.get('step_min'):g}",
            "required": f"{required:g}", "zone": s.get("standard", {}).get("zone", ""),
            "points": f"{s.get('points', 0):,}", "obstacles": f"{s.get('obstacles', 0):,}",
            "terrain": _("，含地形遮挡") if s.get("terrain") else ""}, styles["body"]),
    ]
    impacted = [b for b in buildings if "lost" in b]  # neighbours of a planned building or a scheme
    if s.get("mode") == "impact":
        planned = s.get("planned", {})
        story.append(Paragraph(_("拟建建筑“%(name)s”（高 %(height)s 米）影响周边 %(affected)s 栋建筑，"
                                 "最大减少日照 %(lost).2f 小时，新增不满足标准的计算点 %(newly)s 个。") % {
            "name": planned.get("name", ""), "height": f"{planned.get('height', 0):g}",
            "affected": s.get("affected", 0), "lost": s.get("max_lost", 0.0),
            "newly": s.get("points_newly_failing", 0)}, styles["body"]))
    elif s.get("mode") == "scheme":
        ind = s.get("indicator", {})
        story.append(Paragraph(_(
            "设计方案“%(name)s”替换用地内现状建筑 %(replaced)s 栋：方案住宅 %(dwellings)s 栋，"
            "其中 %(failing)s 栋共 %(floors)s 层整层不满足标准；周边 %(neighbours)s 栋建筑中 "
            "%(affected)s 栋日照减少，最大减少 %(lost).2f 小时，新增不满足标准的计算点 %(newly)s 个。") % {
            "name": s.get("scheme_name", ""), "replaced": s.get("replaced", 0),
            "dwellings": ind.get("dwellings", 0), "failing": ind.get("dwellings_failing", 0),
            "floors": ind.get("floors_failing", 0), "neighbours": ind.get("neighbours", 0),
            "affected": ind.get("affected", 0), "lost": ind.get("max_lost", 0.0),
            "newly": ind.get("points_newly_failing", 0)}, styles["body"]))
    if impacted:
        rows = [[_("建筑"), _("计算点"), _("最大减少(小时)"), _("新增不满足点"), _("拟建后整层不满足")]]
        for b in impacted:
            rows.append([Paragraph(b["name"] or f"#{b['building']}", styles["body"]),
                         f"{len(b['columns']) * b['floors']:,}", f"{b.get('max_lost', 0):.2f}",
                         f"{b.get('points_newly_failing', 0):,}",
                         Paragraph("、".join(map(str, b.get("floors_failing_after", []))) or "—",
                                   styles["body"])])
        story.append(Paragraph(_("周边建筑"), styles["h2"]))
        story.append(report_table(font, rows, [60 * mm, 20 * mm, 28 * mm, 26 * mm, 44 * mm]))
        worst = max(impacted, key=lambda b: b.get("max_lost", 0), default=None)
        if worst is not None and worst.get("max_lost", 0) > 0:
            story.append(Paragraph(_("受影响最大的建筑：%(name)s，拟建后日照时数（叉：不满足标准）") % {
                "name": worst["name"] or f"#{worst['building']}"}, styles["h2"]))
            story.append(_sun_grid(worst, worst["hours_after"], required, doc.width, 80 * mm, font))
    for b in [b for b in buildings if "lost" not in b]:
        story.append(Paragraph(_("%(name)s：各立面窗台日照时数（自左至右依次展开各立面，叉：不满足标准）") % {
            "name": b["name"] or f"#{b['building']}"}, styles["h2"]))
        story.append(_sun_grid(b, b["hours"], required, doc.width, 90 * mm, font))
        failing, partly = b.get("floors_failing", []), b.get("floors_partly", [])
        story.append(Paragraph(_("整层不满足标准的楼层：%(all)s；部分计算点不满足的楼层：%(some)s。") % {
            "all": "、".join(map(str, failing)) or _("无"), "some": "、".join(map(str, partly)) or _("无")},
            styles["body"]))
        rows = [[_("楼层"), _("计算点"), _("不满足"), _("最少(小时)"), _("最多(小时)")]]
        for f in b["per_floor"]:
            rows.append([f"{f['floor']}", f"{f['points']}", f"{f['failing']}", f"{f['min']:.2f}",
                         f"{f['max']:.2f}"])
        story.append(Paragraph(_("各楼层"), styles["h2"]))
        story.append(report_table(font, rows, [24 * mm, 30 * mm, 30 * mm, 34 * mm, 34 * mm]))
    story.append(Spacer(1, 3 * mm))
    story.append(Paragraph(_(
        "说明：计算点位于各层窗台面（楼面以上 %(sill)s 米）、外墙外 5 厘米；太阳位置按真太阳时计算"
        "（NOAA/Meeus 算法，与 NREL SPA 相差约 0.01°）；遮挡含半径 %(radius)s 米内全部建筑"
        "（LoD1 体块与 LoD2 实体）及数字高程模型地形。演示数据为程序生成，非真实测绘成果。") % {
        "sill": f"{run.params.get('sill_m', 0.9):g}", "radius": f"{run.params.get('radius_m', 500):g}"},
        styles["small"]))
    doc.build(story)
    return out.getvalue()


def report_table(font: str, rows, widths) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), font, 8.5),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#12407f")),
        ("TEXTCOLOR", (0, 0), (-1, 0), colors.white),
        ("ALIGN", (2, 1), (-1, -1), "RIGHT"),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b8c4d6")),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f2f5fa")]),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]))
    return table

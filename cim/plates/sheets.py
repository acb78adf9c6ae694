"""Batch print sheets: many plates on PDF pages (reportlab), drawn as vectors.

The plates are drawn with reportlab primitives rather than through an SVG
converter so that the QR modules stay exact rectangles at any printer
resolution.  Each plate gets crop marks; plates larger than the paper get a
page of their own size.  Chinese text
is drawn as glyph outlines from Noto Sans CJK (see :mod:`outlines`); only
when no such font is installed does it fall back to the Adobe CID font
STSong-Light, which PDF readers substitute.
"""

from __future__ import annotations

import io
from collections.abc import Iterable

from reportlab.lib.pagesizes import A3, A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from .artwork import PLATE_BLUE, QR_MM, PlateText, fit_font, layout
from .codes import pretty
from .outlines import outline_font
from .qr import QUIET_ZONE_MODULES, qr_matrix

CJK_FONT = "STSong-Light"
MONO_FONT = "Courier-Bold"
PAPERS = {"A4": landscape(A4), "A3": landscape(A3)}
GAP_MM = 8.0


def _register_fonts() -> None:
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


def _draw_plate(c: canvas.Canvas, x0: float, y0: float, text: PlateText, url: str, size: str):
    """Draw one plate with its lower-left corner at (x0, y0) in millimetres."""
    matrix = qr_matrix(url)
    lay = layout(size, matrix.size)
    w, h, m = lay.width, lay.height, lay.margin

    def rect(x, y_top, rw, rh, **kw):  # layout is y-down, PDF is y-up
        c.rect((x0 + x) * mm, (y0 + h - y_top - rh) * mm, rw * mm, rh * mm, **kw)

    c.setFillColor(PLATE_BLUE)
    c.roundRect(x0 * mm, y0 * mm, w * mm, h * mm, 0.04 * h * mm, stroke=0, fill=1)
    rule = max(0.6, 0.012 * h)
    c.setStrokeColor("#ffffff")
    c.setLineWidth(rule * mm)
    c.roundRect((x0 + 2 * rule) * mm, (y0 + 2 * rule) * mm, (w - 4 * rule) * mm,
                (h - 4 * rule) * mm, 0.03 * h * mm, stroke=1, fill=0)
    c.setFillColor("#ffffff")
    lx = x0 + m + 0.02 * h
    for value, fs, y_base, bold in (
        (text.headline, fit_font(text.headline, 0.30 * h, lay.text_w), m + 0.36 * h, True),
        (text.address, fit_font(text.address, 0.075 * h, lay.text_w), h - m - 0.16 * h, False),
        (text.community, fit_font(text.community, 0.07 * h, lay.text_w), h - m - 0.04 * h, False),
    ):
        font = outline_font(bold)
        if font is not None:
            font.draw(c, value, lx * mm, (y0 + h - y_base) * mm, fs * mm)
        else:
            c.setFont(CJK_FONT, fs * mm)
            c.drawString(lx * mm, (y0 + h - y_base) * mm, value)
    rect(lay.field_x, lay.field_y, lay.field_w, lay.field_h, stroke=0, fill=1)
    c.setFillColor("#000000")
    mod = lay.module
    path = c.beginPath()
    for row, col, n in matrix.runs():
        px = x0 + lay.qr_x + col * mod
        py = y0 + h - (lay.qr_y + (row + 1) * mod)
        path.rect(px * mm, py * mm, n * mod * mm, mod * mm)
    c.drawPath(path, stroke=0, fill=1)
    cap_fs = 0.085 * lay.qr_mm
    cap_y = lay.qr_y + lay.qr_mm + QUIET_ZONE_MODULES * mod * 0.6
    cx = x0 + lay.field_x + lay.field_w / 2
    c.setFillColor("#10243e")
    font = outline_font(False)
    if font is not None:
        font.draw(c, text.domain.lower(), cx * mm, (y0 + h - cap_y - cap_fs) * mm, cap_fs * mm,
                  anchor="middle")
    else:
        c.setFont("Helvetica", cap_fs * mm)
        c.drawCentredString(cx * mm, (y0 + h - cap_y - cap_fs) * mm, text.domain.lower())
    c.setFont(MONO_FONT, cap_fs * mm)
    c.drawCentredString(cx * mm, (y0 + h - cap_y - 2.25 * cap_fs) * mm, pretty(text.code))


def _crop_marks(c: canvas.Canvas, x0: float, y0: float, w: float, h: float) -> None:
    c.setStrokeColor("#000000")
    c.setLineWidth(0.2)
    k = 3.0
    for x, y, dx, dy in ((x0, y0, -1, -1), (x0 + w, y0, 1, -1), (x0, y0 + h, -1, 1),
                         (x0 + w, y0 + h, 1, 1)):
        c.line((x + dx * 1) * mm, y * mm, (x + dx * (1 + k)) * mm, y * mm)
        c.line(x * mm, (y + dy * 1) * mm, x * mm, (y + dy * (1 + k)) * mm)


def print_sheet(plates: Iterable[tuple[PlateText, str]], *, size: str = "medium",
                paper: str = "A4", title: str = "") -> bytes:
    """A PDF with the plates laid out in rows on ``paper`` (A4/A3 landscape).

    ``plates`` yields ``(text, url)`` pairs.  Returns the PDF bytes."""
    if size not in QR_MM:
        raise ValueError(f"unknown plate size {size!r}; one of {', '.join(QR_MM)}")
    if paper not in PAPERS:
        raise ValueError(f"unknown paper {paper!r}; one of {', '.join(PAPERS)}")
    _register_fonts()
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=PAPERS[paper], pageCompression=1)
    c.setTitle(title or "door plates")
    c.setCreator("Tianshui CIM")
    page_w, page_h = (v / mm for v in PAPERS[paper])
    placed = 0
    dirty = False  # the current page has something on it
    cursor = [GAP_MM, page_h - GAP_MM]  # x, top of the current row
    for text, url in plates:
        lay = layout(size, qr_matrix(url).size)
        pw, ph = lay.width, lay.height
        if pw + 2 * GAP_MM > page_w or ph + 2 * GAP_MM > page_h:
            if dirty:
                c.showPage()
            c.setPageSize(((pw + 2 * GAP_MM) * mm, (ph + 2 * GAP_MM) * mm))
            _draw_plate(c, GAP_MM, GAP_MM, text, url, size)
            _crop_marks(c, GAP_MM, GAP_MM, pw, ph)
            c.showPage()
            c.setPageSize(PAPERS[paper])
            placed += 1
            dirty = False
            cursor = [GAP_MM, page_h - GAP_MM]
            continue
        if cursor[0] + pw + GAP_MM > page_w:
            cursor = [GAP_MM, cursor[1] - ph - GAP_MM]
        if cursor[1] - ph < GAP_MM:
            c.showPage()
            cursor = [GAP_MM, page_h - GAP_MM]
        x, y = cursor[0], cursor[1] - ph
        _draw_plate(c, x, y, text, url, size)
        _crop_marks(c, x, y, pw, ph)
        cursor[0] += pw + GAP_MM
        placed += 1
        dirty = True
    if placed == 0:
        c.setFont("Helvetica", 12)
        c.drawString(20 * mm, page_h * mm - 20 * mm, "no plates")
        dirty = True
    if dirty:
        c.showPage()
    c.save()
    return out.getvalue()

"""Plate artwork in the standard blue style, as SVG in millimetres and PNG.

Layout (all sizes follow from the QR size of the plate size class):
blue ground with a thin white rule; on the left the road and door number in
large white type, under it the standard address and the community in smaller
type; on the right a white field holding the QR (with its 4-module quiet
zone) and, under the QR, the short domain and the plate code in dark type so
that a resident can compare them with the page the QR opens (and spot a fake
sticker pasted over the code).
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

from .codes import pretty
from .qr import QUIET_ZONE_MODULES, QrMatrix, qr_matrix

PLATE_BLUE = "#0b4ea2"
INK = "#10243e"
FONT = "'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',sans-serif"

# QR edge length (symbol without quiet zone) per size class, in millimetres.
QR_MM = {"large": 120.0, "medium": 75.0, "small": 40.0}


@dataclass(frozen=True)
class PlateText:
    """What a plate says besides its QR."""

    headline: str          # road + number, e.g. 民主路 12号
    address: str           # the standard address
    community: str         # e.g. 大城街道进步巷社区
    domain: str            # short domain printed under the QR
    code: str              # the plate code


@dataclass(frozen=True)
class Layout:
    """Positions in millimetres, computed once per size and QR version."""

    width: float
    height: float
    margin: float
    module: float
    field_x: float
    field_y: float
    field_w: float
    field_h: float
    qr_x: float
    qr_y: float
    qr_mm: float
    text_w: float


def layout(size: str, modules: int) -> Layout:
    if size not in QR_MM:
        raise ValueError(f"unknown plate size {size!r}; one of {', '.join(QR_MM)}")
    qr_mm = QR_MM[size]
    module = qr_mm / modules
    quiet = QUIET_ZONE_MODULES * module
    field_w = qr_mm + 2 * quiet
    caption_h = 0.26 * qr_mm
    field_h = field_w + caption_h
    margin = 0.08 * field_h
    height = field_h + 2 * margin
    width = round(height * 2.9, 1)
    field_x = width - margin - field_w
    return Layout(
        width=width, height=round(height, 1), margin=margin, module=module,
        field_x=field_x, field_y=margin, field_w=field_w, field_h=field_h,
        qr_x=field_x + quiet, qr_y=margin + quiet, qr_mm=qr_mm,
        text_w=field_x - 2 * margin,
    )


def text_width(text: str, font_size: float) -> float:
    """Rough advance width: CJK glyphs are square, Latin ones about half."""
    return sum(font_size if ord(ch) > 0x2E80 else 0.56 * font_size for ch in text)


def fit_font(text: str, preferred: float, available: float) -> float:
    width = text_width(text, preferred)
    return preferred if width <= available else preferred * available / width


def qr_path(matrix: QrMatrix) -> str:
    """SVG path data of the dark modules, in module units."""
    return "".join(f"M{x} {y}h{n}v1h-{n}z" for y, x, n in matrix.runs())


def plate_svg(*, text: PlateText, url: str, size: str = "medium") -> str:
    """The plate as an SVG document whose user unit is one millimetre."""
    matrix = qr_matrix(url)
    lay = layout(size, matrix.size)
    w, h, m = lay.width, lay.height, lay.margin
    head_fs = fit_font(text.headline, 0.30 * h, lay.text_w)
    addr_fs = fit_font(text.address, 0.075 * h, lay.text_w)
    comm_fs = fit_font(text.community, 0.07 * h, lay.text_w)
    cap_fs = 0.085 * lay.qr_mm
    cap_y = lay.qr_y + lay.qr_mm + QUIET_ZONE_MODULES * lay.module * 0.6
    rule = max(0.6, 0.012 * h)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}mm" height="{h}mm" '
        f'viewBox="0 0 {w} {h}">',
        f"<title>{escape(text.headline)} {escape(text.code)}</title>",
        f'<rect width="{w}" height="{h}" rx="{0.04 * h:.2f}" fill="{PLATE_BLUE}"/>',
        f'<rect x="{rule * 2:.2f}" y="{rule * 2:.2f}" width="{w - rule * 4:.2f}" '
        f'height="{h - rule * 4:.2f}" rx="{0.03 * h:.2f}" fill="none" stroke="#fff" '
        f'stroke-width="{rule:.2f}"/>',
        f'<g fill="#fff" font-family="{FONT}">',
        f'<text x="{m + 0.02 * h:.2f}" y="{m + 0.36 * h:.2f}" font-size="{head_fs:.2f}" '
        f'font-weight="700">{escape(text.headline)}</text>',
        f'<text x="{m + 0.02 * h:.2f}" y="{h - m - 0.16 * h:.2f}" '
        f'font-size="{addr_fs:.2f}">{escape(text.address)}</text>',
        f'<text x="{m + 0.02 * h:.2f}" y="{h - m - 0.04 * h:.2f}" '
        f'font-size="{comm_fs:.2f}" opacity="0.9">{escape(text.community)}</text>',
        "</g>",
        f'<rect x="{lay.field_x:.3f}" y="{lay.field_y:.3f}" width="{lay.field_w:.3f}" '
        f'height="{lay.field_h:.3f}" fill="#fff"/>',
        f'<path transform="translate({lay.qr_x:.3f} {lay.qr_y:.3f}) scale({lay.module:.5f})" '
        f'fill="#000" shape-rendering="crispEdges" d="{qr_path(matrix)}"/>',
        f'<g fill="{INK}" font-family="{FONT}" text-anchor="middle">',
        f'<text x="{lay.field_x + lay.field_w / 2:.2f}" y="{cap_y + cap_fs:.2f}" '
        f'font-size="{cap_fs:.2f}">{escape(text.domain.lower())}</text>',
        f'<text x="{lay.field_x + lay.field_w / 2:.2f}" y="{cap_y + 2.25 * cap_fs:.2f}" '
        f'font-size="{cap_fs:.2f}" font-weight="700" font-family="DejaVu Sans Mono,monospace" '
        f'letter-spacing="{0.05 * cap_fs:.2f}">{escape(pretty(text.code))}</text>',
        "</g>",
        "</svg>",
    ]
    return "\n".join(parts)


def plate_png(*, text: PlateText, url: str, size: str = "medium", dpi: int = 150) -> bytes:
    """The same artwork rasterised (cairosvg); ``dpi`` sets the pixel size."""
    import cairosvg

    return cairosvg.svg2png(bytestring=plate_svg(text=text, url=url, size=size).encode(), dpi=dpi)

"""Text as vector outlines for print PDFs (fontTools glyphs → reportlab paths).

Print shops want fonts converted to outlines, and a PDF with outlined text
looks the same in every reader, with no font to embed or substitute.  Noto
Sans CJK (Debian ``fonts-noto-cjk``) is an OpenType/CFF collection that
reportlab cannot embed, so its glyph outlines are drawn directly.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from pathlib import Path

from fontTools.pens.basePen import BasePen
from fontTools.ttLib import TTFont

_FALLBACK_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
)


def find_cjk_font(bold: bool = False) -> tuple[str, int] | None:
    """(file, index in the collection) of a Simplified Chinese sans font."""
    pattern = "Noto Sans CJK SC" + (":bold" if bold else "")
    if shutil.which("fc-match"):
        try:
            out = subprocess.run(["fc-match", "-f", "%{file}|%{index}|%{family}", pattern],
                                 capture_output=True, text=True, timeout=5).stdout
            file, index, family = out.split("|", 2)
            if "CJK" in family and Path(file).exists():
                return file, int(index or 0)
        except (OSError, ValueError, subprocess.SubprocessError):
            pass
    for file in _FALLBACK_FILES:
        if Path(file).exists():
            return file, 2  # SC is the third face of the Noto CJK collections
    return None


class _PathPen(BasePen):
    def __init__(self, glyph_set, path, scale: float, dx: float, dy: float):
        super().__init__(glyph_set)
        self.path, self.s, self.dx, self.dy = path, scale, dx, dy

    def _pt(self, p):
        return self.dx + p[0] * self.s, self.dy + p[1] * self.s

    def _moveTo(self, p):
        self.path.moveTo(*self._pt(p))

    def _lineTo(self, p):
        self.path.lineTo(*self._pt(p))

    def _curveToOne(self, p1, p2, p3):
        self.path.curveTo(*self._pt(p1), *self._pt(p2), *self._pt(p3))

    def _qCurveToOne(self, p1, p2):
        p0 = self._getCurrentPoint()
        c1 = (p0[0] + 2 / 3 * (p1[0] - p0[0]), p0[1] + 2 / 3 * (p1[1] - p0[1]))
        c2 = (p2[0] + 2 / 3 * (p1[0] - p2[0]), p2[1] + 2 / 3 * (p1[1] - p2[1]))
        self._curveToOne(c1, c2, p2)

    def _closePath(self):
        self.path.close()


class OutlineFont:
    """One face of a font file, able to draw strings as filled paths."""

    def __init__(self, file: str, index: int = 0):
        self.font = TTFont(file, fontNumber=index, lazy=True)
        self.cmap = self.font.getBestCmap()
        self.glyphs = self.font.getGlyphSet()
        self.upem = self.font["head"].unitsPerEm
        self.hmtx = self.font["hmtx"]

    def width(self, text: str, size: float) -> float:
        return sum(self.hmtx[self.cmap.get(ord(ch), ".notdef")][0] for ch in text) * size / self.upem

    def _form(self, canvas, name: str) -> str:
        """Each glyph is drawn once per PDF as a form XObject in font units and
        reused, so a sheet of hundreds of plates stays small."""
        done = canvas.__dict__.setdefault("_cim_glyph_forms", set())
        form = f"g{id(self) % 100000}_{name}".replace(".", "_")
        if form not in done:
            canvas.beginForm(form, -self.upem, -self.upem, 2 * self.upem, 2 * self.upem)
            path = canvas.beginPath()
            self.glyphs[name].draw(_PathPen(self.glyphs, path, 1.0, 0.0, 0.0))
            canvas.drawPath(path, stroke=0, fill=1, fillMode=0)
            canvas.endForm()
            done.add(form)
        return form

    def draw(self, canvas, text: str, x: float, y: float, size: float, *, anchor: str = "start"):
        """Fill ``text`` with its baseline at (x, y) in points, ``size`` in points."""
        if anchor == "middle":
            x -= self.width(text, size) / 2
        scale = size / self.upem
        for ch in text:
            name = self.cmap.get(ord(ch), ".notdef")
            if not ch.isspace():
                form = self._form(canvas, name)
                canvas.saveState()
                canvas.transform(scale, 0, 0, scale, x, y)
                canvas.doForm(form)
                canvas.restoreState()
            x += self.hmtx[name][0] * scale


@functools.lru_cache(maxsize=4)
def outline_font(bold: bool = False) -> OutlineFont | None:
    found = find_cjk_font(bold)
    return OutlineFont(*found) if found else None

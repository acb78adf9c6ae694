"""Placing labels once per zoom level, in global pixels, without overlaps.

Names along roads and rivers are set character by character, each upright
(the way Chinese maps letter streets), read left to right or top to bottom;
place names are centred on their point.  Whatever is placed first wins; the
caller places the most important names first.  Each glyph is filed under
every tile it touches, so that both tiles draw their half of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cim.basemap import style as st
from cim.basemap.webmercator import TILE

CELL = 64
HALO_PX = 2
SAME_NAME_GAP_PX = 240  # the same name no closer than this to itself


@dataclass(frozen=True)
class Glyph:
    """A piece of text centred at global pixel (x, y)."""

    text: str
    x: float
    y: float
    size: int
    fill: tuple[int, int, int]


TileLabels = dict[tuple[int, int], list[Glyph]]


class LabelPlacer:
    def __init__(self, font: Callable[[int], object]):
        self.font = font
        self.tiles: TileLabels = {}
        self._grid: dict[tuple[int, int], list[tuple[float, float, float, float]]] = {}
        self._placed: dict[str, list[tuple[float, float]]] = {}

    # --- collision --------------------------------------------------------------------------

    def _cells(self, box):
        x0, y0, x1, y1 = box
        for cx in range(int(x0 // CELL), int(x1 // CELL) + 1):
            for cy in range(int(y0 // CELL), int(y1 // CELL) + 1):
                yield cx, cy

    def _free(self, box) -> bool:
        x0, y0, x1, y1 = box
        for cell in self._cells(box):
            for a0, b0, a1, b1 in self._grid.get(cell, ()):
                if x0 < a1 and a0 < x1 and y0 < b1 and b0 < y1:
                    return False
        return True

    def _near_same(self, text: str, x: float, y: float) -> bool:
        return any(np.hypot(x - px, y - py) < SAME_NAME_GAP_PX for px, py in self._placed.get(text, ()))

    def _commit(self, text: str, glyphs: list[tuple[Glyph, tuple]]) -> None:
        for glyph, box in glyphs:
            for cell in self._cells(box):
                self._grid.setdefault(cell, []).append(box)
            x0, y0, x1, y1 = box
            for tx in range(int(x0 // TILE), int(x1 // TILE) + 1):
                for ty in range(int(y0 // TILE), int(y1 // TILE) + 1):
                    self.tiles.setdefault((tx, ty), []).append(glyph)
        mid = glyphs[len(glyphs) // 2][0]
        self._placed.setdefault(text, []).append((mid.x, mid.y))

    def _box(self, text: str, x: float, y: float, size: int):
        left, top, right, bottom = self.font(size).getbbox(text, anchor="mm")
        pad = HALO_PX + 1
        return (x + left - pad, y + top - pad, x + right + pad, y + bottom + pad)

    # --- placing ----------------------------------------------------------------------------

    def point(self, text: str, x: float, y: float, *, size: int, fill) -> bool:
        """A name centred at (x, y); False when it would overlap a placed one."""
        box = self._box(text, x, y, size)
        if not self._free(box) or self._near_same(text, x, y):
            return False
        self._commit(text, [(Glyph(text, x, y, size, fill), box)])
        return True

    def along(self, text: str, line, *, size: int, fill) -> int:
        """A name along a line (global pixels), in the middle and again every
        ``LABEL_REPEAT_PX`` of a long line; returns how many were placed."""
        chars = [c for c in text if not c.isspace()]
        length = line.length
        step = size + 2
        need = step * len(chars)
        if not chars or length < need + step:
            return 0
        if length > 1.5 * st.LABEL_REPEAT_PX:
            centres = np.arange(st.LABEL_REPEAT_PX / 2, length - need / 2, st.LABEL_REPEAT_PX)
        else:
            centres = [length / 2]
        placed = 0
        for centre in centres:
            start = centre - need / 2
            if start < 0 or start + need > length:
                continue
            ds = start + step * (np.arange(len(chars)) + 0.5)
            pts = [line.interpolate(d) for d in ds]
            xy = np.array([(p.x, p.y) for p in pts])
            gaps = np.hypot(*np.diff(xy, axis=0).T)
            if len(gaps) and gaps.min() < 0.75 * step:  # a sharp bend: the letters would crowd
                continue
            dx, dy = xy[-1] - xy[0]
            if (abs(dx) >= abs(dy) and dx < 0) or (abs(dy) > abs(dx) and dy < 0):
                xy = xy[::-1]  # read left to right, or top to bottom
            glyphs = [(Glyph(c, float(x), float(y), size, fill), self._box(c, x, y, size))
                      for c, (x, y) in zip(chars, xy, strict=True)]
            mx, my = xy[len(xy) // 2]
            if self._near_same(text, mx, my) or not all(self._free(b) for _, b in glyphs):
                continue
            self._commit(text, glyphs)
            placed += 1
        return placed


__all__ = ["Glyph", "LabelPlacer", "TileLabels"]

"""What the QR code on a plate holds, and the module matrix to draw it."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import segno

QUIET_ZONE_MODULES = 4
ERROR_LEVEL = "Q"


def plate_url(code: str, host: str) -> str:
    """The only thing the QR holds: an upper-case URL (QR alphanumeric mode)."""
    host = host.strip().rstrip("/").upper()
    for prefix in ("HTTPS://", "HTTP://"):
        if host.startswith(prefix):
            host = host[len(prefix):]
    return f"HTTPS://{host}/P/{code.upper()}"


@dataclass(frozen=True)
class QrMatrix:
    """A QR symbol as rows of booleans (dark = True), without quiet zone."""

    url: str
    version: int
    error: str
    rows: tuple[tuple[bool, ...], ...]

    @property
    def size(self) -> int:
        return len(self.rows)

    def runs(self):
        """Horizontal runs of dark modules: ``(row, first column, length)``.
        Drawing runs instead of single modules keeps SVG/PDF small."""
        for y, row in enumerate(self.rows):
            x = 0
            n = len(row)
            while x < n:
                if row[x]:
                    start = x
                    while x < n and row[x]:
                        x += 1
                    yield y, start, x - start
                else:
                    x += 1


@functools.lru_cache(maxsize=256)
def qr_matrix(url: str) -> QrMatrix:
    """Encode at level Q exactly (segno would otherwise raise it to H when H
    fits the same version, making the plates of one batch inconsistent).
    Cached (the matrix is immutable): a print sheet lays a plate out and then
    draws it, and encoding is most of a sheet's time."""
    qr = segno.make(url, error=ERROR_LEVEL.lower(), boost_error=False, micro=False)
    rows = tuple(tuple(bool(v) for v in row) for row in qr.matrix)
    return QrMatrix(url=url, version=int(qr.version), error=qr.error, rows=rows)

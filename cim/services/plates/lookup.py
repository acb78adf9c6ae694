"""A typed or scanned code → its plate, or the existing codes one typo away."""

from __future__ import annotations

from cim.models import Plate
from cim.plates import codes

__all__ = ["plate_code_lookup"]


def plate_code_lookup(raw: str) -> tuple[str | None, Plate | None, list[str]]:
    """Normalise a typed or scanned code and find its plate.  Returns
    ``(normalised code or None, plate or None, existing corrections)``."""
    try:
        code = codes.normalize(raw)
    except codes.CodeError:
        return None, None, []
    if codes.is_valid(code):
        plate = Plate.objects.select_related("address").filter(code=code).first()
        return code, plate, []
    if len(code) != codes.CODE_LENGTH:
        return code, None, []
    candidates = codes.corrections(code)
    found = list(Plate.objects.filter(code__in=candidates).values_list("code", flat=True))
    return code, None, sorted(found)

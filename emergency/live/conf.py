"""The live path's derived settings.  Every setting is declared in
:mod:`emergency.conf`; the age after which a unit's position counts as stale
is ``UNIT_POSITION_STALE_S`` (the same notion the recommendation uses).
"""

from __future__ import annotations

from emergency.conf import emergency_settings

__all__ = ["stale_after_s"]


def stale_after_s() -> float:
    return float(emergency_settings.UNIT_POSITION_STALE_S)

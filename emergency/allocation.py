"""Choosing depots for a quantity of one item (pure: no Django).

The nearest depot by road that holds the whole quantity supplies it alone
(one trip); when no single depot holds enough, the nearest depots supply it
together, nearest first.  Depots with no road route count after all others.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Offer", "allocate"]


@dataclass(frozen=True)
class Offer:
    depot: int
    available: int
    seconds: float  # road time to the incident; inf when unreachable


def allocate(need: int, offers: list[Offer]) -> tuple[list[tuple[int, int]], int]:
    """``([(depot, quantity), …], shortfall)`` for ``need`` units of an item."""
    if need <= 0:
        return [], 0
    ranked = sorted((o for o in offers if o.available > 0),
                    key=lambda o: (math.isinf(o.seconds), o.seconds, o.depot))
    for offer in ranked:
        if offer.available >= need:
            return [(offer.depot, need)], 0
    picks, left = [], need
    for offer in ranked:
        take = min(offer.available, left)
        picks.append((offer.depot, take))
        left -= take
        if left == 0:
            break
    return picks, left

"""The order of the event stream (pure: no Django).

Event ids come from a database sequence, taken when the event row is
written; transactions commit in another order, and a rolled-back one leaves
its id unused.  A console must still see the events in increasing id order,
without gaps or repeats, so each ASGI process keeps one
:class:`EventCursor`:

* the next id (watermark + 1) goes out at once;
* a later id reveals a hole: the events visible in the database are read
  together with the database snapshot (``pg_current_snapshot()``).  Events
  up to the hole go out; the hole holds the rest back until every
  transaction that was running when the hole was seen has ended (then a
  missing id was rolled back: committed ones are visible by then), or for
  at most ``hold_s`` (a transaction open that long is given up on; if it
  commits after all, its event goes out late rather than never);
* an id at or below the watermark that did not go out yet is such a late
  event; one that did is a repeat and is dropped.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["EventCursor", "Snapshot", "parse_snapshot"]


@dataclass(frozen=True)
class Snapshot:
    """A PostgreSQL snapshot: transactions below ``xmin`` have ended; those
    in ``xip`` were in progress."""

    xmin: int
    xmax: int
    xip: frozenset[int]


def parse_snapshot(text: str) -> Snapshot:
    """``"xmin:xmax:xip,xip"`` (the text form of ``pg_snapshot``)."""
    xmin, xmax, xip = text.split(":")
    return Snapshot(int(xmin), int(xmax), frozenset(int(x) for x in xip.split(",") if x))


class EventCursor:
    """What to deliver next, given the ids seen live and read back."""

    def __init__(self, watermark: int, *, hold_s: float, remember: int = 10000) -> None:
        self.watermark = watermark
        self.hold_s = hold_s
        self._hold: tuple[float, frozenset[int]] | None = None
        self._recent: deque[int] = deque(maxlen=remember)
        self._recent_set: set[int] = set()

    @property
    def holding(self) -> bool:
        return self._hold is not None

    def _remember(self, event_id: int) -> None:
        if len(self._recent) == self._recent.maxlen:
            self._recent_set.discard(self._recent[0])
        self._recent.append(event_id)
        self._recent_set.add(event_id)

    def _advance(self, event_id: int) -> None:
        self.watermark = event_id
        self._hold = None
        self._remember(event_id)

    def classify(self, event_id: int) -> str:
        """``"next"`` (deliver now), ``"ahead"`` (a hole before it),
        ``"late"`` (below the watermark, never delivered) or ``"repeat"``."""
        if event_id == self.watermark + 1:
            return "next"
        if event_id > self.watermark:
            return "ahead"
        return "repeat" if event_id in self._recent_set else "late"

    def take_next(self, event_id: int) -> None:
        assert event_id == self.watermark + 1
        self._advance(event_id)

    def take_late(self, event_id: int) -> None:
        self._remember(event_id)

    def resolve(self, visible: Iterable[int], snapshot: Snapshot, now: float) -> list[int]:
        """Given the ids above the watermark visible in the database (read
        with ``snapshot``), the ids to deliver now, in order."""
        out: list[int] = []
        for event_id in sorted(visible):
            if event_id <= self.watermark:
                continue
            if event_id == self.watermark + 1:
                self._advance(event_id)
                out.append(event_id)
                continue
            if self._hold is None:
                if not snapshot.xip:  # nothing in flight: the missing ids were rolled back
                    self._advance(event_id)
                    out.append(event_id)
                    continue
                self._hold = (now, snapshot.xip)
                break
            since, running = self._hold
            if not (running & snapshot.xip) or now - since >= self.hold_s:
                self._advance(event_id)
                out.append(event_id)
                continue
            break
        return out

"""What an import read, loaded and refused, per layer (pure; no Django).

Every importer fills one :class:`ImportReport`; the import service stores its
``counts()`` in the ``ImportRun`` and one ``RejectedFeature`` per
:class:`Rejection`, and the management command prints ``table()``.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

# Reasons a single feature is refused (RejectedFeature.reason).
INVALID_GEOMETRY = "invalid_geometry"
EMPTY_GEOMETRY = "empty_geometry"
TOO_FEW_POINTS = "too_few_points"
UNCLOSED_RING = "unclosed_ring"
MISSING_NODES = "missing_nodes"
MISSING_MEMBERS = "missing_members"
WRONG_GEOMETRY_TYPE = "wrong_geometry_type"
ABSURD_HEIGHT = "absurd_height"
UNKNOWN_VALUE = "unknown_value"
BAD_VALUE = "bad_value"
MISSING_VALUE = "missing_value"
DUPLICATE_ID = "duplicate_id"
NOT_A_BUILDING = "not_a_building"
NOT_A_ROAD = "not_a_road"
OUT_OF_RANGE = "out_of_range"


@dataclass(frozen=True)
class Rejection:
    layer: str
    source_id: str
    reason: str
    detail: str = ""


@dataclass
class LayerCount:
    """Counts of one layer: features read, loaded (new + updated), refused."""

    read: int = 0
    inserted: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: Counter = field(default_factory=Counter)
    derived: bool = False  # made by the importer (road segments, nodes), not read

    @property
    def imported(self) -> int:
        return self.inserted + self.updated

    def as_dict(self) -> dict:
        data = {"read": self.read, "imported": self.imported, "inserted": self.inserted,
                "updated": self.updated, "rejected": sum(self.rejected.values())}
        if self.skipped:
            data["skipped"] = self.skipped
        if self.rejected:
            data["rejected_by_reason"] = dict(sorted(self.rejected.items()))
        return data


@dataclass
class ImportReport:
    """The running tally of one import."""

    layers: dict[str, LayerCount] = field(default_factory=dict)
    rejections: list[Rejection] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def timed(self, step: str) -> Iterator[None]:
        """Add the wall time of the block to ``timings[step]``."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[step] = self.timings.get(step, 0.0) + time.perf_counter() - started

    def layer(self, name: str, *, derived: bool = False) -> LayerCount:
        if name not in self.layers:
            self.layers[name] = LayerCount(derived=derived)
        return self.layers[name]

    def reject(self, layer: str, source_id: str, reason: str, detail: str = "") -> None:
        self.layer(layer).rejected[reason] += 1
        self.rejections.append(Rejection(layer, str(source_id)[:128], reason, detail))

    def merge(self, other: ImportReport) -> None:
        """Add what ``other`` counted (a report filled in another process)."""
        for name, theirs in other.layers.items():
            mine = self.layer(name, derived=theirs.derived)
            mine.read += theirs.read
            mine.inserted += theirs.inserted
            mine.updated += theirs.updated
            mine.skipped += theirs.skipped
            mine.rejected.update(theirs.rejected)
        self.rejections.extend(other.rejections)
        self.notes.extend(other.notes)
        for step, seconds in other.timings.items():
            self.timings[step] = self.timings.get(step, 0.0) + seconds

    def loaded(self, layer: str, *, inserted: int, updated: int) -> None:
        count = self.layer(layer)
        count.inserted += inserted
        count.updated += updated

    def counts(self) -> dict:
        """JSON for ``ImportRun.counts``."""
        data: dict = {name: c.as_dict() for name, c in self.layers.items()}
        if self.timings:
            data["seconds"] = {step: round(s, 3) for step, s in self.timings.items()}
        if self.notes:
            data["notes"] = list(self.notes)
        return data

    def table(self) -> str:
        """A plain-text summary: read / imported / rejected per layer, then
        rejections by reason."""
        header = f"{'layer':<22}{'read':>9}{'imported':>10}{'new':>9}{'updated':>9}{'rejected':>10}"
        lines = [header, "-" * len(header)]
        for name, c in self.layers.items():
            read = "-" if c.derived else str(c.read)
            lines.append(f"{name:<22}{read:>9}{c.imported:>10}{c.inserted:>9}{c.updated:>9}"
                         f"{sum(c.rejected.values()):>10}")
        reasons = [(name, reason, n) for name, c in self.layers.items()
                   for reason, n in sorted(c.rejected.items())]
        if reasons:
            lines.append("")
            lines.append("rejected by reason:")
            lines.extend(f"  {name:<20}{reason:<24}{n:>8}" for name, reason, n in reasons)
        skipped = [(name, c.skipped) for name, c in self.layers.items() if c.skipped]
        if skipped:
            lines.append("")
            lines.extend(f"skipped ({name}): {n}" for name, n in skipped)
        lines.extend(self.notes)
        return "\n".join(lines)

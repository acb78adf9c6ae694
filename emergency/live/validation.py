"""Validation of AVL position reports (pure: no Django).

A batch is checked item by item; each item is accepted as a :class:`Fix` or
refused with a :class:`Rejection` naming the field and the reason.  Rules:

* shape: an object with ``unit`` (id), ``lon``, ``lat`` (numbers), optional
  ``at`` (ISO 8601 with a UTC offset; default: the time it was received),
  ``speed_kmh`` (0 … max) and ``heading`` (degrees, 0 ≤ h ≤ 360; 360 is 0);
* coordinates finite and in range, and inside the service extent (a GPS that
  lost its fix reports 0,0 or swaps lon/lat; a unit on a mission far outside
  the city is allowed through a larger extent setting);
* time not in the future beyond a small clock skew and not older than the
  history is kept;
* identity and authorisation (:func:`authorise`): the unit must exist; the
  control room (admin, commander, dispatcher — the city's command centre,
  also AVL gateways logging in with such an account) may report any unit;
  a responder only the units they are a member of: a unit of another agency
  and a unit of their own agency they do not crew are refused with
  different reasons.

A fix older than the unit's current one is still accepted (it is history);
it just does not move the unit (that is decided in the database).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Fix",
    "Policy",
    "Rejection",
    "Reporter",
    "UnitRef",
    "authorise",
    "parse_item",
    "requested_unit_ids",
    "validate_batch",
]

ITEM_FIELDS = frozenset({"unit", "lon", "lat", "at", "speed_kmh", "heading"})


@dataclass(frozen=True)
class Fix:
    """One accepted position report."""

    index: int
    unit: int
    lon: float
    lat: float
    at: dt.datetime
    speed_kmh: float | None = None
    heading: float | None = None


@dataclass(frozen=True)
class Rejection:
    """One refused item: which (index in the batch, unit as sent), the field
    at fault, a machine code and a sentence."""

    index: int
    unit: Any
    field: str
    code: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        unit = self.unit if isinstance(self.unit, (int, str)) and not isinstance(self.unit, bool) else None
        return {"index": self.index, "unit": unit, "field": self.field, "code": self.code,
                "reason": self.reason}


@dataclass(frozen=True)
class UnitRef:
    """What authorisation needs to know about a unit."""

    id: int
    code: str
    agency_id: int
    agency_name: str = ""


@dataclass(frozen=True)
class Reporter:
    """Who sends: ``any_unit`` for the control room; otherwise the units the
    responder crews and their agencies."""

    any_unit: bool
    own_units: frozenset[int] = frozenset()
    own_agencies: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Policy:
    """The limits in force for one batch."""

    now: dt.datetime
    max_skew_s: float = 30.0
    max_age_s: float = 7 * 24 * 3600.0
    max_speed_kmh: float = 400.0
    # (min lon, min lat, max lon, max lat), or None for the whole globe
    extent: tuple[float, float, float, float] | None = None
    batch_max: int = 1000


def _number(raw: Mapping, name: str) -> float | None | Rejection:
    """A finite number, None when absent/null, or a Rejection (index patched later)."""
    value = raw.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return Rejection(-1, None, name, "not_a_number", f"{name} must be a number")
    number = float(value)
    if not math.isfinite(number):
        return Rejection(-1, None, name, "not_finite", f"{name} must be a finite number")
    return number


def _parse_time(value: Any, now: dt.datetime) -> dt.datetime | str:
    """A timezone-aware datetime, or the reason it is not one."""
    if value is None:
        return now
    if not isinstance(value, str) or len(value) > 40:
        return "at must be an ISO 8601 time string"
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return f"at {value!r} is not an ISO 8601 time"
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        return "at needs a UTC offset (e.g. 2025-05-01T08:00:00+08:00 or …Z)"
    return parsed


def parse_item(index: int, raw: Any, policy: Policy) -> Fix | Rejection:
    """Check one item's shape, coordinates and time (not the unit)."""
    if not isinstance(raw, Mapping):
        return Rejection(index, None, "item", "not_an_object", "each position must be a JSON object")
    unit = raw.get("unit")

    def reject(name: str, code: str, reason: str) -> Rejection:
        return Rejection(index, unit, name, code, reason)

    unknown = set(raw) - ITEM_FIELDS
    if unknown:
        return reject(sorted(unknown)[0], "unknown_field",
                      f"unknown field {sorted(unknown)[0]!r}; allowed: {', '.join(sorted(ITEM_FIELDS))}")
    if isinstance(unit, bool) or not isinstance(unit, int) or not 0 < unit < 2**62:
        return reject("unit", "invalid", "unit must be a unit id (a positive integer)")
    values: dict[str, float | None] = {}
    for name in ("lon", "lat", "speed_kmh", "heading"):
        got = _number(raw, name)
        if isinstance(got, Rejection):
            return reject(got.field, got.code, got.reason)
        values[name] = got
    lon, lat = values["lon"], values["lat"]
    if lon is None:
        return reject("lon", "required", "lon is required")
    if lat is None:
        return reject("lat", "required", "lat is required")
    if not -180.0 <= lon <= 180.0:
        return reject("lon", "out_of_range", f"lon {lon} is outside [-180, 180]")
    if not -90.0 <= lat <= 90.0:
        return reject("lat", "out_of_range", f"lat {lat} is outside [-90, 90]")
    if policy.extent is not None:
        x0, y0, x1, y1 = policy.extent
        if not (x0 <= lon <= x1 and y0 <= lat <= y1):
            return reject("lon", "outside_extent",
                          f"({lon:.5f}, {lat:.5f}) lies outside the service area "
                          f"[{x0:.3f}, {y0:.3f}, {x1:.3f}, {y1:.3f}]")
    speed, heading = values["speed_kmh"], values["heading"]
    if speed is not None and not 0.0 <= speed <= policy.max_speed_kmh:
        return reject("speed_kmh", "out_of_range",
                      f"speed_kmh {speed} is outside [0, {policy.max_speed_kmh:g}]")
    if heading is not None:
        if not 0.0 <= heading <= 360.0:
            return reject("heading", "out_of_range", f"heading {heading} is outside [0, 360]")
        heading = heading % 360.0
    at = _parse_time(raw.get("at"), policy.now)
    if isinstance(at, str):
        return reject("at", "invalid", at)
    ahead = (at - policy.now).total_seconds()
    if ahead > policy.max_skew_s:
        return reject("at", "in_future",
                      f"at lies {ahead:.0f} s in the future (more than {policy.max_skew_s:g} s)")
    if -ahead > policy.max_age_s:
        return reject("at", "too_old",
                      f"at is {-ahead / 3600:.1f} h old; positions older than "
                      f"{policy.max_age_s / 3600:g} h are not kept")
    return Fix(index=index, unit=unit, lon=lon, lat=lat, at=at, speed_kmh=speed, heading=heading)


def requested_unit_ids(items: Iterable[Any]) -> set[int]:
    """The unit ids a batch names (to load them in one query)."""
    return {item["unit"] for item in items
            if isinstance(item, Mapping) and isinstance(item.get("unit"), int)
            and not isinstance(item.get("unit"), bool) and 0 < item["unit"] < 2**62}


def authorise(fix: Fix, units: Mapping[int, UnitRef], reporter: Reporter) -> Rejection | None:
    """Whether ``reporter`` may report ``fix.unit``; the refusal otherwise."""
    unit = units.get(fix.unit)
    if unit is None:
        return Rejection(fix.index, fix.unit, "unit", "unknown_unit", f"unit {fix.unit} does not exist")
    if reporter.any_unit or fix.unit in reporter.own_units:
        return None
    if unit.agency_id not in reporter.own_agencies:
        return Rejection(fix.index, fix.unit, "unit", "other_agency",
                         f"unit {unit.code} belongs to another agency"
                         f"{' (' + unit.agency_name + ')' if unit.agency_name else ''}; "
                         "you may report only your own unit")
    return Rejection(fix.index, fix.unit, "unit", "not_member",
                     f"you are not a member of unit {unit.code}; you may report only your own unit")


def validate_batch(items: list[Any], *, policy: Policy, units: Mapping[int, UnitRef],
                   reporter: Reporter) -> tuple[list[Fix], list[Rejection]]:
    """Every item accepted or refused (in batch order).  A second report of
    the same unit at the same time in one batch is refused as a duplicate."""
    accepted: list[Fix] = []
    rejected: list[Rejection] = []
    seen: set[tuple[int, dt.datetime]] = set()
    for index, raw in enumerate(items):
        checked = parse_item(index, raw, policy)
        if isinstance(checked, Fix):
            refusal = authorise(checked, units, reporter)
            if refusal is None and (checked.unit, checked.at) in seen:
                refusal = Rejection(index, checked.unit, "at", "duplicate",
                                    "the same unit at the same time appears earlier in the batch")
            if refusal is None:
                seen.add((checked.unit, checked.at))
                accepted.append(checked)
                continue
            checked = refusal
        rejected.append(checked)
    return accepted, rejected

"""Labels, full names and hierarchical codes of standard addresses.

Full name (decided here, used everywhere): district + street/town + community
+ road + door number + [building] + [unit] + [room], e.g.
``秦州区大城街道进步巷社区民主路12号3单元502室``.  The community stays in the
name because the 一标三实 registers and the residents' committees file by
community and because searching by community name then just works; the plate
itself carries the short form (road + number, ``民主路12号``) in large type and
the full name in small type.

Code (after GB/T 39609's segments), fixed width and sortable::

    620502001001-0012-00120-000-03-0502
    community    road  door  bldg unit room

* community: the 12-digit statistical division code of the community;
* road: the thoroughfare's 4-digit serial within its district (a thoroughfare
  itself is ``<district 6 digits>-T<serial>``);
* door: 4-digit number + one suffix character (``0`` none, ``1``–``9`` for
  附号 12-1…12-9, ``A``–``Z`` for 12A…);
* building: 3 digits (``000`` when the door has a single building);
* unit: 2 digits; room: floor × 100 + room on that floor (4 digits).
"""

from __future__ import annotations

import re

import openlocationcode.openlocationcode as olc

_HOUSENUMBER = re.compile(
    r"^\s*(?P<num>\d{1,4})\s*(?:(?:[-－—之](?P<sub>\d))|(?P<letter>[A-Za-z]))?\s*号?\s*$"
)


class AddressCodeError(ValueError):
    """A value that does not fit a segment of the address code."""


def parse_housenumber(raw: str) -> tuple[int, str] | None:
    """``"12"``, ``"12号"``, ``"12-1"``, ``"12A"`` → ``(12, "")``, ``(12, "1")``,
    ``(12, "A")``; anything else (ranges, words) → None."""
    m = _HOUSENUMBER.match(raw or "")
    if not m:
        return None
    number = int(m["num"])
    if number == 0:
        return None
    return number, (m["sub"] or (m["letter"] or "").upper())


def door_label(number: int, suffix: str = "") -> str:
    if not suffix:
        return f"{number}号"
    return f"{number}-{suffix}号" if suffix.isdigit() else f"{number}{suffix}号"


def building_label(n: int) -> str:
    return f"{n}栋"


def unit_label(n: int) -> str:
    return f"{n}单元"


def room_number(floor: int, index: int) -> int:
    """Room 2 on floor 5 is 502; floor 12 room 1 is 1201."""
    if not (1 <= floor <= 99 and 1 <= index <= 99):
        raise AddressCodeError(f"room {floor}/{index} out of range (floors and rooms 1–99)")
    return floor * 100 + index


def room_label(floor: int, index: int) -> str:
    return f"{room_number(floor, index)}室"


# Official community names are those of their committees (进步巷社区居委会, 张家村村民委员会);
# an address names the community or village itself (进步巷社区, 张家村).
_COMMITTEE_SUFFIXES = (("社区居民委员会", "社区"), ("社区居委会", "社区"), ("居民委员会", "社区"),
                       ("居委会", "社区"), ("村民委员会", "村"), ("村委会", "村"))


def place_name(name: str) -> str:
    """进步巷社区居委会 → 进步巷社区, 张家村村民委员会 → 张家村; other names unchanged."""
    for suffix, place in _COMMITTEE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            base = name[: -len(suffix)]
            return base if base.endswith(place) else base + place
    return name


def area_prefix(names: list[str]) -> str:
    """District, street and community names as they lead a full name."""
    return "".join(place_name(n) for n in names if n)


def join_name(prefix: str, *labels: str) -> str:
    return prefix + "".join(labels)


def thoroughfare_code(district_code: str, serial: int) -> str:
    if not re.fullmatch(r"\d{6}", district_code[:6]) or not 1 <= serial <= 9999:
        raise AddressCodeError(f"thoroughfare {district_code}/{serial} does not fit the code")
    return f"{district_code[:6]}-T{serial:04d}"


def _suffix_char(suffix: str) -> str:
    if suffix == "":
        return "0"
    if len(suffix) == 1 and (suffix.isdigit() or "A" <= suffix <= "Z") and suffix != "0":
        return suffix
    raise AddressCodeError(f"door number suffix {suffix!r} must be one digit 1–9 or a letter")


def door_code(community_code: str, road_serial: int, number: int, suffix: str = "") -> str:
    if not re.fullmatch(r"\d{12}", community_code.ljust(12, "0")):
        raise AddressCodeError(f"community code {community_code!r} is not 6–12 digits")
    if not (1 <= road_serial <= 9999 and 1 <= number <= 9999):
        raise AddressCodeError(f"road {road_serial} / number {number} out of range 1–9999")
    return f"{community_code.ljust(12, '0')}-{road_serial:04d}-{number:04d}{_suffix_char(suffix)}"


def building_code(door: str, n: int) -> str:
    if not 1 <= n <= 999:
        raise AddressCodeError(f"building {n} out of range 1–999")
    return f"{door}-{n:03d}"


def unit_code(parent: str, n: int) -> str:
    """A unit under a building (``…-001-03``) or directly under a door
    (``…-000-03``: the door has one building)."""
    if not 1 <= n <= 99:
        raise AddressCodeError(f"unit {n} out of range 1–99")
    if parent.count("-") == 2:
        parent = f"{parent}-000"
    return f"{parent}-{n:02d}"


def room_code(unit: str, floor: int, index: int) -> str:
    return f"{unit}-{room_number(floor, index):04d}"


def plus_code(lat: float, lon: float) -> str:
    """The Open Location Code (11 digits, ≈3 m × 3 m) of a position."""
    return olc.encode(lat, lon, 11)

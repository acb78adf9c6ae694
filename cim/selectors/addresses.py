"""Reads of one address's place in the two trees: its road (the root of the
address chain) and its divisions (the admin tree)."""

from __future__ import annotations

from cim.choices import AddressKind, AdminLevel
from cim.models import Address, AdminArea

__all__ = ["address_community_street", "address_thoroughfare", "door_headline"]


def address_thoroughfare(address: Address) -> Address:
    """The road an address hangs from (the root of its chain; itself for a road).
    Free of queries when the parents were loaded with ``select_related``."""
    node = address
    while node.parent_id is not None:
        node = node.parent
    return node


def door_headline(address: Address) -> str | None:
    """What a door plate shows in large type, "民主路 12号"; None for an
    address that is not a door (the caller picks what to show instead)."""
    if address.kind != AddressKind.DOOR:
        return None
    return f"{address_thoroughfare(address).label} {address.label}"


def address_community_street(address: Address) -> tuple[AdminArea | None, AdminArea | None]:
    """The community and the street/town an address lies in (one query at most)."""
    area = address.admin_area
    return area.ancestor(AdminLevel.COMMUNITY), area.ancestor(AdminLevel.STREET)

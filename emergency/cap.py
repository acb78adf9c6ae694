"""CAP 1.2 (OASIS Common Alerting Protocol) documents for public alerts
(pure: lxml only, no Django).

The identifier follows GB/T 35965.1-2018 (China's CAP profile): the issuing
unit's code — 6-digit division code (GB/T 2260) + 3-digit organisation
code + 3-digit internal code + 2-digit extension — then the entry time in
Beijing time and a sequence digit: ``ZZZZZZDDDUUUXX_YYYYMMDDhhmmss_N``.
Times carry an explicit ``+08:00`` offset (the CAP schema rejects ``Z``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from lxml import etree
from lxml.builder import ElementMaker

__all__ = ["CAP_NS", "CapArea", "CapMessage", "build_cap", "cap_identifier", "cap_time"]

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
BEIJING = ZoneInfo("Asia/Shanghai")
_XML_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def cap_time(moment: dt.datetime) -> str:
    """``2026-03-01T14:05:09+08:00`` (Beijing time, whole seconds)."""
    return moment.astimezone(BEIJING).replace(microsecond=0).isoformat()


def cap_identifier(*, division_code: str, unit_code: str, entered: dt.datetime, sequence: int) -> str:
    """The GB/T 35965.1 identifier (31 characters)."""
    if not re.fullmatch(r"[0-9]{6}", division_code):
        raise ValueError("division_code must be 6 digits")
    if not re.fullmatch(r"[0-9]{8}", unit_code):
        raise ValueError("unit_code must be 8 digits (DDD UUU XX)")
    if not 0 <= sequence <= 9:
        raise ValueError("sequence must be a single digit")
    return f"{division_code}{unit_code}_{entered.astimezone(BEIJING):%Y%m%d%H%M%S}_{sequence}"


@dataclass
class CapArea:
    description: str
    polygons: list[list[tuple[float, float]]]  # closed rings of (lon, lat)
    geocodes: dict[str, str] = field(default_factory=dict)


@dataclass
class CapMessage:
    identifier: str
    sender: str
    sent: dt.datetime
    status: str
    msg_type: str
    scope: str
    category: str
    event: str
    urgency: str
    severity: str
    certainty: str
    sender_name: str
    headline: str
    description: str
    area: CapArea
    instruction: str = ""
    language: str = "zh-CN"
    expires: dt.datetime | None = None
    references: str = ""  # "sender,identifier,sent" of the message this one updates/cancels
    incidents: str = ""
    parameters: dict[str, str] = field(default_factory=dict)


def _clean(text: str) -> str:
    return _XML_BAD.sub("", text or "")


def _ring(coords: list[tuple[float, float]]) -> str:
    """A CAP polygon: "lat,lon" pairs separated by spaces, closed."""
    ring = list(coords)
    if ring and ring[0] != ring[-1]:
        ring.append(ring[0])
    if len(ring) < 4:
        raise ValueError("a CAP polygon needs at least 4 points (closed)")
    return " ".join(f"{lat:.6f},{lon:.6f}" for lon, lat in ring)


def build_cap(msg: CapMessage) -> bytes:
    """The CAP 1.2 XML document (UTF-8, with declaration), elements in the
    order the schema requires."""
    E = ElementMaker(namespace=CAP_NS, nsmap={None: CAP_NS})
    head = [
        E.identifier(msg.identifier), E.sender(_clean(msg.sender)), E.sent(cap_time(msg.sent)),
        E.status(msg.status), E.msgType(msg.msg_type), E.scope(msg.scope),
    ]
    if msg.references:
        head.append(E.references(msg.references))
    if msg.incidents:
        head.append(E.incidents(_clean(msg.incidents)))
    info = [E.language(msg.language), E.category(msg.category), E.event(_clean(msg.event)),
            E.urgency(msg.urgency), E.severity(msg.severity), E.certainty(msg.certainty)]
    if msg.expires is not None:
        info.append(E.expires(cap_time(msg.expires)))
    info += [E.senderName(_clean(msg.sender_name)), E.headline(_clean(msg.headline)),
             E.description(_clean(msg.description))]
    if msg.instruction:
        info.append(E.instruction(_clean(msg.instruction)))
    for name, value in msg.parameters.items():
        info.append(E.parameter(E.valueName(_clean(name)), E.value(_clean(value))))
    area = [E.areaDesc(_clean(msg.area.description))]
    area += [E.polygon(_ring(p)) for p in msg.area.polygons]
    area += [E.geocode(E.valueName(k), E.value(v)) for k, v in msg.area.geocodes.items()]
    info.append(E.area(*area))
    doc = E.alert(*head, E.info(*info))
    return etree.tostring(doc, xml_declaration=True, encoding="UTF-8", pretty_print=True)

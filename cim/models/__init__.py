"""The city model: administrative areas, buildings, roads, service points,
terrain, imports and the audit log."""

from .addresses import Address
from .admin_areas import AdminArea
from .audit import AuditLog
from .buildings import Building
from .imports import ImportRun, RejectedFeature
from .roads import RoadNode, RoadSegment
from .service_points import ServicePoint
from .terrain import DemRaster

__all__ = [
    "Address",
    "AdminArea",
    "AuditLog",
    "Building",
    "DemRaster",
    "ImportRun",
    "RejectedFeature",
    "RoadNode",
    "RoadSegment",
    "ServicePoint",
]

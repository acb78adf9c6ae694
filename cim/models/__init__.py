"""The city model: administrative areas, buildings, roads, service points,
terrain, imports and the audit log."""

from .addresses import Address
from .admin_areas import AdminArea
from .analyses import AnalysisRun, HeightZone
from .audit import AuditLog
from .bim import BimElement, BimModel
from .buildings import Building
from .catalogue import CatalogueVersion
from .history import BuildingVersion
from .imports import ImportRun, RejectedFeature
from .jobs import Job, JobStatus
from .plates import Plate, PlateAlert, PlateEvent, PlateScanDay
from .reports import PublicReport, PublicReportEvent
from .roads import RoadNode, RoadSegment
from .schemes import DesignScheme, SchemeBuilding
from .service_items import GuideOption, GuideQuestion, ServiceItem
from .service_points import ServicePoint
from .staff import Department, StaffProfile
from .terrain import DemRaster
from .water import Waterway

__all__ = [
    "Address",
    "AdminArea",
    "AnalysisRun",
    "AuditLog",
    "BimElement",
    "BimModel",
    "Building",
    "BuildingVersion",
    "CatalogueVersion",
    "DemRaster",
    "Department",
    "DesignScheme",
    "GuideOption",
    "GuideQuestion",
    "HeightZone",
    "ImportRun",
    "Job",
    "JobStatus",
    "Plate",
    "PlateAlert",
    "PlateEvent",
    "PlateScanDay",
    "PublicReport",
    "PublicReportEvent",
    "RejectedFeature",
    "RoadNode",
    "RoadSegment",
    "SchemeBuilding",
    "ServiceItem",
    "ServicePoint",
    "StaffProfile",
    "Waterway",
]

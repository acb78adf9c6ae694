"""Views of the emergency API."""

from .command import AlertViewSet, ClosureViewSet, EventViewSet, PlanViewSet, TaskViewSet, ZoneViewSet
from .incidents import IncidentViewSet
from .resources import AgencyViewSet, AssignmentViewSet, CameraViewSet, MutualAidViewSet, UnitViewSet
from .supplies import DepotViewSet, ItemViewSet, ReplenishmentAlertViewSet, SupplyRequestViewSet

__all__ = [
    "AgencyViewSet",
    "AlertViewSet",
    "AssignmentViewSet",
    "CameraViewSet",
    "ClosureViewSet",
    "DepotViewSet",
    "EventViewSet",
    "IncidentViewSet",
    "ItemViewSet",
    "MutualAidViewSet",
    "PlanViewSet",
    "ReplenishmentAlertViewSet",
    "SupplyRequestViewSet",
    "TaskViewSet",
    "UnitViewSet",
    "ZoneViewSet",
]

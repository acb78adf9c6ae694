"""Models of the emergency command app."""

from .dispatch import Assignment, MutualAidRequest, RoadClosure
from .events import Event
from .incidents import Attachment, Incident, IncidentLevelChange, TimelineEntry
from .personnel import DutyAssignment, DutyShift, Expert, Qualification, TeamMember
from .plans import DispatchRequest, Plan, PlanActivation, PlanSupplyRequirement, PlanUnitRequirement, Task
from .positions import PositionReport
from .resources import Agency, Camera, Unit, UnitStatusChange
from .supplies import (
    Depot,
    Item,
    ReplenishmentAlert,
    Stock,
    StockMovement,
    SupplyAllocation,
    SupplyRequest,
    SupplyRequestLine,
)
from .zones import Alert, ControlZone

__all__ = [
    "Agency",
    "Alert",
    "Assignment",
    "Attachment",
    "Camera",
    "ControlZone",
    "Depot",
    "DispatchRequest",
    "DutyAssignment",
    "DutyShift",
    "Event",
    "Expert",
    "Incident",
    "IncidentLevelChange",
    "Item",
    "MutualAidRequest",
    "Plan",
    "PlanActivation",
    "PlanSupplyRequirement",
    "PlanUnitRequirement",
    "PositionReport",
    "Qualification",
    "ReplenishmentAlert",
    "RoadClosure",
    "Stock",
    "StockMovement",
    "SupplyAllocation",
    "SupplyRequest",
    "SupplyRequestLine",
    "Task",
    "TeamMember",
    "TimelineEntry",
    "Unit",
    "UnitStatusChange",
]

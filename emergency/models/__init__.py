"""Models of the emergency command app."""

from .dispatch import Assignment, MutualAidRequest, RoadClosure
from .events import Event
from .field import FieldOp
from .incidents import Attachment, Incident, IncidentLevelChange, TimelineEntry
from .notifications import AlertSubscription, Delivery, Notification
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
    "AlertSubscription",
    "Assignment",
    "Attachment",
    "Camera",
    "ControlZone",
    "Delivery",
    "Depot",
    "DispatchRequest",
    "DutyAssignment",
    "DutyShift",
    "Event",
    "Expert",
    "FieldOp",
    "Incident",
    "IncidentLevelChange",
    "Item",
    "Notification",
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

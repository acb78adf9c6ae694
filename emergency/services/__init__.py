"""Write services of the emergency app (keyword-only, atomic, audited, and
announcing their changes as events after commit), one module per concept:
incidents, assignments, dispatch requests, units (status), closures, zones,
alerts, plans, supplies, media, reports and the registries; the state-machine
steps they share are in :mod:`.transitions`.  Unit positions are written by
:mod:`emergency.live.ingest` only."""

from .agency_tasks import agency_task_act, agency_task_send, agency_tasks_escalate
from .alerts import alert_cancel, alert_issue, alert_update
from .assignments import assignment_create
from .closures import closure_create, closure_lift
from .dispatch_requests import dispatch_request_create
from .incidents import (
    incident_add_note,
    incident_caller_reveal,
    incident_create,
    incident_link_camera,
    incident_merge,
    incident_set_level,
    incident_split,
    incident_transition,
    incident_update,
)
from .media import attachment_add, attachment_read
from .mutual_aid import mutual_aid_decide, mutual_aid_request
from .plans import plan_activate, plan_save, task_set_done
from .registry import agency_save, camera_save, depot_save, item_save, unit_save
from .supplies import (
    stock_set,
    supply_request_cancel,
    supply_request_commit,
    supply_request_create,
    supply_request_receive,
    supply_request_ship,
)
from .units import unit_set_crew, unit_set_status
from .video import camera_stream_reveal, camera_streams_open
from .zones import zone_create, zone_lift

__all__ = [
    "agency_save",
    "agency_task_act",
    "agency_task_send",
    "agency_tasks_escalate",
    "alert_cancel",
    "alert_issue",
    "alert_update",
    "assignment_create",
    "attachment_add",
    "attachment_read",
    "camera_save",
    "camera_stream_reveal",
    "camera_streams_open",
    "closure_create",
    "closure_lift",
    "depot_save",
    "dispatch_request_create",
    "incident_add_note",
    "incident_caller_reveal",
    "incident_create",
    "incident_link_camera",
    "incident_merge",
    "incident_split",
    "incident_set_level",
    "incident_transition",
    "incident_update",
    "item_save",
    "mutual_aid_decide",
    "mutual_aid_request",
    "plan_activate",
    "plan_save",
    "stock_set",
    "supply_request_cancel",
    "supply_request_commit",
    "supply_request_create",
    "supply_request_receive",
    "supply_request_ship",
    "task_set_done",
    "unit_save",
    "unit_set_crew",
    "unit_set_status",
    "zone_create",
    "zone_lift",
]

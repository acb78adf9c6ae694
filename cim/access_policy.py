"""Who may call what: every route of the URL conf, by name, and for each
HTTP method the roles it admits.  The permission classes and the page
checks enforce it; ``tests/test_scope_matrix.py`` walks the URL conf and
holds every route, every role and the anonymous public against this table
(a route missing here fails that test, so a new endpoint needs an entry).

Values: a tuple of roles (:mod:`cim.roles`), :data:`PUBLIC` (anyone, signed
in or not), :data:`SIGNED_IN` (any signed-in user, whatever the role).
Records that belong to a place are further limited by :mod:`cim.scope`
(:data:`SCOPED` names what each route reads in scope); the registries
(agencies, cameras, depots, items, plans) and the city model's map layers
are city-wide reference data for every role that reads them."""

from __future__ import annotations

from cim import roles

__all__ = ["ADMIN_SITE", "POLICY", "PUBLIC", "SCOPED", "SIGNED_IN"]

PUBLIC = "public"
SIGNED_IN = "signed_in"

_A = (roles.ADMIN,)
_STAFF = roles.STAFF_ROLES
_CONTROL = roles.CONTROL_ROLES
_COMMAND = roles.COMMAND_ROLES
_EMERGENCY = roles.EMERGENCY_ROLES
_PLANNERS = (roles.ADMIN, roles.PLANNER)
_PLANNER_VIEWER = (roles.ADMIN, roles.PLANNER, roles.COMMANDER, roles.DISPATCHER)
_ANALYSIS_READ = (roles.ADMIN, roles.PLANNER, roles.COMMANDER)
_PLATE_READ = roles.PLATE_READ_ROLES
_PLATE_WRITE = roles.PLATE_ROLES
_REPORT_READ = roles.REPORT_QUEUE_ROLES
_REPORT_WORK = roles.REPORT_WORK_ROLES

#: The Django admin site (``admin:*``): Django's own staff and model
#: permissions; of the platform's roles only admins are staff.
ADMIN_SITE = _A


def _read(roles_: tuple | str) -> dict:
    return {"GET": roles_}


def _registry(read: tuple, write: tuple = _A) -> dict:
    return {"GET": read, "POST": write}


def _detail(read: tuple, write: tuple = _A) -> dict:
    return {"GET": read, "PATCH": write}


POLICY: dict[str, dict[str, tuple | str]] = {
    # API documentation (staff only)
    "schema": _read(_STAFF),
    "api-docs": _read(_STAFF),
    "api-redoc": _read(_STAFF),
    # city model
    "api-root": _read(_STAFF),
    "terrain-height": _read(PUBLIC),
    "city-info": _read(_STAFF),
    "building-addresses": _read(_STAFF),
    "map-admin-boundaries": _read(PUBLIC),
    "search": _read(PUBLIC),
    # OGC API – Features (staff collections: listed and served to staff only, inside the views)
    "ogc-landing": _read(PUBLIC),
    "ogc-conformance": _read(PUBLIC),
    "ogc-api": _read(PUBLIC),
    "ogc-collections": _read(PUBLIC),
    "ogc-collection": _read(PUBLIC),
    "ogc-items": _read(PUBLIC),
    "ogc-item": _read(PUBLIC),
    "ogc-tilejson": _read(PUBLIC),
    "ogc-vector-tile": _read(PUBLIC),
    "public-plate": _read(PUBLIC),
    "public-plate-report": {"POST": PUBLIC},
    "public-report": _read(PUBLIC),
    "admin-area-list": _read(PUBLIC),
    "admin-area-geojson": _read(PUBLIC),
    "admin-area-tree": _read(PUBLIC),
    "admin-area-detail": _read(PUBLIC),
    "building-list": _read(_STAFF),
    # BIM buildings (the models' tiles are served under /tiles/bim/, as the city's)
    "bim-model-list": _read(_STAFF),
    "bim-model-detail": {"GET": _STAFF, "PATCH": _A, "DELETE": _A},  # re-link, delete: with a reason
    "bim-element-list": _read(_STAFF),
    "bim-element-detail": _read(_STAFF),
    "building-detail": _detail(_STAFF, _PLANNERS),
    "road-list": _read(_STAFF),
    "road-detail": _read(_STAFF),
    "service-point-list": _read(PUBLIC),
    "service-point-detail": _read(PUBLIC),
    "import-run-list": _read(_A),
    "import-run-detail": _read(_A),
    "import-run-rejections": _read(_A),
    # the buildings' history (versions, as-of, diff, demolished) and the undo of an import
    "building-history": _read(_STAFF),
    "history-as-of": _read(_STAFF),
    "history-diff": _read(_STAFF),
    "history-demolished": _read(_STAFF),
    "import-run-undo": {"POST": _A},
    "waterway-list": _read(PUBLIC),
    "waterway-detail": _read(PUBLIC),
    "address-list": _read(_STAFF),
    "address-detail": _read(_STAFF),
    "plate-list": _registry(_PLATE_READ, _PLATE_WRITE),
    "plate-sheet": _read(_PLATE_WRITE),
    "plate-detail": _read(_PLATE_READ),
    "plate-artwork": _read(_PLATE_WRITE),
    "plate-replace": {"POST": _PLATE_WRITE},
    "plate-scans": _read(_PLATE_READ),
    "plate-transition": {"POST": _PLATE_WRITE},
    "plate-history": _read(_PLATE_READ),
    "plate-search": _read(_PLATE_READ),
    "plate-alert-list": _read(_PLATE_READ),
    "plate-alert-detail": _read(_PLATE_READ),
    "plate-alert-close": {"POST": _PLATE_WRITE},
    # the service catalogue (versions, drafts, publishing)
    "catalogue-version-list": {"GET": _A, "POST": _A},
    "catalogue-version-detail": _read(_A),
    "catalogue-version-draft": _read(_A),
    "catalogue-version-publish": {"POST": _A},
    "catalogue-version-restore": {"POST": _A},
    # planning analyses
    "height-zone-list": {"GET": _ANALYSIS_READ, "POST": _PLANNERS},
    "height-zone-detail": {"GET": _ANALYSIS_READ, "DELETE": _PLANNERS},
    "height-zone-import-zones": {"POST": _PLANNERS},
    "height-check": {"POST": _PLANNERS},
    "flood": {"POST": _PLANNERS},
    "design-scheme-list": {"GET": _ANALYSIS_READ, "POST": _PLANNERS},
    "design-scheme-detail": {"GET": _ANALYSIS_READ, "DELETE": _PLANNERS},
    "scheme-compare": {"POST": _PLANNERS},
    "viewshed": {"POST": _PLANNERS},
    "line-of-sight": {"POST": _PLANNERS},
    "analysis-run-list": _read(_ANALYSIS_READ),
    "analysis-run-detail": _read(_ANALYSIS_READ),
    "analysis-run-export-csv": _read(_ANALYSIS_READ),
    "analysis-run-export-pdf": _read(_ANALYSIS_READ),
    "analysis-run-depth-image": _read(_ANALYSIS_READ),
    "analysis-run-image": _read(_ANALYSIS_READ),
    "analysis-run-raster": _read(_ANALYSIS_READ),
    # long jobs (each kind names its own roles)
    "job-list": {"GET": _STAFF, "POST": _STAFF},
    "job-detail": _read(_STAFF),
    "job-kinds": _read(_STAFF),
    "job-cancel": {"POST": _STAFF},
    "job-result": _read(_STAFF),
    "report-list": _read(_REPORT_READ),
    "report-detail": _read(_REPORT_READ),
    "report-claim": {"POST": _REPORT_WORK},
    "report-photo": _read(_REPORT_READ),
    "report-release": {"POST": _REPORT_WORK},
    "report-reply": {"POST": _REPORT_WORK},
    "report-set-status": {"POST": _REPORT_WORK},
    # emergency
    "emergency:incident-list": _registry(_EMERGENCY, _CONTROL),
    "emergency:incident-geojson": _read(_EMERGENCY),
    "emergency:incident-detail": {"GET": _EMERGENCY, "PATCH": _CONTROL},
    "emergency:incident-activate-plan": {"POST": _COMMAND},
    "emergency:incident-assignments": _registry(_EMERGENCY, _CONTROL),
    "emergency:incident-attachment-file": _read(_EMERGENCY),
    "emergency:incident-attachments": _registry(_EMERGENCY, _CONTROL),
    "emergency:incident-cameras": _registry(_EMERGENCY, _CONTROL),
    "emergency:incident-video-wall": _read(_CONTROL),
    "emergency:incident-dispatch-requests": _registry(_CONTROL, _CONTROL),
    "emergency:incident-level": {"POST": _COMMAND},
    "emergency:incident-merge": {"POST": _CONTROL},
    "emergency:incident-plans": _read(_CONTROL),
    "emergency:incident-recommendations": _read(_CONTROL),
    "emergency:incident-supply-requests": _read(_CONTROL),
    "emergency:incident-tasks": _read(_EMERGENCY),
    "emergency:incident-timeline": _registry(_EMERGENCY, _CONTROL),
    "emergency:incident-transition": {"POST": _CONTROL},
    "emergency:agency-list": _registry(_CONTROL),
    "emergency:agency-detail": _detail(_CONTROL),
    "emergency:unit-list": _registry(_EMERGENCY),
    "emergency:unit-geojson": _read(_EMERGENCY),
    "emergency:unit-detail": _detail(_EMERGENCY),
    "emergency:unit-position": {"POST": _EMERGENCY},
    "emergency:unit-status": {"POST": _EMERGENCY},
    "emergency:camera-list": _registry(_CONTROL),
    "emergency:camera-geojson": _read(_CONTROL),
    "emergency:camera-detail": _detail(_CONTROL),
    "emergency:camera-stream": _read(_CONTROL),
    "emergency:assignment-list": _read(_EMERGENCY),
    "emergency:assignment-detail": _read(_EMERGENCY),
    # mutual aid across districts: deciding is further limited to city-level users (403 otherwise)
    "emergency:incident-mutual-aid": _registry(_CONTROL, _CONTROL),
    "emergency:mutual-aid-list": _read(_CONTROL),
    "emergency:mutual-aid-detail": _read(_CONTROL),
    "emergency:mutual-aid-decide": {"POST": _CONTROL},
    "emergency:plan-list": _registry(_CONTROL, _COMMAND),
    "emergency:plan-detail": {"GET": _CONTROL, "PATCH": _COMMAND, "PUT": _COMMAND},
    "emergency:task-detail": {"GET": _CONTROL, "PATCH": _CONTROL},
    "emergency:closure-list": _registry(_CONTROL, _CONTROL),
    "emergency:closure-detail": _read(_CONTROL),
    "emergency:closure-lift": {"POST": _CONTROL},
    "emergency:zone-list": _registry(_CONTROL, _COMMAND),
    "emergency:zone-detail": _read(_CONTROL),
    "emergency:zone-contents": _read(_CONTROL),
    "emergency:zone-lift": {"POST": _COMMAND},
    "emergency:alert-list": _registry(_CONTROL, _COMMAND),
    "emergency:alert-detail": _read(_CONTROL),
    "emergency:alert-cancel": {"POST": _COMMAND},
    "emergency:alert-cap": _read(_CONTROL),
    "emergency:event-list": _read(_CONTROL),
    "emergency:item-list": _registry(_CONTROL),
    "emergency:item-detail": _detail(_CONTROL),
    "emergency:depot-list": _registry(_CONTROL),
    "emergency:depot-geojson": _read(_CONTROL),
    "emergency:depot-detail": _detail(_CONTROL),
    "emergency:depot-stock": _registry(_CONTROL, _COMMAND),
    "emergency:supply-request-list": _registry(_CONTROL, _CONTROL),
    "emergency:supply-request-detail": _read(_CONTROL),
    "emergency:supply-request-cancel": {"POST": _COMMAND},
    "emergency:supply-request-commit": {"POST": _COMMAND},
    "emergency:supply-request-receive": {"POST": _CONTROL},
    "emergency:supply-request-ship": {"POST": _CONTROL},
    "emergency:replenishment-alert-list": _read(_CONTROL),
    "emergency:report-escalate": {"POST": _CONTROL},
    "emergency:positions": {"POST": _EMERGENCY},
    "emergency:field-state": _read((roles.RESPONDER,)),
    "emergency:field-ops": {"POST": (roles.RESPONDER,)},
    "emergency:field-media": {"POST": (roles.RESPONDER,)},
    "emergency:stats-incidents": _read(_CONTROL),
    "emergency:stats-response-times": _read(_CONTROL),
    "emergency:stats-units": _read(_CONTROL),
    "emergency:stats-supplies": _read(_CONTROL),
    "emergency:stats-plates": _read(_CONTROL),
    # joint action and notifications (issue 14)
    "emergency:agency-task-list": _registry(_CONTROL, _CONTROL),
    "emergency:agency-task-act": {"POST": _STAFF},
    "emergency:inbox": _read(_STAFF),
    "emergency:alert-update": {"POST": _COMMAND},
    "emergency:notification-log": _read(_CONTROL),
    # closures on the map, merge/split, the units back office
    "emergency:closure-current": _read(_EMERGENCY),
    "emergency:closure-nearest-segment": _read(_CONTROL),
    "emergency:incident-merge-candidates": _read(_EMERGENCY),
    "emergency:incident-split": {"POST": _CONTROL},
    "emergency:unit-board": _read(_CONTROL),
    "emergency:unit-crew": {"POST": _COMMAND},
    # personnel: duty roster, experts, teams
    "emergency:duty-list": {"GET": _CONTROL, "POST": _COMMAND},
    "emergency:duty-detail": {"DELETE": _COMMAND},
    "emergency:duty-copy-week": {"POST": _COMMAND},
    "emergency:duty-now": _read(_CONTROL),
    "emergency:duty-shift-list": {"GET": _CONTROL, "POST": _COMMAND},
    "emergency:duty-shift-detail": {"GET": _CONTROL, "PATCH": _COMMAND},
    "emergency:expert-list": {"GET": _CONTROL, "POST": _COMMAND},
    "emergency:expert-detail": {"GET": _CONTROL, "PATCH": _COMMAND},
    "emergency:team-member-list": {"GET": _CONTROL, "POST": _COMMAND},
    "emergency:team-member-detail": {"GET": _CONTROL, "PATCH": _COMMAND},
    "emergency:team-member-qualifications": {"POST": _COMMAND},
    "emergency:qualification-detail": {"DELETE": _COMMAND},
    # tiles, sign-in, language
    "set_language": {"POST": PUBLIC},
    "tiles": _read(_STAFF),
    "basemap": _read(_STAFF),
    "edge-tiles-access": _read(_STAFF),
    # demo camera streams (emergency/video_files.py): the roles that may see cameras
    "video": _read(_CONTROL),
    "edge-video-access": _read(_CONTROL),
    # probes and metrics (nginx hides /metrics: it answers 404 to proxied requests)
    "healthz": _read(PUBLIC),
    "readyz": _read(PUBLIC),
    "metrics": _read(PUBLIC),
    "terrain": _read(PUBLIC),
    "login": {"GET": PUBLIC, "POST": PUBLIC, "PUT": PUBLIC},
    "two-factor-setup": {"GET": SIGNED_IN, "POST": SIGNED_IN},
    "logout": {"POST": PUBLIC},
    # pages
    "viewer:home": _read(PUBLIC),
    "viewer:planner": _read(_PLANNER_VIEWER),
    "viewer:schemes": _read(_ANALYSIS_READ),
    "viewer:console": _read(_EMERGENCY),
    "viewer:dashboard": _read(_CONTROL),
    "viewer:field": _read((roles.RESPONDER,)),
    # the field app's manifest and service worker hold no data (browsers fetch a manifest without cookies)
    "viewer:field-manifest": _read(PUBLIC),
    "viewer:field-sw": _read(PUBLIC),
    "viewer:audit": _read(roles.AUDIT_ROLES),
    "viewer:audit-export": _read(roles.AUDIT_ROLES),
    "viewer:plate-lookup": _read(PUBLIC),
    "viewer:plate-scan": _read(PUBLIC),
    "viewer:plate-scan-lower": _read(PUBLIC),
    "viewer:plate-report": {"POST": PUBLIC},
    "viewer:plate-flag": {"POST": PUBLIC},
    "viewer:report-track-form": _read(PUBLIC),
    "viewer:report-track": _read(PUBLIC),
    "viewer:plate-subscribe": {"POST": PUBLIC},
    "viewer:alert-unsubscribe": {"GET": PUBLIC, "POST": PUBLIC},
    "viewer:cap-feed": _read(PUBLIC),
    "viewer:cap-alert": _read(PUBLIC),
    "viewer:inbox": {"GET": _STAFF, "POST": _STAFF},
    # back office
    "viewer:reports-queue": _read(_REPORT_READ),
    "viewer:report-page": _read(_REPORT_READ),
    "viewer:plate-admin": _read(_PLATE_READ),
    "viewer:plate-admin-detail": _read(_PLATE_READ),
    "viewer:plate-admin-action": {"POST": _PLATE_WRITE},
    "viewer:plate-admin-issue": {"POST": _PLATE_WRITE},
    "viewer:plate-admin-sheet": _read(_PLATE_WRITE),
    "viewer:catalogue": _read(_A),
    "viewer:catalogue-item": {"GET": _A, "POST": _A},
    "viewer:catalogue-halls": {"POST": _A},
    "viewer:catalogue-question": {"GET": _A, "POST": _A},
    "viewer:catalogue-version-action": {"POST": _A},
    "viewer:catalogue-preview": _read(_A),
    "viewer:catalogue-preview-plate": _read(_A),
    "viewer:duty": _read(_CONTROL),
    "viewer:experts": _read(_CONTROL),
    "viewer:teams": _read(_CONTROL),
    "viewer:units-admin": _read(_CONTROL),
    "viewer:jobs": _read(_STAFF),
}

#: Routes that read one record that belongs to a place, and what it is
#: (out of the user's scope it does not exist for them: 404).
SCOPED: dict[str, str] = {
    **{f"report-{a}": "report" for a in ("detail", "claim", "photo", "release", "reply", "set-status")},
    "viewer:report-page": "report",
    "address-detail": "address",
    **{f"plate-{a}": "plate" for a in ("detail", "artwork", "history", "replace", "scans", "transition")},
    "viewer:plate-admin-detail": "plate",
    "plate-alert-detail": "plate_alert",
    "plate-alert-close": "plate_alert",
    **{
        f"emergency:incident-{a}": "incident"
        for a in (
            "detail",
            "activate-plan",
            "assignments",
            "attachment-file",
            "attachments",
            "cameras",
            "dispatch-requests",
            "level",
            "merge",
            "merge-candidates",
            "mutual-aid",
            "plans",
            "recommendations",
            "split",
            "supply-requests",
            "tasks",
            "timeline",
            "transition",
            "video-wall",
        )
    },
    **{f"emergency:unit-{a}": "unit" for a in ("crew", "detail", "position", "status")},
    "emergency:assignment-detail": "assignment",
    **{f"emergency:mutual-aid-{a}": "mutual_aid" for a in ("detail", "decide")},
    "emergency:task-detail": "task",
    **{f"emergency:closure-{a}": "closure" for a in ("detail", "lift")},
    **{f"emergency:zone-{a}": "zone" for a in ("detail", "contents", "lift")},
    **{
        f"emergency:supply-request-{a}": "supply_request"
        for a in ("detail", "cancel", "commit", "receive", "ship")
    },
    "emergency:report-escalate": "report",
    "emergency:notification-log": "notification",
}

"""The platform's roles (Django groups) and how to ask about them.

Roles: admin, planner, commander, dispatcher, responder, community (街道/社区
staff who handle residents' reports), auditor (reads the audit trail, changes
nothing); a request without a user is the anonymous public.  A superuser counts as admin.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, Group

ADMIN = "admin"
PLANNER = "planner"
COMMANDER = "commander"
DISPATCHER = "dispatcher"
RESPONDER = "responder"
COMMUNITY = "community"
AUDITOR = "auditor"

ALL_ROLES = (ADMIN, PLANNER, COMMANDER, DISPATCHER, RESPONDER, COMMUNITY, AUDITOR)
# Everyone who works with the city model (the auditor only reads the audit trail).
STAFF_ROLES = (ADMIN, PLANNER, COMMANDER, DISPATCHER, RESPONDER, COMMUNITY)
# The control room: sees every incident and unit, dispatches, reads callers.
CONTROL_ROLES = (ADMIN, COMMANDER, DISPATCHER)
# Decisions above dispatch (plans, alerts, levels).
COMMAND_ROLES = (ADMIN, COMMANDER)
# Everyone who works on incidents, responders included (their own units only).
EMERGENCY_ROLES = (*CONTROL_ROLES, RESPONDER)
# Who reads the audit trail.
AUDIT_ROLES = (ADMIN, AUDITOR)
# Who builds the city's tiles, terrain and basemap (and whose edits queue a tiles build).
BUILD_ROLES = (ADMIN, PLANNER)
# The residents' report queue: who reads it (commanders only read) and who works it
# (claims, replies, closes, reveals a reporter's contact to call back).
REPORT_QUEUE_ROLES = (ADMIN, COMMANDER, DISPATCHER, COMMUNITY)
REPORT_WORK_ROLES = (ADMIN, DISPATCHER, COMMUNITY)
# Who issues, replaces, retires and prints door plates; dispatchers look them up.
PLATE_ROLES = (ADMIN, COMMUNITY)
PLATE_READ_ROLES = (ADMIN, COMMUNITY, DISPATCHER)


def roles_of(user) -> set[str]:
    """The set of role names a user holds (cached on the user object)."""
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return set()
    cached = getattr(user, "_cim_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True)) & set(ALL_ROLES)
        if user.is_superuser:
            cached.add(ADMIN)
        user._cim_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def acting_user(by):
    """The signed-in user behind ``by``, or None.

    Services take ``by`` as a user, an anonymous request user, a label such
    as ``"simulator"`` or None; foreign keys to the acting user store only a
    real, signed-in one.  The one place that rule is written."""
    return by if getattr(by, "is_authenticated", False) else None


def actor_label(by) -> str:
    """How an actor is named in timelines and audit rows: the username, the
    label a command passed (``"simulator"``) or ``"system"``."""
    user = acting_user(by)
    if user is not None:
        return user.get_username()
    return by if isinstance(by, str) and by else "system"


def ensure_groups() -> None:
    """Create the role groups if missing (idempotent)."""
    for name in ALL_ROLES:
        Group.objects.get_or_create(name=name)

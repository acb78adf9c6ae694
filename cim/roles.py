"""The platform's roles (Django groups) and how to ask about them.

Roles: admin, planner, commander, dispatcher, responder; a request without a
user is the anonymous public.  A superuser counts as admin.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, Group

ADMIN = "admin"
PLANNER = "planner"
COMMANDER = "commander"
DISPATCHER = "dispatcher"
RESPONDER = "responder"

ALL_ROLES = (ADMIN, PLANNER, COMMANDER, DISPATCHER, RESPONDER)
STAFF_ROLES = ALL_ROLES
EMERGENCY_ROLES = (ADMIN, COMMANDER, DISPATCHER, RESPONDER)


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


def ensure_groups() -> None:
    """Create the role groups if missing (idempotent)."""
    for name in ALL_ROLES:
        Group.objects.get_or_create(name=name)

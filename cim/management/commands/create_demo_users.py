"""Create one demo login per role (for the demo only; never in production)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cim import roles
from cim.choices import AdminLevel
from cim.models import AdminArea, Department, StaffProfile
from cim.services.audit import audit_record

DEMO_USERS = {
    roles.ADMIN: "admin",
    roles.PLANNER: "planner",
    roles.COMMANDER: "commander",
    roles.DISPATCHER: "dispatcher",
    roles.RESPONDER: "responder",
    roles.COMMUNITY: "community",
    roles.AUDITOR: "auditor",
}


# Scoped demo logins: username → (role, department code, district codes).
# 秦州区 (620502) only; the police bureau, which sees the tasks sent to it.
SCOPED_DEMO_USERS = {
    "dispatcher_qinzhou": (roles.DISPATCHER, "yjj", ("620502",)),
    "police_duty": (roles.DISPATCHER, "gaj", ()),
}
# The department of each role's city-level demo login.
DEMO_DEPARTMENTS = {roles.COMMANDER: "yjj", roles.DISPATCHER: "yjj", roles.RESPONDER: "xfjy",
                    roles.COMMUNITY: "jdb", roles.PLANNER: "ghj"}


def demo_password(role: str) -> str:
    return f"tianshui-{role}-demo"


def _profile(user, department: str | None, districts: tuple[str, ...]) -> None:
    """Give a demo user their department and districts (missing ones skipped:
    a database without the demo city has no districts)."""
    profile, _ = StaffProfile.objects.get_or_create(user=user)
    if department and profile.department_id is None:
        profile.department = Department.objects.filter(code=department).first()
        profile.save(update_fields=["department"])
    if districts and not profile.districts.exists():
        profile.districts.set(AdminArea.objects.filter(code__in=districts, level=AdminLevel.DISTRICT))


class Command(BaseCommand):
    help = "Create one demo user per role (idempotent)."

    def handle(self, *args, **options):
        if not getattr(settings, "DEMO_MODE", False):
            raise CommandError("demo users are only created with the demo settings (config.settings.dev)")
        User = get_user_model()
        roles.ensure_groups()
        with transaction.atomic():
            for role, username in DEMO_USERS.items():
                user, created = User.objects.get_or_create(username=username)
                if created:
                    user.set_password(demo_password(role))
                    user.is_staff = role == roles.ADMIN
                    user.is_superuser = role == roles.ADMIN
                    user.save()
                    audit_record(actor="system", action="user.create_demo", obj=user,
                                 after={"username": username, "role": role})
                user.groups.add(Group.objects.get(name=role))
                _profile(user, DEMO_DEPARTMENTS.get(role), ())
            for username, (role, department, districts) in SCOPED_DEMO_USERS.items():
                user, created = User.objects.get_or_create(username=username)
                if created:
                    user.set_password(demo_password(username))
                    user.save()
                    audit_record(actor="system", action="user.create_demo", obj=user,
                                 after={"username": username, "role": role, "department": department,
                                        "districts": list(districts)})
                user.groups.add(Group.objects.get(name=role))
                _profile(user, department, districts)
        for role, username in DEMO_USERS.items():
            self.stdout.write(f"  {role:<11} {username:<11} {demo_password(role)}")
        for username, (role, department, districts) in SCOPED_DEMO_USERS.items():
            limit = ",".join(districts) or department
            self.stdout.write(f"  {role:<11} {username:<11} {demo_password(username)}  ({limit})")
        self.stdout.write(f"  agency (联动任务 inbox /inbox/): police_duty  {demo_password('police_duty')}  "
                          "(公安局: acknowledge, accept, report progress, complete)")
        self.stdout.write("  (admin: set up an authenticator app at the first sign-in, "
                          "/accounts/two-factor/)")

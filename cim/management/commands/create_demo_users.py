"""Create one demo login per role (for the demo only; never in production)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from cim import roles
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


def demo_password(role: str) -> str:
    return f"tianshui-{role}-demo"


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
        for role, username in DEMO_USERS.items():
            self.stdout.write(f"  {role:<11} {username:<11} {demo_password(role)}")
        self.stdout.write("  (admin: set up an authenticator app at the first sign-in, "
                          "/accounts/two-factor/)")

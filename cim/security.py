"""What the platform does when the login lockout (django-axes) strikes:
an audit row, so administrators see every lockout in the audit trail."""

from __future__ import annotations

from axes.signals import user_locked_out
from django.db import transaction
from django.dispatch import receiver

from cim.services.audit import audit_record


@receiver(user_locked_out, dispatch_uid="cim.audit_lockout")
def audit_lockout(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    with transaction.atomic():
        audit_record(actor="security", action="auth.lockout", object_type="auth.user",
                     object_id=(username or "")[:150],
                     after={"username": username or "", "ip_address": ip_address or ""},
                     note="too many failed logins")

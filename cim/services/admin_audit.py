"""Edits made in the Django admin go into the audit trail like any other write.

The admin records each add, change and delete as a ``LogEntry`` inside the
transaction of the edit; the receiver below writes the audit row in that same
transaction, so an edit that rolls back leaves neither."""

from __future__ import annotations

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.db.models.signals import post_save
from django.dispatch import receiver

from cim.services.audit import audit_record

_ACTIONS = {ADDITION: "admin.add", CHANGE: "admin.change", DELETION: "admin.delete"}


@receiver(post_save, sender=LogEntry, dispatch_uid="cim.audit_admin_edit")
def audit_admin_edit(sender, instance: LogEntry, created: bool, **kwargs) -> None:
    if not created:
        return
    ct = instance.content_type
    audit_record(actor=instance.user, action=_ACTIONS.get(instance.action_flag, "admin.edit"),
                 object_type=f"{ct.app_label}.{ct.model}" if ct else "",
                 object_id=instance.object_id or "", after={"object": instance.object_repr},
                 note=instance.get_change_message())

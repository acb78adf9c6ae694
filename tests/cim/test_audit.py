"""The audit trail is written in the same transaction as the change it records."""

from __future__ import annotations

import pytest
from django.db import transaction

from cim.models import AuditLog, Building
from cim.services.audit import audit_record
from cim.services.buildings import building_update
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.mark.django_db(transaction=True)
def test_audit_outside_a_transaction_is_refused(make_user):
    user = make_user("admin")
    with pytest.raises(RuntimeError, match="inside the write's transaction"):
        audit_record(actor=user, action="x.y", object_type="thing", object_id=1)
    assert not AuditLog.objects.exists()


def test_rolled_back_change_leaves_no_audit_row(make_user):
    planner = make_user("planner")
    b = f.building(105.7, 34.58, height=12)
    with pytest.raises(ZeroDivisionError):
        with transaction.atomic():
            building_update(building=b, data={"height": 30.0}, by=planner, reason="复核")
            raise ZeroDivisionError("the write fails after the audit row")
    assert Building.objects.get(pk=b.pk).height == 12
    assert not AuditLog.objects.filter(action="building.update").exists()


def test_audit_records_actor_before_after(make_user):
    planner = make_user("planner", "wang.planner")
    b = f.building(105.7, 34.58, height=12, name="旧名")
    building_update(building=b, data={"name": "新名", "use": "office"}, by=planner, reason="更正")
    log = AuditLog.objects.get(action="building.update")
    assert log.actor == planner and log.actor_label == "wang.planner"
    assert (log.before["name"], log.after["name"]) == ("旧名", "新名")
    assert (log.before["use"], log.after["use"]) == ("other", "office")


def test_no_change_no_audit(make_user):
    planner = make_user("planner")
    b = f.building(105.7, 34.58, height=12)
    building_update(building=b, data={"height": 12}, by=planner, reason="复核")
    assert not AuditLog.objects.exists()

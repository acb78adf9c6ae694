"""The demo logins: one per role, a 秦州区 dispatcher and a police duty
officer whose scopes the demo shows; agencies joined to their departments."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from cim.models import Department
from cim.scope import Scope
from emergency.management.commands.seed_emergency_demo import _agency_departments
from emergency.models import Agency
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_demo_users_carry_their_scope(settings):
    settings.DEMO_MODE = True
    city = f.admin_area("620500", "天水市", "city")
    f.admin_area("620502", "秦州区", "district", city)
    for code, name, kind, own in (
        ("yjj", "应急管理局", "command", False),
        ("gaj", "公安局", "police", True),
        ("xfjy", "消防救援支队", "fire", True),
        ("jdb", "街道办事处", "street", False),
        ("ghj", "规划局", "planning", False),
        ("wjw", "卫健委", "health", True),
    ):
        Department.objects.get_or_create(
            code=code, defaults={"name": name, "kind": kind, "own_work_only": own}
        )
    police = Agency.objects.create(code="POL", name="天水市公安局", kind="police")
    _agency_departments()  # what seed_emergency_demo does after making its agencies
    for _ in range(2):  # idempotent
        call_command("create_demo_users", stdout=io.StringIO())
    users = get_user_model().objects
    local = Scope.for_user(users.get(username="dispatcher_qinzhou"))
    assert local.district_codes == ("620502",) and not local.by_department
    duty = Scope.for_user(users.get(username="police_duty"))
    assert duty.by_department and not duty.by_district
    assert Scope.for_user(users.get(username="dispatcher")).city_wide
    assert Scope.for_user(users.get(username="admin")).city_wide
    police.refresh_from_db()
    assert police.department.code == "gaj"
    assert users.get(username="dispatcher_qinzhou").check_password("tianshui-dispatcher_qinzhou-demo")

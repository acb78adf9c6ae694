"""Fixtures of the deployment tests: the process topology behind nginx (one per
module) and a small committed city for it to serve (flushed afterwards)."""

from __future__ import annotations

import io
import shutil
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from tests.deploy.topology import Topology


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "deploy: starts the production topology as processes (nginx, gunicorn, ASGI)"
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test of a topology carries the tails of its servers' logs in its
    report: a failure seen only in CI can be read there (the folder is gone)."""
    report = yield
    if report.failed and call.when == "call":
        for name in ("topology", "faulty"):
            topo = item.funcargs.get(name)
            if isinstance(topo, tuple):
                topo = topo[0]
            if isinstance(topo, Topology):
                for title, text in topo.log_tails():
                    report.sections.append((f"{name}: {title}", text))
    return report


@dataclass
class Site:
    """What the committed city holds."""

    plate_code: str
    door_name: str
    users: dict


def build_city() -> Site:
    """A street block of 秦州区 with two roads, generated addresses, one issued plate,
    and users with and without a platform role."""
    from django.contrib.auth.models import Group, User

    from cim import roles
    from cim.models import Address
    from cim.services.addresses import addresses_generate
    from cim.services.plates import plate_issue
    from tests import factories as f

    f.qinzhou_block()
    f.road((105.705, 34.576), (105.705, 34.580), name="建设路", road_class="tertiary", source_id="j1")
    f.building(105.7012, 34.5803, size=0.0002, height=18, floors=6, use="residential", source_id="p1")
    f.service_point(
        105.7052,
        34.5790,
        "gov_service_hall",
        "秦州区政务服务中心",
        name_en="Qinzhou Government Service Centre",
        phone="0938-12345",
    )
    addresses_generate(by="test", progress=False)
    call_command("seed_service_items", stdout=io.StringIO())
    door = Address.objects.get(kind="door", full_name__endswith="民主路1号")
    plate = plate_issue(address=door, by="test")
    users = {}
    for role in (roles.DISPATCHER, roles.PLANNER, None):
        user = User.objects.create_user(username=f"deploy_{role or 'nobody'}", password="pw-for-tests-1")
        if role:
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        users[role] = user
    return Site(plate_code=plate.code, door_name=door.full_name, users=users)


def _forget_redis(prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    for key in client.scan_iter(match=f"{prefix}*", count=1000):
        client.delete(key)
    client.close()


@pytest.fixture(scope="module")
def topology(test_database, django_db_blocker):
    """nginx + 2 gunicorn + 2 daphne on the test database and this run's Redis prefix."""
    if not shutil.which("nginx"):
        pytest.fail("nginx is not installed (scripts/setup.sh installs Debian's nginx)")
    with django_db_blocker.unblock():
        database = dict(connection.settings_dict)
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    # The servers share the test process's Redis prefix: the channel layer
    # (prefix + ":asgi") and the caches are then the same for both.
    topo = Topology(
        database=database,
        redis_url=settings.CACHES["default"]["LOCATION"],
        redis_prefix=prefix,
        secret_key=settings.SECRET_KEY,
        hash_salt=settings.CIM["CLIENT_HASH_SALT"],
    )
    try:
        with topo:
            yield topo
    finally:
        _forget_redis(prefix)
        topo.cleanup()


@pytest.fixture(scope="module")
def site(test_database, django_db_blocker):
    """The committed city the topology serves (flushed after the module)."""
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)
        try:
            yield build_city()
        finally:
            call_command("flush", interactive=False, verbosity=0)

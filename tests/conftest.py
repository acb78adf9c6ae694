"""Shared fixtures: users per role, API clients, the shared real-data folder."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from cim import roles
from cim.conf import cim_settings

# The daphne fixture of the modules that talk to the ASGI application over a real socket,
# registered once (imported into each module, as before, each copy was a session fixture of its
# own: every module started a daphne and all of them ran until the end of the session).
from tests.emergency.live_support import asgi_server  # noqa: E402, F401


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (real OSM, SRTM, CityJSON, Tianshui admin data)."""
    path = Path(cim_settings.SHARED_DATA_DIR)
    if not path.is_dir():
        pytest.fail(f"shared data folder missing: {path} (set CIM_SHARED_DATA)")
    return path


@pytest.fixture(scope="session")
def test_database(django_db_setup, django_db_blocker):
    """The test database, for fixtures that commit data themselves (browser and
    live-server tests, module-wide cities) under ``django_db_blocker.unblock()``.

    pytest-django creates the test database only when a collected test asks for
    the database (a ``django_db`` mark, ``db``, ``transactional_db``,
    ``live_server``); otherwise ``django_db_setup`` leaves the connection on the
    real database, and such a fixture, run on its own (``pytest
    tests/viewer/test_live_browser.py``), would build and flush its city there.
    This makes sure the test database exists whichever tests were collected."""
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases

    created = None
    if connection.settings_dict["NAME"] != connection.creation._get_test_db_name():
        with django_db_blocker.unblock():
            created = setup_databases(verbosity=0, interactive=False, aliases={"default"},
                                      serialized_aliases=set())
        assert connection.settings_dict["NAME"] == connection.creation._get_test_db_name()
    try:
        yield
    finally:
        # Servers the tests started (and killed) may still be leaving the
        # database; dropping it meanwhile fails ("being accessed by other users").
        with django_db_blocker.unblock():
            _wait_for_other_sessions(connection.settings_dict)
            if created is not None:
                teardown_databases(created, verbosity=0)


def _wait_for_other_sessions(database: dict, timeout: float = 10.0) -> None:
    """Until no other session uses ``database`` (then end the stragglers)."""
    import time

    from django.db import connection, connections

    connections.close_all()
    others = "FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
    with connection.creation._nodb_cursor() as cur:  # Django's own way to the server's maintenance database
        deadline = time.monotonic() + timeout
        while True:
            cur.execute(f"SELECT pid {others}", [database["NAME"]])
            if not cur.fetchall():
                break
            if time.monotonic() > deadline:
                cur.execute(f"SELECT pg_terminate_backend(pid) {others}", [database["NAME"]])
                break
            time.sleep(0.05)


@pytest.fixture
def orm(django_db_blocker):
    """Database access in the test body (autocommit, like the servers) for tests whose records
    a fixture committed itself (browser and live-server tests)."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def make_user(db, django_user_model):
    def make(role: str | None, username: str | None = None):
        from django.contrib.auth.models import Group

        name = username or f"{role or 'nobody'}_user"
        user = django_user_model.objects.create_user(username=name, password="pw-for-tests-1")
        if role:
            group, _ = Group.objects.get_or_create(name=role)
            user.groups.add(group)
        return user

    return make


@pytest.fixture
def client_for(make_user):
    """``client_for("planner")`` → an APIClient logged in with that role;
    ``client_for(None)`` → the anonymous public."""

    serial = itertools.count(1)

    def make(role: str | None) -> APIClient:
        client = APIClient()
        if role is not None:  # a new user each call (an id() is reused once its client is gone)
            client.force_authenticate(make_user(role, f"{role}_client{next(serial)}"))
        return client

    return make


@pytest.fixture
def media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CIM = {**settings.CIM, "DEM_DIR": tmp_path / "media" / "dem",
                    "TILES_DIR": tmp_path / "media" / "tiles",
                    "TERRAIN_DIR": tmp_path / "media" / "terrain",
                    "BASEMAP_DIR": tmp_path / "media" / "basemap",
                    "BIM_TILES_DIR": tmp_path / "media" / "bim"}
    return settings.MEDIA_ROOT


ROLES = [roles.ADMIN, roles.PLANNER, roles.COMMANDER, roles.DISPATCHER, roles.RESPONDER, None]


@pytest.fixture
def plates_redis_clean():
    """Forget the plate pages, scan counters and rate limits of this test
    database's Redis prefix (never FLUSHDB: other processes share Redis)."""
    from cim.services.plates import _redis

    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    r = _redis()

    def clean():
        for key in r.scan_iter(match=f"{prefix}:*", count=1000):
            r.delete(key)

    clean()
    yield
    clean()


@pytest.fixture
def plate_city(db, plates_redis_clean):
    """A small street block of 秦州区 with two named roads, service points,
    generated addresses, the service catalogue and one issued plate."""
    from django.core.management import call_command

    from cim.models import Address
    from cim.services.addresses import addresses_generate
    from cim.services.plates import plate_issue
    from tests import factories as f

    block = f.qinzhou_block()
    district, street, community = block["district"], block["street"], block["community"]
    community.contact_phone = "0938-8212345"
    community.office_address = "进步巷社区服务中心"
    community.save()
    f.road((105.705, 34.576), (105.705, 34.580), name="建设路", road_class="tertiary", source_id="j1")
    f.road((105.705, 34.580), (105.705, 34.584), name="建设路", road_class="tertiary", source_id="j2")
    f.building(105.7012, 34.5803, size=0.0002, height=18, floors=6, use="residential",
               source_id="p1")
    f.building(105.7030, 34.5803, size=0.0002, height=18, floors=6, use="residential",
               source_id="p2")
    f.building(105.7030, 34.5794, size=0.0002, height=9, use="commercial", source_id="p3")
    hall = f.service_point(105.7052, 34.5790, "gov_service_hall", "秦州区政务服务中心",
                           name_en="Qinzhou Government Service Centre", phone="0938-12345",
                           opening_hours="周一至周五 9:00-17:00")
    police = f.service_point(105.7048, 34.5830, "police_station", "大城派出所",
                             name_en="Dacheng Police Station")
    centre = f.service_point(105.7080, 34.5805, "community_centre", "进步巷社区服务中心",
                             name_en="Jinbuxiang Community Centre")
    addresses_generate(by="test", progress=False)
    call_command("seed_service_items", stdout=io.StringIO())
    door = Address.objects.get(kind="door", full_name__endswith="民主路1号")
    plate = plate_issue(address=door, by="test")
    return {"district": district, "street": street, "community": community, "door": door,
            "plate": plate, "hall": hall, "police": police, "centre": centre}

"""Shared fixtures: users per role, API clients, the shared real-data folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from cim import roles


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (real OSM, SRTM, CityJSON, Tianshui admin data)."""
    path = Path(settings.CIM["SHARED_DATA_DIR"])
    if not path.is_dir():
        pytest.fail(f"shared data folder missing: {path} (set CIM_SHARED_DATA)")
    return path


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

    def make(role: str | None) -> APIClient:
        client = APIClient()
        if role is not None:
            client.force_authenticate(make_user(role, f"{role}_{id(client)}"))
        return client

    return make


@pytest.fixture
def media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CIM = {**settings.CIM, "DEM_DIR": tmp_path / "media" / "dem",
                    "TILES_DIR": tmp_path / "media" / "tiles",
                    "TERRAIN_DIR": tmp_path / "media" / "terrain"}
    return settings.MEDIA_ROOT


ROLES = [roles.ADMIN, roles.PLANNER, roles.COMMANDER, roles.DISPATCHER, roles.RESPONDER, None]

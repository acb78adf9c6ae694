"""Every app setting is declared once (cim/conf.py) and read through one object;
an undeclared key is an error when read and when set."""

from __future__ import annotations

import pytest
from django.core import checks

from cim.conf import cim_settings


def test_declared_defaults_and_overrides(settings):
    assert cim_settings.SCAN_RATE_PER_MIN == 60
    settings.CIM = {**settings.CIM, "SCAN_RATE_PER_MIN": 7}
    assert cim_settings.SCAN_RATE_PER_MIN == 7 and cim_settings["SCAN_RATE_PER_MIN"] == 7
    with pytest.raises(AttributeError, match="not a declared setting"):
        _ = cim_settings.SCAN_RATE_PER_HOUR


def test_unknown_key_fails_the_system_check(settings):
    settings.CIM = {**settings.CIM, "SCAN_RATE_PER_HOURS": 5}
    errors = [m for m in checks.run_checks() if m.id == "config.E001"]
    assert errors and "SCAN_RATE_PER_HOURS" in errors[0].msg
    settings.CIM = {k: v for k, v in settings.CIM.items() if k != "SCAN_RATE_PER_HOURS"}
    assert not [m for m in checks.run_checks() if m.id == "config.E001"]


def test_every_key_is_documented():
    for name, key in cim_settings.declared().items():
        assert key.doc.strip(), name


def test_emergency_settings_are_declared_in_one_place(settings):
    from emergency.conf import emergency_settings

    assert emergency_settings.POSITION_BATCH_MAX == 1000
    settings.EMERGENCY = {"POSITION_BATCH_MAX": 3}
    assert emergency_settings.POSITION_BATCH_MAX == 3 and emergency_settings.LIVE_REPLAY_MAX == 5000
    settings.EMERGENCY = {"POSITION_BATCH_MAXX": 3}
    assert any(m.id == "config.E001" and "POSITION_BATCH_MAXX" in m.msg for m in checks.run_checks())

"""Every answer carries a strict Content-Security-Policy (issue 12, security
fix 9): pages, static files, the scan page's fast path and the API."""

from __future__ import annotations

import pytest
from django.test import Client

from config.common.csp import policy


def _directives(header: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_policy_allows_only_the_platform_itself(settings):
    settings.CIM = {**settings.CIM, "WS_URL": "ws://127.0.0.1:8001/"}
    d = _directives(policy())
    assert d["script-src"] == ["'self'", "'wasm-unsafe-eval'"]  # no inline script, no eval
    assert "'unsafe-eval'" in _directives(policy(allow_eval=True))["script-src"]
    assert d["object-src"] == ["'none'"] and d["frame-ancestors"] == ["'none'"]
    assert d["connect-src"] == ["'self'", "ws://127.0.0.1:8001"]
    assert "blob:" in d["worker-src"]  # Cesium's workers
    assert not any("http" in v for values in d.values() for v in values if v != "ws://127.0.0.1:8001")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/api/cim/admin-areas/", "/static/viewer/base.css",
                                  "/P/NOSUCHPLATE"])
def test_every_answer_carries_the_policy(path):
    resp = Client().get(path)
    assert resp.status_code < 500
    assert "script-src 'self'" in resp["Content-Security-Policy"], path


def test_only_the_3d_pages_allow_eval(client_for, make_user):
    from django.test import Client as PageClient

    page = PageClient()
    page.force_login(make_user("planner", "csp_planner"))
    assert "'unsafe-eval'" in page.get("/viewer/")["Content-Security-Policy"]  # CesiumJS needs it
    assert "'unsafe-eval'" not in page.get("/")["Content-Security-Policy"]
    assert "'unsafe-eval'" not in page.get("/accounts/login/")["Content-Security-Policy"]


def test_scan_page_fast_path_carries_the_policy(plate_city):
    client = Client(REMOTE_ADDR="10.40.0.1")
    for _ in range(2):  # the second answer comes from the cache, through the fast path
        resp = client.get(f"/P/{plate_city['plate'].code}")
        assert resp.status_code == 200 and "script-src 'self'" in resp["Content-Security-Policy"]

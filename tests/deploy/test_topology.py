"""The deployment as shipped, proved without containers: Debian's nginx with the
repository's configuration (rendered by ``docker/nginx/entrypoint.sh``, self-signed
certificate included) in front of 2 gunicorn and 2 daphne processes running the
production settings on the test database and the real Redis.

Driven over HTTPS as a browser would: HTTP is redirected, the probes answer,
the plate page is served by Django, static files, terrain and (after Django's
yes) 3D tiles by nginx itself, WebSockets reach both ASGI servers and get an
event that a POST through gunicorn produced, and a 30 MB upload passes where
the application takes one and nowhere else.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import time
import wave
from pathlib import Path

import pytest
import requests
from django.conf import settings
from websockets.sync.client import connect

from cim import roles
from tests.deploy.topology import SerialTLSConnection, browser_session
from tests.emergency.live_support import session_cookie

pytestmark = [pytest.mark.deploy, pytest.mark.slow]


def _get(topology, path: str, **kwargs) -> requests.Response:
    kwargs.setdefault("allow_redirects", False)
    return requests.get(topology.base + path, verify=str(topology.certificate), timeout=30, **kwargs)


def _signed_in(topology, user) -> requests.Session:
    """A browser-like session signed in as ``user``."""
    return browser_session(topology, session_cookie(user), cookie_name=settings.SESSION_COOKIE_NAME,
                           csrf_cookie_name=settings.CSRF_COOKIE_NAME)


def test_http_is_redirected_to_https(topology):
    resp = requests.get(topology.http_base + "/P/ABC?lang=en", allow_redirects=False, timeout=10)
    assert resp.status_code == 301
    assert resp.headers["Location"] == f"{topology.base}/P/ABC?lang=en"


def test_probes_through_nginx_and_on_each_instance(topology):
    health = _get(topology, "/healthz")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    ready = _get(topology, "/readyz")
    assert ready.status_code == 200, ready.text
    assert ready.json() == {
        "status": "ready",
        "checks": {"database": "ok", "redis": "ok", "migrations": "ok"},
    }
    # The processes' own probes are plain HTTP (compose calls them directly): not
    # redirected, while any other page is (production settings, no proxy header).
    for service in topology.group("web") + topology.group("asgi"):
        direct = f"http://127.0.0.1:{service.port}"
        assert requests.get(direct + "/healthz", timeout=10).status_code == 200, service.name
        assert requests.get(direct + "/readyz", timeout=10).json()["status"] == "ready", service.name
        page = requests.get(direct + "/P/", allow_redirects=False, timeout=10)
        assert page.status_code == 301 and page.headers["Location"].startswith("https://"), service.name


def test_plate_scan_page_through_nginx(topology, site):
    resp = _get(topology, f"/P/{site.plate_code}")
    assert resp.status_code == 200, resp.text[:500]
    assert site.door_name in resp.text
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]  # Django answered
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=")


def _a_gzipped_static_file(static_root: Path) -> Path:
    for candidate in sorted(static_root.rglob("*.css.gz")) + sorted(static_root.rglob("*.js.gz")):
        return candidate.with_suffix("")
    raise AssertionError(f"collectstatic wrote no .gz file under {static_root}")


def test_static_files_are_served_by_nginx_precompressed(topology):
    plain = _a_gzipped_static_file(topology.static_root)
    url = "/static/" + plain.relative_to(topology.static_root).as_posix()
    resp = _get(topology, url, headers={"Accept-Encoding": "gzip"}, stream=True)
    raw = resp.raw.read(decode_content=False)
    assert resp.status_code == 200
    assert resp.headers["X-Served-By"] == "nginx"
    assert "Content-Security-Policy" not in resp.headers  # not through Django
    # gzip_static: the very bytes collectstatic compressed, not a fresh compression
    assert resp.headers["Content-Encoding"] == "gzip"
    assert raw == plain.with_name(plain.name + ".gz").read_bytes()
    assert gzip.decompress(raw) == plain.read_bytes()
    assert resp.headers["Cache-Control"] == "public, max-age=300" and "ETag" in resp.headers
    revalidated = _get(
        topology, url, headers={"If-None-Match": resp.headers["ETag"], "Accept-Encoding": "gzip"}
    )
    assert revalidated.status_code == 304
    identity = _get(topology, url, headers={"Accept-Encoding": "identity"})
    assert identity.content == plain.read_bytes() and "Content-Encoding" not in identity.headers
    assert _get(topology, "/static/no/such/file.css").status_code == 404


@pytest.fixture(scope="module")
def published(topology):
    """A published tileset and terrain on the shared media volume."""
    media = topology.media_root
    glb = b"glTF" + bytes(range(256)) * 40
    (media / "tiles" / "t").mkdir(parents=True)
    (media / "tiles" / "tileset.json").write_text(json.dumps({"asset": {"version": "1.1"}}))
    (media / "tiles" / "t" / "r0.glb").write_bytes(glb)
    (media / "tiles" / "t" / "r0.glb.gz").write_bytes(gzip.compress(glb))
    (media / "tiles" / "build-manifest.json").write_text("{}")
    (media / "terrain" / "0" / "0").mkdir(parents=True)
    (media / "terrain" / "layer.json").write_text(json.dumps({"format": "quantized-mesh-1.0"}))
    terrain = bytes(range(200)) * 10
    (media / "terrain" / "0" / "0" / "0.terrain").write_bytes(gzip.compress(terrain))
    for path in [media, *media.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return {"glb": glb, "terrain": terrain}


def test_public_terrain_is_served_by_nginx(topology, published):
    resp = _get(topology, "/terrain/0/0/0.terrain?v=abc", stream=True)
    raw = resp.raw.read(decode_content=False)
    assert resp.status_code == 200 and resp.headers["X-Served-By"] == "nginx"
    assert resp.headers["Content-Encoding"] == "gzip"  # stored gzipped: Cesium needs the header
    assert gzip.decompress(raw) == published["terrain"]
    assert resp.headers["Content-Type"].startswith("application/vnd.quantized-mesh")
    assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    entry = _get(topology, "/terrain/layer.json")
    assert entry.json() == {"format": "quantized-mesh-1.0"}
    assert entry.headers["Cache-Control"] == "public, no-cache"
    # only the published names (as Django's view): nothing else of the folder
    (topology.media_root / "terrain" / "notes.txt").write_text("private")
    assert _get(topology, "/terrain/notes.txt").status_code == 404


def test_tiles_need_a_platform_role_then_nginx_serves_them(topology, site, published):
    anonymous = _get(topology, "/tiles/tileset.json")
    assert anonymous.status_code == 401
    assert anonymous.json() == {
        "error": "not_authenticated",
        "detail": "sign in to load the 3D city",
        "field": None,
    }
    assert _get(topology, "/tiles/t/r0.glb").status_code == 401
    no_role = _signed_in(topology, site.users[None]).get(topology.base + "/tiles/tileset.json")
    assert no_role.status_code == 403 and no_role.json()["error"] == "permission_denied"

    planner = _signed_in(topology, site.users[roles.PLANNER])
    entry = planner.get(topology.base + "/tiles/tileset.json")
    assert entry.status_code == 200 and entry.json() == {"asset": {"version": "1.1"}}
    assert entry.headers["X-Served-By"] == "nginx" and entry.headers["Cache-Control"] == "private, no-cache"
    tile = planner.get(
        topology.base + "/tiles/t/r0.glb?v=1", headers={"Accept-Encoding": "gzip"}, stream=True
    )
    raw = tile.raw.read(decode_content=False)
    assert tile.status_code == 200 and tile.headers["Content-Encoding"] == "gzip"
    assert raw == (topology.media_root / "tiles" / "t" / "r0.glb.gz").read_bytes()
    assert gzip.decompress(raw) == published["glb"]
    assert tile.headers["Content-Type"] == "model/gltf-binary"
    assert tile.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    # only the published files: not the build's manifest
    assert planner.get(topology.base + "/tiles/build-manifest.json").status_code == 404


def _socket(topology, user, *, after: int | None = None):
    return connect(
        topology.base.replace("https", "wss") + "/ws/ops/" + (f"?after={after}" if after is not None else ""),
        ssl=topology.ssl_context(),
        additional_headers={
            "Cookie": f"{settings.SESSION_COOKIE_NAME}={session_cookie(user)}",
            "Origin": topology.base,
        },
        open_timeout=20,
        max_size=2**24,
        create_connection=SerialTLSConnection,
    )


def _until(ws, predicate, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        message = json.loads(ws.recv(timeout=left))
        if predicate(message):
            return message
    raise AssertionError("no matching message")


def _upstreams(topology, uri: str) -> set[str]:
    return {entry["upstream"] for entry in topology.access_log() if entry["uri"] == uri}


def test_websockets_on_both_asgi_servers_get_an_event_posted_through_gunicorn(topology, site):
    dispatcher = site.users[roles.DISPATCHER]
    with _socket(topology, dispatcher) as first, _socket(topology, dispatcher) as second:
        consoles = [first, second]
        for ws in consoles:
            _until(ws, lambda m: m["type"] == "synced")
        client = _signed_in(topology, dispatcher)
        made = client.post(
            topology.base + "/api/emergency/incidents/",
            timeout=30,
            json={
                "title": "民主路居民楼起火",
                "incident_type": "fire",
                "source": "119",
                "lon": 105.7041,
                "lat": 34.5801,
                "level": "III",
            },
        )
        assert made.status_code == 201, made.text
        for ws in consoles:
            event = _until(ws, lambda m: m["type"] == "event" and m["kind"] == "incident.created")
            assert event["payload"]["id"] == made.json()["id"]
    # round robin: one console on each ASGI server, so the event crossed Redis to both
    asgi = {f"127.0.0.1:{s.port}" for s in topology.group("asgi")}
    deadline = time.monotonic() + 10
    while _upstreams(topology, "/ws/ops/") != asgi and time.monotonic() < deadline:
        time.sleep(0.2)  # nginx logs a WebSocket when it closes
    assert _upstreams(topology, "/ws/ops/") == asgi
    for _ in range(4):
        assert _get(topology, "/healthz").status_code == 200
    assert _upstreams(topology, "/healthz") >= {f"127.0.0.1:{s.port}" for s in topology.group("web")}


def _wav(nbytes: int) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(44100)
        w.writeframes(bytes(nbytes))
    return out.getvalue()


def test_a_30_mb_upload_passes_nginx_where_the_application_takes_it(topology, site, orm):
    from django.contrib.gis.geos import Point

    from emergency import services
    from emergency.models import Attachment

    dispatcher = site.users[roles.DISPATCHER]
    incident = services.incident_create(
        title="现场录音",
        incident_type="fire",
        source="119",
        location=Point(105.7041, 34.5801, srid=4326),
        by=dispatcher,
    )
    sound = _wav(30_000_000)
    client = _signed_in(topology, dispatcher)
    url = f"{topology.base}/api/emergency/incidents/{incident.pk}/attachments/"
    resp = client.post(url, files={"file": ("call.wav", sound, "audio/wav")}, timeout=120)
    assert resp.status_code == 201, resp.text[:500]
    assert resp.json()["kind"] == "audio"
    stored = Attachment.objects.get(incident=incident)
    assert stored.size_bytes == len(sound)
    assert (topology.media_root / stored.file.name).stat().st_size == len(sound)  # the servers' volume
    # anywhere else the body limit is nginx's default for the platform (25 MB)
    refused = client.post(
        topology.base + "/api/emergency/incidents/",
        data=sound[: 26 * 2**20],
        headers={"Content-Type": "application/json"},
        timeout=60,
    )
    assert refused.status_code == 413


def _json_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


def test_one_request_id_across_nginx_gunicorn_and_django_logs(topology):
    resp = _get(topology, "/no-such-page-for-the-log/")
    assert resp.status_code == 404
    request_id = resp.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)  # nginx's $request_id, kept by Django
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        served = [e for e in topology.access_log() if e["request_id"] == request_id]
        web = [s for s in topology.group("web") if served and served[0]["upstream"] == f"127.0.0.1:{s.port}"]
        lines = (
            [line for line in _json_lines(web[0].log) if line.get("request_id") == request_id] if web else []
        )
        if {line["logger"] for line in lines} >= {"gunicorn.access", "django.request"}:
            break
        time.sleep(0.2)
    assert served and served[0]["uri"] == "/no-such-page-for-the-log/" and served[0]["status"] == 404
    by_logger = {line["logger"]: line for line in lines}
    assert by_logger["gunicorn.access"]["status"] == 404
    assert by_logger["django.request"]["level"] == "WARNING"
    assert "/no-such-page-for-the-log/" in by_logger["django.request"]["message"]


def test_metrics_on_each_instance_not_through_nginx(topology):
    for _ in range(6):
        assert _get(topology, "/healthz").status_code == 200
    assert _get(topology, "/metrics").status_code == 404  # nginx does not route it
    seen = 0.0
    for service in topology.group("web"):
        direct = requests.get(f"http://127.0.0.1:{service.port}/metrics", timeout=10)
        assert direct.status_code == 200 and direct.headers["Content-Type"].startswith("text/plain")
        for line in direct.text.splitlines():
            if (
                line.startswith("django_http_requests_total_by_view_transport_method_total{")
                and "healthz" in line
            ):
                seen += float(line.rsplit(" ", 1)[1])
        # a request relayed by a proxy is refused by Django itself too
        relayed = requests.get(
            f"http://127.0.0.1:{service.port}/metrics", headers={"X-Forwarded-For": "203.0.113.9"}, timeout=10
        )
        assert relayed.status_code == 404
    assert seen >= 6  # every /healthz answered above was counted by one instance or the other


def _metric(text: str, name: str, **labels) -> float:
    """The sum of the samples of ``name`` whose labels include ``labels``."""
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        head, value = line.rsplit(" ", 1)
        if all(f'{k}="{v}"' in head for k, v in labels.items()):
            total += float(value)
    return total


def test_platform_metrics_websockets_ingestion_and_jobs(topology, site, orm):
    from emergency.models import Agency, Unit

    dispatcher = site.users[roles.DISPATCHER]
    agency = Agency.objects.create(code="F-MET", name="消防救援支队(指标)", kind="fire")
    unit = Unit.objects.create(code="MET-1", name="指标测试车", agency=agency, unit_type="fire_engine")

    def scrape(service) -> str:
        return requests.get(f"http://127.0.0.1:{service.port}/metrics", timeout=10).text

    def web_sum(name, **labels) -> float:
        return sum(_metric(scrape(s), name, **labels) for s in topology.group("web"))

    def ws_sum() -> float:
        return sum(_metric(scrape(s), "cim_websocket_connections", stream="ops")
                   for s in topology.group("asgi"))

    open_before = ws_sum()
    with _socket(topology, dispatcher) as ws:
        _until(ws, lambda m: m["type"] == "synced")
        assert ws_sum() == open_before + 1  # counted by the instance that holds it
    deadline = time.monotonic() + 10
    while ws_sum() != open_before:
        assert time.monotonic() < deadline, "a closed socket is still counted"
        time.sleep(0.2)

    client = _signed_in(topology, dispatcher)
    before = web_sum("cim_positions_total", source="http", outcome="accepted")
    for k in range(3):
        fix = {"unit": unit.pk, "lon": 105.701 + k * 0.0001, "lat": 34.58}
        assert client.post(topology.base + "/api/emergency/positions/", json={"positions": [fix]},
                           timeout=30).status_code == 200
    assert web_sum("cim_positions_total", source="http", outcome="accepted") == before + 3

    text = scrape(topology.group("web")[0])
    assert "cim_job_queue_depth " in text  # the broker's backlog, read when scraped
    assert "cim_job_oldest_queued_seconds " in text


# --- faults (last in the module: they kill and restart instances) ------------------------------


def _create_incident(client, title: str, *, retries: int = 0) -> int:
    """POST an incident; a 502 (the instance died under the request) is retried as a client would."""
    for _attempt in range(retries + 1):
        made = client.post(
            client.base + "/api/emergency/incidents/",
            timeout=30,
            json={"title": title, "incident_type": "fire", "source": "119", "lon": 105.7041, "lat": 34.5801},
        )
        if made.status_code != 502:
            break
    assert made.status_code == 201, made.text
    return made.json()["id"]


def test_a_dead_gunicorn_instance_is_skipped_by_nginx(topology, site, orm):
    from emergency.models import Incident

    client = _signed_in(topology, site.users[roles.DISPATCHER])
    victim = topology.services["web-1"]
    victim.kill()
    try:
        for k in range(4):
            # a GET is passed to the other instance; a POST that nginx had already
            # written to a dead kept-alive connection comes back 502 once (never
            # resent by nginx), and the client's retry goes to the live one
            assert _get(topology, "/healthz").status_code == 200
            _create_incident(client, f"故障演练{k}", retries=1)
    finally:
        victim.start()
    assert requests.get(f"http://127.0.0.1:{victim.port}/healthz", timeout=10).status_code == 200
    # nothing half-made, nothing twice
    for k in range(4):
        assert Incident.objects.filter(title=f"故障演练{k}").count() == 1


def _closed_within(ws, seconds: float) -> bool:
    from websockets.exceptions import ConnectionClosed

    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            ws.recv(timeout=left)
        except ConnectionClosed:
            return True
        except TimeoutError:
            return False
    return False


def test_a_console_losing_its_asgi_instance_reconnects_through_nginx_and_misses_nothing(topology, site):
    dispatcher = site.users[roles.DISPATCHER]
    client = _signed_in(topology, dispatcher)
    with _socket(topology, dispatcher) as ws:
        last = _until(ws, lambda m: m["type"] == "synced")["last_id"]
        # which instance holds it: kill one; if the socket survives, it was the other
        killed = []
        for name in ("asgi-1", "asgi-2"):
            topology.services[name].kill()
            killed.append(name)
            if _closed_within(ws, 3.0):
                break
            topology.services[name].start()
            killed.remove(name)
        else:
            raise AssertionError("the console's connection survived both instances")
    try:
        missed = [_create_incident(client, f"断线期间{k}") for k in range(2)]
        # reconnect through nginx (the dead instance is skipped) with the last id seen:
        # the missed events first, oldest first, then "synced"
        with _socket(topology, dispatcher, after=last) as resumed:
            replayed = []
            while (message := json.loads(resumed.recv(timeout=20)))["type"] != "synced":
                replayed.append(message)
        created = [m["payload"]["id"] for m in replayed if m.get("kind") == "incident.created"]
        assert created == missed
        assert [m["id"] for m in replayed] == sorted(m["id"] for m in replayed)
    finally:
        for name in killed:
            topology.services[name].start()

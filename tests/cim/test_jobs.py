"""Jobs on a real Celery worker (a process started here, on the real Redis and
the test database): submit, follow to the result, cancel, kill the worker
mid-import, and the API's refusals.

The worker consumes a queue of its own (this run's database name and process
id), so parallel test runs on one Redis never take each other's tasks.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from cim.models import AuditLog, BimModel, Building, ImportRun, Job
from config.celery import app as celery_app
from tests.cim import jobs_test_kinds  # noqa: F401  (the test-only kinds, here as in the worker)
from tests.emergency.live_support import session_cookie
from tests.viewer.browser_kit import PLAIN_ARGS, SHOTS, chromium, sign_in
from viewer.views.jobs import PARAM_FIELDS

pytestmark = pytest.mark.django_db(transaction=True)

# The page's form for the test-only kind: the vector import's.
PARAM_FIELDS["test.slow_import"] = PARAM_FIELDS["import.vector"]

ROOT = Path(__file__).resolve().parents[2]


class Worker:
    """A ``celery worker`` process on this run's queue and test database."""

    def __init__(self, queue: str, media: Path, log: Path):
        self.queue, self.media, self.log = queue, media, log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        db = connection.settings_dict
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": f"postgis://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "CIM_MEDIA_ROOT": str(self.media),
            "CELERY_QUEUE": self.queue,
            "PYTHONPATH": str(ROOT),
        }
        self.log.write_text("")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "-Q",
                self.queue,
                "-I",
                "tests.cim.jobs_test_kinds",
                "-n",
                f"jobs-test-{os.getpid()}@%h",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "info",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while " ready." not in self.log.read_text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.2)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(scope="module")
def worker(test_database, tmp_path_factory):
    media = tmp_path_factory.mktemp("jobs-media")
    queue = f"{settings.CELERY_TASK_DEFAULT_QUEUE}:{os.getpid()}"
    celery_app.conf.task_default_queue = queue
    w = Worker(queue, media, media.parent / "worker.log")
    w.start()
    yield w
    w.stop()


@pytest.fixture(autouse=True)
def same_media(worker, settings):
    settings.MEDIA_ROOT = worker.media
    settings.CIM = {
        **settings.CIM,
        "TILES_DIR": worker.media / "tiles",
        "TERRAIN_DIR": worker.media / "terrain",
        "DEM_DIR": worker.media / "dem",
        "BIM_TILES_DIR": worker.media / "bim",
    }


def _geojson(n: int, *, broken: bool = False) -> bytes:
    features = []
    for k in range(n):
        lon, lat = 105.70 + (k % 40) * 0.0004, 34.57 + (k // 40) * 0.0004
        ring = [
            [lon, lat],
            [lon + 0.0002, lat],
            [lon + 0.0002, lat + 0.0002],
            [lon, lat + 0.0002],
            [lon, lat],
        ]
        features.append(
            {
                "type": "Feature",
                "id": f"b{k}",
                "properties": {"name": f"楼{k}", "height": 12 + k % 20},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    doc = {"type": "FeatureCollection", "features": features}
    return json.dumps(doc).encode()[:-40] if broken else json.dumps(doc).encode()


def _upload(n: int, name: str = "blocks.geojson", **kw) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, _geojson(n, **kw), content_type="application/geo+json")


def _submit(client, kind: str, params: dict, upload=None):
    if upload is None:
        return client.post("/api/jobs/", {"kind": kind, "params": params}, format="json")
    return client.post(
        "/api/jobs/", {"kind": kind, "params": json.dumps(params), "file": upload}, format="multipart"
    )


def _follow(client, job_id: int, *, until=lambda j: j["finished"], timeout: float = 60) -> list[dict]:
    """The job's states as the API shows them, polled until ``until``."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/api/jobs/{job_id}/").json()
        if not seen or (body["status"], body["progress"], body["message"]) != (
            seen[-1]["status"],
            seen[-1]["progress"],
            seen[-1]["message"],
        ):
            seen.append(body)
        if until(body):
            return seen
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not get there: {seen[-3:]}")


def test_an_uploaded_import_runs_on_the_worker_and_reports_progress(client_for, worker):
    admin = client_for("admin")
    answer = _submit(admin, "import.vector", {"kind": "buildings", "map": {"height": "height"}}, _upload(600))
    assert answer.status_code == 202, answer.content
    job = answer.json()
    assert job["status"] == "queued" and job["input_name"].endswith(".geojson")
    states = _follow(admin, job["id"])
    final = states[-1]
    assert final["status"] == "succeeded", final
    assert final["progress"] == 100
    assert final["result"]["counts"]["buildings"]["inserted"] == 600
    assert any(s["status"] == "running" for s in states)  # followed while it ran
    assert Building.objects.filter(source="blocks").count() == 600
    run = ImportRun.objects.get(pk=final["result"]["import_run"])
    assert run.status == "succeeded" and run.options["job"] == job["id"]
    assert AuditLog.objects.filter(action="job.submit", object_id=str(job["id"])).exists()
    assert AuditLog.objects.filter(action="job.succeeded", object_id=str(job["id"])).exists()


def test_a_broken_file_fails_the_job_with_the_reason_and_stores_nothing(client_for, worker):
    admin = client_for("admin")
    job = _submit(admin, "import.vector", {"kind": "buildings"}, _upload(50, broken=True)).json()
    final = _follow(admin, job["id"])[-1]
    assert final["status"] == "failed"
    assert "blocks" in final["error"]
    assert Building.objects.count() == 0


def test_an_ifc_upload_runs_as_a_job_and_says_where_it_placed_the_model(client_for, worker, tmp_path):
    from tests.cim.ifc_files import small_ifc

    admin = client_for("admin")
    data = small_ifc(tmp_path / "plain.ifc").read_bytes()
    bad = _submit(admin, "import.ifc", {"lon": 105.72}, SimpleUploadedFile("plain.ifc", data))
    assert bad.status_code == 400 and bad.json()["field"] == "params.lat"
    bad = _submit(admin, "import.ifc", {"classes": "walls; drop"}, SimpleUploadedFile("plain.ifc", data))
    assert bad.status_code == 400 and bad.json()["field"] == "params.classes"
    bad = _submit(admin, "import.ifc", {}, SimpleUploadedFile("plain.txt", data))
    assert bad.status_code == 400 and bad.json()["field"] == "file"

    # no placement in the file and none given: the job fails with the reason, nothing stored
    job = _submit(admin, "import.ifc", {}, SimpleUploadedFile("plain.ifc", data)).json()
    final = _follow(admin, job["id"])[-1]
    assert final["status"] == "failed" and "no placement" in final["error"]
    assert BimModel.objects.count() == 0

    params = {"lon": 105.72, "lat": 34.58, "rotation": 15, "base_height": 1150, "classes": "IfcWall,IfcSlab"}
    job = _submit(admin, "import.ifc", params, SimpleUploadedFile("plain.ifc", data)).json()
    final = _follow(admin, job["id"])[-1]
    assert final["status"] == "succeeded", final
    assert final["result"]["placement"]["source"] == "manual"
    assert final["result"]["placement"]["rotation_deg"] == 15
    assert final["result"]["counts"]["bim_elements"]["inserted"] == 9
    bim = BimModel.objects.get(pk=final["result"]["bim_model"])
    assert (worker.media / "bim" / str(bim.pk) / "tileset.json").is_file()


def test_a_plate_sheet_job_makes_a_pdf_to_download(plate_city, client_for, worker):
    admin = client_for("admin")
    code = plate_city["community"].code
    job = _submit(admin, "plates.sheet", {"community_code": code, "size": "small"}).json()
    final = _follow(admin, job["id"])[-1]
    assert final["status"] == "succeeded", final
    assert final["result"]["plates"] == 1
    assert final["result_url"] == f"/api/jobs/{job['id']}/result/"
    pdf = admin.get(final["result_url"])
    assert pdf.status_code == 200
    body = b"".join(pdf.streaming_content)
    assert body.startswith(b"%PDF") and len(body) == final["result"]["bytes"]
    assert f"plates-{code}-small.pdf" in pdf["Content-Disposition"]
    # another staff member neither sees the job nor its file
    other = client_for("community")
    assert other.get(f"/api/jobs/{job['id']}/").status_code == 404
    assert other.get(final["result_url"]).status_code == 404


def test_cancelling_a_running_import_rolls_it_back(client_for, worker):
    admin = client_for("admin")
    job = _submit(admin, "test.slow_import", {"kind": "buildings"}, _upload(300)).json()
    _follow(admin, job["id"], until=lambda j: j["message"] == "holding")
    assert Building.objects.count() == 0  # written in the import's transaction, not committed
    answer = admin.post(f"/api/jobs/{job['id']}/cancel/")
    assert answer.status_code == 200 and answer.json()["cancel_requested"]
    final = _follow(admin, job["id"], timeout=20)[-1]
    assert final["status"] == "cancelled"
    assert Building.objects.count() == 0
    assert ImportRun.objects.get().status == "failed"
    again = admin.post(f"/api/jobs/{job['id']}/cancel/")
    assert again.status_code == 409 and again.json()["field"] == "status"


def test_a_queued_job_cancelled_before_a_worker_takes_it_never_runs(client_for, worker, settings):
    admin = client_for("admin")
    celery_app.conf.task_default_queue = f"{worker.queue}:nobody"  # no worker listens there
    try:
        job = _submit(admin, "tiles.build", {"full": True}).json()
    finally:
        celery_app.conf.task_default_queue = worker.queue
    answer = admin.post(f"/api/jobs/{job['id']}/cancel/")
    assert answer.json()["status"] == "cancelled"
    # its task, had it reached a worker, would find it cancelled and do nothing
    from cim.services.jobs import job_run

    assert job_run(job_id=job["id"]) is None
    assert Job.objects.get(pk=job["id"]).started_at is None


def test_a_worker_killed_mid_import_leaves_nothing_and_the_job_failed(client_for, worker, settings):
    admin = client_for("admin")
    job = _submit(admin, "test.slow_import", {"kind": "buildings"}, _upload(300)).json()
    _follow(admin, job["id"], until=lambda j: j["message"] == "holding")
    worker.kill()
    try:
        assert Building.objects.count() == 0
        settings.CIM = {**settings.CIM, "JOB_LOST_AFTER_S": 1.0}
        time.sleep(1.5)
        final = admin.get(f"/api/jobs/{job['id']}/").json()  # the reaper runs on read
        assert final["status"] == "failed" and "lost" in final["error"]
        assert Building.objects.count() == 0
        settings.CIM = {**settings.CIM, "JOB_LOST_AFTER_S": 60.0}
    finally:
        worker.start()
    # submitted again, the import runs whole
    again = _submit(admin, "import.vector", {"kind": "buildings"}, _upload(300)).json()
    assert _follow(admin, again["id"])[-1]["status"] == "succeeded"
    assert Building.objects.count() == 300


def test_the_api_refuses_bad_submissions_naming_the_field(client_for, worker):
    admin = client_for("admin")
    cases = [
        (_submit(admin, "nope", {}), 400, "kind"),
        (_submit(admin, "plates.sheet", {"community_code": "12ab"}), 400, "params.community_code"),
        (
            _submit(admin, "plates.sheet", {"community_code": "620502001001", "size": "huge"}),
            400,
            "params.size",
        ),
        (_submit(admin, "tiles.build", {"full": "yes"}), 400, "params.full"),
        (_submit(admin, "tiles.build", {"fast": True}), 400, "params.fast"),
        (_submit(admin, "import.vector", {"kind": "buildings"}), 400, "file"),
        (_submit(admin, "import.vector", {"kind": "trees"}, _upload(1)), 400, "params.kind"),
        (_submit(admin, "import.vector", {"kind": "buildings"}, _upload(1, name="a.txt")), 400, "file"),
        (admin.post("/api/jobs/", {"kind": "tiles.build", "params": "[1]"}, format="json"), 400, "params"),
        (_submit(client_for("planner"), "import.vector", {"kind": "buildings"}, _upload(1)), 403, "kind"),
    ]
    for answer, code, field in cases:
        assert answer.status_code == code, answer.content
        assert answer.json()["field"] == field, answer.json()
        assert set(answer.json()) >= {"error", "detail", "field"}
    assert Job.objects.count() == 0
    assert client_for("auditor").get("/api/jobs/").status_code == 403
    assert client_for(None).get("/api/jobs/").status_code in (401, 403)


def test_staff_see_their_own_jobs_and_admins_see_all(client_for, worker):
    planner, admin = client_for("planner"), client_for("admin")
    mine = _submit(planner, "tiles.build", {}).json()
    assert [j["id"] for j in planner.get("/api/jobs/").json()["results"]] == [mine["id"]]
    assert mine["id"] in [j["id"] for j in admin.get("/api/jobs/").json()["results"]]
    kinds = {k["kind"] for k in planner.get("/api/jobs/kinds/").json()["kinds"]}
    assert kinds == {"tiles.build", "terrain.build", "basemap.build", "analysis.sunlight", "export.selection",
                     "analysis.height", "analysis.flood", "analysis.viewshed", "analysis.scheme_sunlight"}
    final = _follow(planner, mine["id"])[-1]
    assert final["status"] == "failed" and "buildings" in final["error"]  # no city to tile


def test_only_idempotent_kinds_are_retried_after_a_transient_failure(client_for, worker):
    admin = client_for("admin")
    retried = _submit(admin, "test.flaky", {}).json()
    once = _submit(admin, "test.flaky_once", {}).json()
    assert retried["idempotent"] and not once["idempotent"]
    final = _follow(admin, once["id"])[-1]
    assert final["status"] == "failed" and "OperationalError" in final["error"]
    assert final["attempts"] == 1
    final = _follow(admin, retried["id"], timeout=90)[-1]
    assert final["status"] == "succeeded", final
    assert final["attempts"] == 2 and final["result"] == {"attempts": 2}


def test_a_tiles_build_job_builds_the_tiles(plate_city, client_for, worker):
    planner = client_for("planner")
    job = _submit(planner, "tiles.build", {"full": True}).json()
    states = _follow(planner, job["id"], timeout=120)
    final = states[-1]
    assert final["status"] == "succeeded", final
    assert final["result"]["mode"] == "full" and final["result"]["buildings"] == 3
    assert final["result"]["tiles"] >= 1
    assert (worker.media / "tiles" / "tileset.json").is_file()


def test_address_generation_and_terrain_jobs_wrap_their_services(plate_city, client_for, worker):
    from tests import factories as f

    f.building(105.7040, 34.5812, size=0.0002, height=12, floors=4, use="residential", source_id="p4")
    admin = client_for("admin")
    addresses = _submit(admin, "addresses.generate", {}).json()
    terrain = _submit(admin, "terrain.build", {"max_level": 8}).json()
    final = _follow(admin, addresses["id"])[-1]
    assert final["status"] == "succeeded", final
    assert final["result"]["buildings_seen"] == 1 and final["result"]["doors_generated"] == 1
    final = _follow(admin, terrain["id"])[-1]
    assert final["status"] == "failed" and "DEM" in final["error"]  # none registered: said so


def _jobs_socket(server, cookie: str):
    from websockets.sync.client import connect

    from tests.emergency.live_support import Socket

    headers = {
        "Cookie": f"{settings.SESSION_COOKIE_NAME}={cookie}",
        "Origin": f"http://127.0.0.1:{server.port}",
    }
    return Socket(connect(server.url("/ws/jobs/"), additional_headers=headers, open_timeout=20))


def test_the_jobs_socket_tells_owners_and_admins_how_their_jobs_go(
    plate_city,
    make_user,
    worker,
    asgi_server,
):
    from rest_framework.test import APIClient

    owner, admin, other = (
        make_user("community", "sheet_maker"),
        make_user("admin", "job_admin"),
        make_user("planner", "someone_else"),
    )
    client = APIClient()
    client.force_authenticate(owner)
    with (
        _jobs_socket(asgi_server, session_cookie(owner)) as mine,
        _jobs_socket(asgi_server, session_cookie(admin)) as everyone,
        _jobs_socket(asgi_server, session_cookie(other)) as theirs,
    ):
        for ws in (mine, everyone, theirs):  # subscribed once the server answers
            ws.send({"type": "ping"})
            ws.until(lambda m: m["type"] == "pong")
        job = _submit(client, "plates.sheet", {"community_code": plate_city["community"].code}).json()
        seen = mine.until(lambda m: m["type"] == "job" and m["status"] == "succeeded", timeout=30)
        assert [m["id"] for m in seen] == [job["id"]] * len(seen)
        assert seen[0]["status"] == "queued" and any(m["status"] == "running" for m in seen)
        assert seen[-1]["progress"] == 100
        everyone.until(lambda m: m.get("id") == job["id"] and m.get("status") == "succeeded")
        assert theirs.collect(0.5) == []
    nobody = make_user("auditor", "reader")
    with _jobs_socket(asgi_server, session_cookie(nobody)) as refused:
        from websockets.exceptions import ConnectionClosed

        with pytest.raises(ConnectionClosed) as closed:
            refused.recv(timeout=5)
        assert closed.value.rcvd.code == 4403


# --- the jobs page in a real browser (last in this module: one browser, one live server) ---------


def _signed_in_context(browser, live_server, user, locale="zh-CN", lang=None):
    context = browser.new_context(
        viewport={"width": 1360, "height": 820}, locale=locale, accept_downloads=True
    )
    sign_in(context, live_server.url, user, lang=lang)
    return context


@pytest.mark.browser
def test_the_jobs_page_submits_follows_cancels_and_downloads(
    live_server, plate_city, make_user, worker, tmp_path, monkeypatch
):
    from urllib.parse import urlparse

    from tests.csp_watch import watch_csp

    admin = make_user("admin", "ops_admin")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # sign-ins inside Playwright's event loop
    code = plate_city["community"].code
    geojson = tmp_path / "旧城建筑.geojson"
    geojson.write_bytes(_geojson(300))
    errors, requests = [], []
    with chromium(PLAIN_ARGS) as browser:
        context = _signed_in_context(browser, live_server, admin)
        page = context.new_page()
        page.set_default_timeout(60000)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        watch_csp(page, errors)
        page.goto(f"{live_server.url}/backoffice/jobs/")
        page.wait_for_selector("body[data-jobs-loaded]")
        assert "后台任务" in page.inner_text("h1")

        # a plate sheet: submitted, followed to 100 %, downloaded
        page.select_option("#job-kind", "plates.sheet")
        page.fill("[name=community_code]", code)
        page.select_option("[name=size]", "small")
        page.click("#job-submit")
        row = page.locator("#jobs-rows tr[data-status=succeeded]").first
        row.wait_for()
        assert "100%" in row.inner_text()
        with page.expect_download() as info:
            row.locator("a.jobs-download").click()
        download = info.value
        assert download.suggested_filename == f"plates-{code}-small.pdf"
        assert Path(download.path()).read_bytes().startswith(b"%PDF")

        # a slow import: seen running with its progress bar, then cancelled from the page
        page.select_option("#job-kind", "test.slow_import")
        page.select_option("#job-params [name=kind]", "buildings")
        page.set_input_files("#job-file", str(geojson))
        page.click("#job-submit")
        running = page.locator("#jobs-rows tr[data-status=running]").first
        running.wait_for()
        page.wait_for_function(  # well into the hold, the bar part-filled
            "() => [...document.querySelectorAll('.job-bar-text')]"
            ".some(n => /^[2-9][0-9]% · holding/.test(n.textContent))"
        )
        page.screenshot(path=str(SHOTS / "jobs_page_running.png"))
        running.locator("button.jobs-cancel").click()
        page.locator("#jobs-rows tr[data-status=cancelled]").first.wait_for()
        page.screenshot(path=str(SHOTS / "jobs_page_zh.png"))

        # a refusal names the field, on the page
        page.select_option("#job-kind", "plates.sheet")
        page.fill("[name=community_code]", "12ab")
        page.click("#job-submit")
        page.wait_for_selector(".jobs-message.error")
        assert "community_code" in page.inner_text(".jobs-message")

        english = _signed_in_context(browser, live_server, admin, locale="en-GB", lang="en")
        en_page = english.new_page()
        en_page.goto(f"{live_server.url}/backoffice/jobs/")
        en_page.wait_for_selector("body[data-jobs-loaded]")
        assert "Background jobs" in en_page.inner_text("h1")
        en_page.screenshot(path=str(SHOTS / "jobs_page_en.png"))
    assert errors == [], errors
    assert not Building.objects.filter(source="旧城建筑").exists()  # the cancelled import left nothing
    assert set(Job.objects.values_list("status", flat=True)) == {"succeeded", "cancelled"}
    hosts = {urlparse(u).hostname for u in requests if u.startswith("http")}
    assert hosts <= {"127.0.0.1", "localhost"}, hosts


def test_a_full_tiles_build_spread_over_the_workers_writes_the_same_tiles_as_one_process(worker, settings,
                                                                                      monkeypatch):
    """Shares of the subtrees go to the worker as ``cim.tiles_part`` tasks (the build
    waits a moment before helping, so that the worker takes some); the result is the
    same, byte for byte, as a build in one process."""
    from cim.services import tiles as tiles_service
    from tests.cim.test_tiling_build import _glbs, _make_city, _tiles_dir

    _make_city(120)
    split = tiles_service.split_above_content
    monkeypatch.setattr(tiles_service, "split_above_content",
                        lambda **kw: split(**kw, max_content_size=400.0))

    def build(**kwargs) -> tuple:
        result = tiles_service.tiles_build(full=True, max_buildings=20, **kwargs)
        tileset = json.loads((_tiles_dir() / "tileset.json").read_text())
        manifest = json.loads((_tiles_dir() / "manifest.json").read_text())
        assert tileset["asset"].pop("tilesetVersion") == manifest.pop("version") == result.version
        return _glbs(), tileset, manifest

    alone = build(workers=1)
    settings.CIM = {**settings.CIM, "TILES_PART_GRACE_S": 3.0}
    before = worker.log.read_text().count("'built'")
    spread = build(shares=4)
    assert worker.log.read_text().count("'built'") > before  # the worker built at least one share
    assert len(alone[0]) > 4 and alone[0] == spread[0]
    assert alone[1] == spread[1] and alone[2] == spread[2]
    parts = [p for p in (_tiles_dir().parent / ".tiles-builds").iterdir() if p.name.endswith(".parts")]
    assert parts == []  # the shares' folder is gone
    assert tiles_service.tiles_build(max_buildings=20).mode == "unchanged"

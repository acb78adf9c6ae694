"""The analyses as background jobs: submitted through ``/api/jobs/`` (bad
parameters refused at once with the field), run by the job runner (here in
process, on the real database), the result a saved run linked from the job."""

from __future__ import annotations

import pytest

from cim.models import AnalysisRun, Job
from cim.services.jobs import job_run
from tests.cim.test_viewshed import CENTRE, scene  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def _submit(client, kind, params):
    return client.post("/api/jobs/", {"kind": kind, "params": params}, format="json")


def test_a_viewshed_job_saves_the_run_with_who_and_the_link(scene, client_for):  # noqa: F811
    planner = client_for("planner")
    answer = _submit(planner, "analysis.viewshed", {"observer": list(CENTRE), "radius": 300, "cell": 5})
    assert answer.status_code == 202, answer.content
    job_id = answer.json()["id"]
    assert job_run(job_id=job_id) == "succeeded"
    job = Job.objects.get(pk=job_id)
    run = AnalysisRun.objects.get(pk=job.result["run"])
    assert run.kind == "viewshed" and run.created_by.username.startswith("planner")
    assert run.model_version
    assert job.result["url"].endswith(f"?analysis={run.pk}") and job.progress == 100
    followed = planner.get(f"/api/jobs/{job_id}/").json()
    assert followed["status"] == "succeeded" and followed["result"]["run"] == run.pk


@pytest.mark.parametrize("kind,params,field", [
    ("analysis.viewshed", {"observer": list(CENTRE), "radius": 5001}, "params.radius"),
    ("analysis.viewshed", {"observer": [104.0, 34.0]}, "params.observer"),
    ("analysis.viewshed", {"observer": list(CENTRE), "colour": "red"}, "params.colour"),
    ("analysis.flood", {"level": 1105, "rise": 1, "extent": [105.7, 34.57, 105.73, 34.6]}, "params.level"),
    ("analysis.flood", {"rise": 1, "cell": 1, "extent": [105.7, 34.57, 105.73, 34.6]}, "params.cell"),
    ("analysis.height", {"zones": [999999]}, "params.zones"),
])
def test_bad_parameters_are_refused_naming_the_field(scene, client_for, kind, params, field):  # noqa: F811
    answer = _submit(client_for("planner"), kind, params)
    assert answer.status_code == 400 and answer.json()["field"] == field, answer.content
    assert not Job.objects.exists()


def test_only_planners_and_admins_run_analysis_jobs(scene, client_for):  # noqa: F811
    for role in ("commander", "dispatcher"):
        answer = _submit(client_for(role), "analysis.viewshed", {"observer": list(CENTRE)})
        assert answer.status_code == 403, role

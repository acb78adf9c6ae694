"""Every 4xx of the API has one body shape, documented in the OpenAPI schema."""

from __future__ import annotations

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db

SHAPE = {"error", "detail", "field"}


def _check(resp, status: int, error: str, field: str | None):
    body = resp.json()
    assert resp.status_code == status, body
    assert SHAPE <= body.keys() and isinstance(body["detail"], str) and body["detail"]
    assert (body["error"], body["field"]) == (error, field)
    return body


def test_refusals_share_one_shape(client_for):
    _check(client_for(None).get("/api/cim/plates/"), 403, "not_authenticated", None)
    _check(client_for("planner").get("/api/cim/plates/"), 403, "permission_denied", None)
    _check(client_for("admin").get("/api/cim/admin-areas/999999/"), 404, "not_found", None)
    _check(client_for("admin").delete("/api/cim/admin-areas/"), 405, "method_not_allowed", None)
    _check(client_for("admin").get("/api/cim/buildings/", {"bbox": "1,2"}), 400, "invalid", "bbox")
    body = _check(client_for(None).get("/api/cim/public/plates/ZZZZZZZZZZZ/"), 404, "not_found", "code")
    assert "ZZZZZZZZZZZ" in body["detail"]


def test_several_bad_fields_are_all_listed(client_for):
    body = _check(client_for("admin").post("/api/cim/plates/", {"size": "huge"}, format="json"),
                  400, "required", "address")
    assert {e["field"] for e in body["errors"]} == {"address", "size"}
    assert all(SHAPE <= e.keys() for e in body["errors"])


def test_schema_documents_the_error_body(tmp_path):
    out = tmp_path / "schema.json"
    call_command("spectacular", "--format", "openapi-json", "--file", str(out))
    import json

    schema = json.loads(out.read_text())
    assert schema["components"]["schemas"]["Error"]["required"] == ["error", "detail", "field"]
    for path in schema["paths"].values():
        for op in path.values():
            four = op["responses"]["4XX"]["content"]["application/json"]["schema"]
            assert four == {"$ref": "#/components/schemas/Error"}


def test_query_parameters_are_validated_by_filtersets(client_for):
    admin = client_for("admin")
    _check(admin.get("/api/cim/reports/", {"status": "new,bogus"}), 400, "invalid_choice", "status")
    _check(admin.get("/api/cim/addresses/", {"parent": "x"}), 400, "invalid", "parent")
    _check(admin.get("/api/cim/plates/", {"status": "lost"}), 400, "invalid_choice", "status")
    _check(admin.get("/api/cim/plate-alerts/", {"status": "lost"}), 400, "invalid_choice", "status")
    _check(admin.get("/api/cim/plates/sheet/", {"community": "62"}), 400, "invalid", "community")
    _check(admin.get("/api/cim/plates/sheet/", {"community": "620502", "paper": "B9"}), 400,
           "invalid_choice", "paper")
    assert admin.get("/api/cim/reports/", {"status": "new,in_progress", "mine": "1"}).status_code == 200

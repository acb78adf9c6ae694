"""The OpenAPI schema generates and validates without a single warning."""

from django.core.management import call_command


def test_openapi_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "/api/cim/buildings/" in text and "basicAuth" in text

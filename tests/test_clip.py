"""Text is cut to the model field's own max_length (config.common.clip)."""

from cim.models import AuditLog
from config.common.clip import clip
from emergency.models import Alert


def test_clip_follows_the_field():
    assert clip(Alert, "headline", "火" * 500) == "火" * 200
    assert clip(AuditLog, "note", None) == "" and clip(AuditLog, "object_id", 12) == "12"
    assert clip(Alert, "headline", "火" * 500, ellipsis="…") == "火" * 199 + "…"
    assert clip(Alert, "headline", "短") == "短"

"""Attachments: type from magic bytes, size limits per kind, private storage,
download only through the permission-checked (and audited) view."""

from __future__ import annotations

import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from cim.models import AuditLog
from emergency.media import sniff
from emergency.models import Attachment
from tests.emergency.conftest import node

pytestmark = pytest.mark.django_db


def jpeg_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 40, 40)).save(buf, "JPEG")
    return buf.getvalue()


def wav_bytes() -> bytes:
    import wave

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x00" * 800)
    return buf.getvalue()


def files_under(root) -> list[str]:
    return [os.path.join(d, n) for d, _, names in os.walk(root) for n in names]


@pytest.fixture
def incident(incident_at):
    return incident_at(*node(3, 1))


def upload(client, incident, name, content, content_type="application/octet-stream"):
    return client.post(f"/api/emergency/incidents/{incident.pk}/attachments/",
                       {"file": SimpleUploadedFile(name, content, content_type=content_type), "note": "现场"},
                       format="multipart")


def test_photo_and_voice_are_stored_privately_and_served_with_permission(incident, api, media_root,
                                                                          user_with):
    client, user = api("dispatcher")
    photo = jpeg_bytes()
    resp = upload(client, incident, "IMG_0001.PNG", photo, "image/png")  # the name lies; content wins
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert (body["kind"], body["content_type"], body["size_bytes"]) == ("photo", "image/jpeg", len(photo))
    stored = Attachment.objects.get(pk=body["id"])
    assert stored.file.name.startswith("private/emergency/attachments/")
    assert stored.file.name.endswith(".jpg") and "IMG_0001" not in stored.file.name
    assert (media_root / stored.file.name).read_bytes() == photo
    voice = upload(client, incident, "call.wav", wav_bytes())
    assert voice.status_code == 201 and voice.json()["kind"] == "audio"

    resp = client.get(body["url"])
    assert resp.status_code == 200 and resp["Content-Type"] == "image/jpeg"
    assert b"".join(resp.streaming_content) == photo
    assert AuditLog.objects.filter(action="attachment.read", actor=user).count() == 1

    public, _ = api(None)
    assert public.get(body["url"]).status_code in (401, 403)
    planner, _ = api("planner")
    assert planner.get(body["url"]).status_code == 403
    outsider, _ = api("responder")  # a responder not sent to this incident
    assert outsider.get(body["url"]).status_code == 404


@pytest.mark.parametrize("name,content,reason", [
    ("photo.jpg", b"<html><script>alert(1)</script></html>", "unsupported file type"),
    ("report.pdf", b"%PDF-1.7\n" + b"0" * 100, "unsupported file type"),
    ("empty.jpg", b"", "empty"),
    # the right first bytes, then something else (issue 12, security fix 8)
    ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"<script>alert(1)</script>" * 20,
     "cannot be decoded"),
    ("photo.png", b"\x89PNG\r\n\x1a\n" + b"#!/bin/sh\nrm -rf /\n" * 20, "cannot be decoded"),
    ("clip.webm", b"\x1a\x45\xdf\xa3" + b"<script>alert(1)</script>" * 20, "cannot be read"),
    ("voice.ogg", b"OggS\x00\x02" + b"\x00" * 300, "cannot be read"),
    ("clip.mp4", b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00" + b"MZ\x90\x00" * 40, "cannot be read"),
    ("photo.heic", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00" + b"\x00" * 64, "structure is broken"),
])
def test_bad_types_are_refused_and_nothing_is_kept(incident, api, media_root, name, content, reason):
    client, _ = api("dispatcher")
    resp = upload(client, incident, name, content, "image/jpeg")
    assert resp.status_code == 400
    assert resp.json()["field"] == "file" and reason in resp.json()["detail"]
    assert not Attachment.objects.exists()
    assert files_under(media_root) == []


def test_too_large_is_refused_per_kind(incident, api, media_root, settings):
    settings.EMERGENCY = {"ATTACHMENT_MAX_BYTES": {"photo": 1000, "video": 10**6, "audio": 10**6}}
    client, _ = api("dispatcher")
    resp = upload(client, incident, "big.jpg", jpeg_bytes() + b"\x00" * 2000)
    assert resp.status_code == 400
    assert resp.json()["error"] == "file_too_large" and "at most" in resp.json()["detail"]
    assert not Attachment.objects.exists() and files_under(media_root) == []
    # the same size is fine for a voice file
    assert upload(client, incident, "v.wav", wav_bytes()).status_code == 201


def test_missing_file_field_and_responder_upload(incident, api, media_root):
    client, _ = api("dispatcher")
    resp = client.post(f"/api/emergency/incidents/{incident.pk}/attachments/", {"note": "x"},
                       format="multipart")
    assert resp.status_code == 400 and resp.json()["field"] == "file"
    responder, _ = api("responder")
    assert upload(responder, incident, "a.jpg", jpeg_bytes()).status_code == 403


@pytest.mark.parametrize("head,kind", [
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "photo"), (b"\x89PNG\r\n\x1a\n\x00\x00", "photo"),
    (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "photo"), (b"\x00\x00\x00\x18ftypmp42\x00\x00", "video"),
    (b"\x00\x00\x00\x14ftypqt  \x00\x00", "video"), (b"\x1aE\xdf\xa3\x01\x00", "video"),
    (b"ID3\x04\x00\x00\x00\x00", "audio"), (b"OggS\x00\x02", "audio"), (b"#!AMR\n", "audio"),
    (b"\x00\x00\x00\x20ftypM4A \x00\x00", "audio"), (b"GIF89a", None), (b"MZ\x90\x00", None),
    (b"\x00\x00\x00\x18ftypabcd", None),
])
def test_magic_bytes(head, kind):
    media = sniff(head + b"\x00" * 16)
    assert (media.kind if media else None) == kind


def _ffmpeg(tmp_path, args: list[str], name: str) -> bytes:
    import shutil
    import subprocess

    assert shutil.which("ffmpeg"), "ffmpeg (Debian package) is installed by scripts/setup.sh"
    out = tmp_path / name
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args, str(out)], check=True, timeout=60)
    return out.read_bytes()


def test_real_voice_and_video_pass_the_probe(incident, api, media_root, tmp_path):
    client, _ = api("dispatcher")
    voice = _ffmpeg(tmp_path, ["-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "libopus"],
                    "voice.webm")
    resp = upload(client, incident, "voice.webm", voice, "audio/webm")
    assert resp.status_code == 201, resp.content  # WebM magic: probed, and it holds sound only
    assert resp.json()["kind"] == "audio"
    video = _ffmpeg(tmp_path, ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=5:duration=1",
                               "-c:v", "mpeg4"], "clip.mp4")
    resp = upload(client, incident, "clip.mp4", video, "video/mp4")
    assert resp.status_code == 201 and resp.json()["kind"] == "video", resp.content

"""``manage.py build_demo_video``: short looping HLS streams for the demo cameras.

Each synthetic camera (``seed_emergency_demo``) gets a test-pattern stream with
its name and a running clock burned in, under ``MEDIA_ROOT/<VIDEO_DIR>/<code>/``,
and its record points at it (``/video/<code>/index.m3u8``, protocol HLS, with
the snapshot as still image).  Idempotent: a current stream is not rebuilt and
an unchanged record is not saved again.  Real cameras are never touched.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cim.progress import track
from emergency import services
from emergency.conf import emergency_settings
from emergency.models import Camera
from emergency.video_build import StreamSpec, VideoBuildError, build_stream

ACTOR = "build_demo_video"
SAFE_CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def video_root() -> Path:
    return Path(settings.MEDIA_ROOT) / emergency_settings.VIDEO_DIR


def demo_urls(code: str) -> dict[str, str]:
    """The platform paths of a demo camera's stream and still image."""
    return {"stream_url": f"/video/{code}/index.m3u8", "protocol": "hls",
            "snapshot_url": f"/video/{code}/snapshot.jpg"}


class Command(BaseCommand):
    help = "Build short looping HLS streams (ffmpeg) for the synthetic demo cameras and point them there."

    def add_arguments(self, parser):
        parser.add_argument("--codes", nargs="*", default=None, help="only these cameras (codes)")
        parser.add_argument("--seconds", type=int, default=12, help="length of each loop (default 12 s)")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **opts):
        cameras = Camera.objects.filter(synthetic=True).order_by("code")
        if opts["codes"]:
            cameras = cameras.filter(code__in=opts["codes"])
        cameras = list(cameras)
        if not cameras:
            self.stdout.write("no synthetic demo cameras: run seed_emergency_demo first")
            return
        font = emergency_settings.DEMO_VIDEO_FONT
        if not Path(font).is_file():
            raise CommandError(f"font {font} not found (Debian fonts-wqy-zenhei, "
                               f"or set EMERGENCY['DEMO_VIDEO_FONT'])")
        epoch, built, pointed, skipped = int(time.time()), 0, 0, []
        for camera in track(cameras, not opts["no_progress"], desc="demo video", unit="camera"):
            if not SAFE_CODE.match(camera.code):
                skipped.append(camera.code)
                continue
            spec = StreamSpec(title=f"{camera.name} · {camera.code} · 演示视频", seconds=opts["seconds"],
                              clock_epoch=epoch, font=font)
            try:
                built += build_stream(video_root() / camera.code, spec)
            except VideoBuildError as exc:
                raise CommandError(f"{camera.code}: {exc}") from None
            wanted = demo_urls(camera.code)
            if any(getattr(camera, k) != v for k, v in wanted.items()):
                services.camera_save(by=ACTOR, instance=camera, **wanted)
                pointed += 1
        if skipped:
            self.stderr.write(f"skipped (code not usable as a folder name): {', '.join(skipped)}")
        self.stdout.write(self.style.SUCCESS(
            f"{len(cameras) - len(skipped)} demo camera streams ({built} built, {pointed} records pointed at "
            f"them) in {video_root()}"))

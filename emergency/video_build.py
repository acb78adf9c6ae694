"""Short looping HLS streams for the demo cameras, made with ffmpeg (pure: no Django).

Each camera gets a folder with ``index.m3u8`` (a VOD playlist the console
loops), ``seg_NNN.ts`` segments (H.264, 2 s, one key frame per segment) and
``snapshot.jpg`` (the still image shown when the video cannot play).  The
picture is ffmpeg's ``testsrc2`` pattern with the camera's name and a running
clock burned in (CJK font), so an operator sees at once that it is moving and
that it is synthetic.

A folder is written beside the target and renamed over it when complete, so a
reader never sees half a stream; ``build.json`` records what it was made
from, and an unchanged camera is skipped (idempotent).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["StreamSpec", "VideoBuildError", "build_stream", "stream_is_current"]

MANIFEST = "build.json"
PLAYLIST = "index.m3u8"
SNAPSHOT = "snapshot.jpg"
FFMPEG_TIMEOUT_S = 300
TIMEZONE = "Asia/Shanghai"


class VideoBuildError(RuntimeError):
    """ffmpeg is missing or failed; the message says why."""


@dataclass(frozen=True)
class StreamSpec:
    """What one demo stream is made from."""

    title: str
    seconds: int = 12
    width: int = 640
    height: int = 360
    fps: int = 15
    segment_s: int = 2
    clock_epoch: int = 0  # the burned-in clock starts here (Unix seconds)
    font: str = ""

    def digest(self) -> str:
        """What the picture is made from; the clock's start is left out, so a
        rebuild on another day finds the stream current."""
        made_of = {k: v for k, v in asdict(self).items() if k != "clock_epoch"}
        return hashlib.sha256(json.dumps(made_of, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def stream_is_current(folder: Path, spec: StreamSpec) -> bool:
    """True when ``folder`` holds a complete stream built from ``spec``."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (manifest.get("digest") == spec.digest() and (folder / PLAYLIST).is_file()
            and (folder / SNAPSHOT).is_file()
            and all((folder / name).is_file() for name in manifest.get("segments", [])))


def _ffmpeg() -> str:
    exe = shutil.which("ffmpeg")
    if exe is None:
        raise VideoBuildError("ffmpeg is not installed (Debian package ffmpeg; scripts/setup.sh installs it)")
    return exe


def _filters(spec: StreamSpec, title_file: Path) -> str:
    font = f"fontfile={spec.font}:" if spec.font else ""
    band = f"drawbox=x=0:y=0:w=iw:h={spec.height // 7}:color=black@0.55:t=fill"
    size = max(12, spec.height // 15)
    title = (f"drawtext={font}textfile={title_file}:x=12:y=(h/7-th)/2:fontsize={size}:fontcolor=white")
    # ffmpeg's own expansion: the frame's time added to the epoch, in local time.
    hms = "%H\\\\\\:%M\\\\\\:%S"
    clock = (f"drawtext={font}text='%{{pts\\:localtime\\:{spec.clock_epoch}\\:%Y-%m-%d {hms}}}'"
             f":x=w-tw-12:y=(h/7-th)/2:fontsize={size}:fontcolor=white")
    return ",".join([band, title, clock])


def _run(args: list[str], cwd: Path) -> None:
    env = {**os.environ, "TZ": TIMEZONE}
    try:
        done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                              timeout=FFMPEG_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise VideoBuildError(f"ffmpeg took longer than {FFMPEG_TIMEOUT_S} s") from None
    if done.returncode != 0:
        raise VideoBuildError("ffmpeg failed: " + (done.stderr.strip().splitlines() or ["?"])[-1])


def build_stream(folder: Path, spec: StreamSpec) -> bool:
    """Write the stream of ``spec`` into ``folder``; False when it was already
    current (nothing written)."""
    if stream_is_current(folder, spec):
        return False
    if spec.seconds < spec.segment_s or spec.seconds > 600:
        raise VideoBuildError("a demo stream lasts between one segment and 600 s")
    ffmpeg = _ffmpeg()
    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        title_file = work / "title.txt"
        title_file.write_text(spec.title, encoding="utf-8")
        gop = spec.fps * spec.segment_s
        _run([ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
              "-f", "lavfi", "-i",
              f"testsrc2=size={spec.width}x{spec.height}:rate={spec.fps}:duration={spec.seconds}",
              "-vf", _filters(spec, title_file),
              "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main", "-pix_fmt", "yuv420p",
              "-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0",
              "-f", "hls", "-hls_time", str(spec.segment_s), "-hls_playlist_type", "vod",
              "-hls_segment_filename", "seg_%03d.ts", PLAYLIST], work)
        _run([ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-ss", "1", "-i", PLAYLIST,
              "-frames:v", "1", "-q:v", "4", SNAPSHOT], work)
        title_file.unlink()
        segments = sorted(p.name for p in work.glob("seg_*.ts"))
        (work / MANIFEST).write_text(json.dumps({"digest": spec.digest(), "spec": asdict(spec),
                                                 "segments": segments}, ensure_ascii=False, indent=1),
                                     encoding="utf-8")
        work.chmod(0o755)
        old = folder.with_name(f".{folder.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            folder.rename(old)
        work.rename(folder)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return True

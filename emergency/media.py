"""Recognising uploaded media (pure: no Django).

Only the formats a phone or a body camera produces are accepted; the file
name and the client's declared type are ignored.  The magic bytes say what a
file claims to be (:func:`sniff`); :func:`probe` then checks that it really
is: photos are decoded whole (Pillow), HEIC photos must have a consistent
ISO-BMFF box structure, sound and video must be read by ``ffprobe`` (Debian's
ffmpeg) as a container with an audio or video stream.  A JPEG header in front
of a script passes the first check and fails the second.
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
from dataclasses import dataclass, replace

__all__ = ["MediaRefused", "MediaType", "probe", "probe_photo", "sniff"]

PROBE_TIMEOUT_S = 30
# A photo larger than this many pixels is refused before it is decoded
# (decompression bombs); 50 megapixels is more than any phone takes.
MAX_PHOTO_PIXELS = 50_000_000


class MediaRefused(ValueError):
    """The file is not what its first bytes claim; the message says why."""


@dataclass(frozen=True)
class MediaType:
    kind: str  # photo / video / audio
    content_type: str
    extension: str
    duration_s: float | None = None  # sound and video, as ffprobe reads it


_FTYP_VIDEO = {b"isom", b"iso2", b"mp41", b"mp42", b"avc1", b"qt  ", b"3gp4", b"3gp5", b"3g2a", b"MSNV",
               b"dash", b"M4V "}
_FTYP_AUDIO = {b"M4A ", b"M4B "}
_FTYP_PHOTO = {b"heic", b"heix", b"mif1", b"msf1"}


def sniff(head: bytes) -> MediaType | None:
    """The media type of a file from its first bytes (≥ 16), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return MediaType("photo", "image/jpeg", ".jpg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return MediaType("photo", "image/png", ".png")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return MediaType("photo", "image/webp", ".webp")
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return MediaType("audio", "audio/wav", ".wav")
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return MediaType("video", "video/x-msvideo", ".avi")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in _FTYP_PHOTO:
            return MediaType("photo", "image/heic", ".heic")
        if brand in _FTYP_AUDIO:
            return MediaType("audio", "audio/mp4", ".m4a")
        if brand == b"qt  ":
            return MediaType("video", "video/quicktime", ".mov")
        if brand in _FTYP_VIDEO or brand.startswith(b"3g"):
            return MediaType("video", "video/mp4", ".mp4")
        return None
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return MediaType("video", "video/webm", ".webm")
    if head.startswith(b"OggS"):
        return MediaType("audio", "audio/ogg", ".ogg")
    if head.startswith(b"#!AMR"):
        return MediaType("audio", "audio/amr", ".amr")
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0
                                   and head[1] & 0x06 != 0):
        return MediaType("audio", "audio/mpeg", ".mp3")
    return None


def _bmff_boxes(f, size: int) -> list[bytes] | None:
    """Top-level box types of an ISO-BMFF file, or None when the sizes do not
    add up to the file (a forged header in front of something else)."""
    types, pos = [], 0
    while pos < size:
        f.seek(pos)
        header = f.read(16)
        if len(header) < 8:
            return None
        length, kind = struct.unpack(">I4s", header[:8])
        if length == 1 and len(header) == 16:
            length = struct.unpack(">Q", header[8:16])[0]
        elif length == 0:
            length = size - pos
        if length < 8 or pos + length > size:
            return None
        types.append(kind)
        pos += length
    return types


def _probe_photo(f, media: MediaType) -> str | None:
    if media.content_type == "image/heic":
        f.seek(0, 2)
        boxes = _bmff_boxes(f, f.tell())
        if not boxes or boxes[0] != b"ftyp" or b"meta" not in boxes or b"mdat" not in boxes:
            return "the HEIC photo's structure is broken"
        return None
    from PIL import Image, UnidentifiedImageError

    f.seek(0)
    try:
        with Image.open(f) as img:
            if img.width * img.height > MAX_PHOTO_PIXELS:
                return f"the photo has {img.width} × {img.height} pixels; at most {MAX_PHOTO_PIXELS:,}"
            img.load()  # decode every pixel: a forged header does not survive this
            fmt = img.format
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return "the photo cannot be decoded"
    if fmt != {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}[media.content_type]:
        return f"the photo is {fmt}, not what its first bytes say"
    return None


def _probe_stream(path: str, media: MediaType) -> MediaType:
    ffprobe = shutil.which("ffprobe")
    if ffprobe is None:
        raise MediaRefused("sound and video cannot be checked on this server (ffprobe is missing)")
    try:
        done = subprocess.run([ffprobe, "-v", "error", "-print_format", "json", "-show_streams",
                               "-show_format", path], capture_output=True, timeout=PROBE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise MediaRefused("the file could not be read in time") from None
    try:
        info = json.loads(done.stdout or b"{}") if done.returncode == 0 else None
    except ValueError:
        info = None
    streams = info.get("streams", []) if isinstance(info, dict) else None
    if streams is None:
        raise MediaRefused(f"the {media.kind} cannot be read")
    duration = _duration(info, streams)
    if duration is None and any(s.get("codec_type") == "audio" for s in streams):
        duration = _duration_from_packets(ffprobe, path)
    media = replace(media, duration_s=duration)
    kinds = {s.get("codec_type") for s in streams}
    if "video" in kinds and media.kind == "video":
        return media
    if "audio" in kinds:
        # A container of sound only (a voice message recorded by a browser as
        # WebM, a phone's MP4 audio) is a voice message, whatever the box says.
        if media.kind == "audio":
            return media
        sound = {"video/webm": ("audio/webm", ".webm"), "video/mp4": ("audio/mp4", ".m4a")}
        if media.content_type in sound:
            content_type, extension = sound[media.content_type]
            return replace(media, kind="audio", content_type=content_type, extension=extension)
        return media
    raise MediaRefused(f"the file holds no {'video' if media.kind == 'video' else 'audio'} stream")


def _duration(info: dict, streams: list) -> float | None:
    """The longest duration the container or a stream states (a browser's
    WebM recording states it only per stream, or not at all)."""
    values = [info.get("format", {}).get("duration"), *(s.get("duration") for s in streams)]
    seconds = []
    for value in values:
        try:
            seconds.append(float(value))
        except (TypeError, ValueError):
            continue
    return max(seconds) if seconds else None


def _duration_from_packets(ffprobe: str, path: str) -> float | None:
    """The time of the last audio packet (a live WebM recording has no
    duration in its header)."""
    try:
        done = subprocess.run([ffprobe, "-v", "error", "-select_streams", "a:0", "-show_entries",
                               "packet=pts_time,duration_time", "-of", "csv=p=0", path],
                              capture_output=True, timeout=PROBE_TIMEOUT_S, text=True)
    except subprocess.TimeoutExpired:
        raise MediaRefused("the file could not be read in time") from None
    ends = []
    for line in done.stdout.splitlines():
        parts = [p for p in line.strip().split(",") if p]
        try:
            ends.append(sum(float(p) for p in parts[:2]))
        except ValueError:
            continue
    return max(ends) if ends else None


def probe_photo(f, media: MediaType) -> MediaType:
    """``media`` when the open binary file ``f`` decodes as that photo;
    :class:`MediaRefused` otherwise."""
    problem = _probe_photo(f, media)
    if problem:
        raise MediaRefused(problem)
    return media


def probe(path: str, media: MediaType) -> MediaType:
    """What the file at ``path`` really is (``media``, or sound only where the
    container held no picture); :class:`MediaRefused` when it is not media."""
    if media.kind == "photo":
        with open(path, "rb") as f:
            return probe_photo(f, media)
    return _probe_stream(path, media)

"""Recognising uploaded media by their magic bytes (pure: no Django).

Only the formats a phone or a body camera produces are accepted; the file
name and the client's declared type are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MediaType", "sniff"]


@dataclass(frozen=True)
class MediaType:
    kind: str  # photo / video / audio
    content_type: str
    extension: str


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

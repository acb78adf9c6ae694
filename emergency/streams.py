"""Which stream URL goes with which protocol (pure: no Django).

A GB/T 28181 gateway (ZLMediaKit, SRS, WVP …) publishes each camera it
pulls in under several protocols at once: HLS (``…/hls.m3u8``), HTTP-FLV or
WebSocket-FLV (``…/live.flv``), WebRTC (``webrtc://…`` for SRS, an
``http(s)://`` WHEP/API address for the others) and RTSP.  The console plays
HLS itself (hls.js); the others are offered as a link to the gateway's own
player, since no FLV or WebRTC player is bundled.  HLS and snapshots may also
be a path on this platform (``/video/…``: the demo streams).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["PLAYABLE", "infer_protocol", "mask_stream_url", "snapshot_url_problem", "stream_url_problem"]

#: protocols the console plays in the page; the rest are links
PLAYABLE = frozenset({"hls"})

_NO_SPACE = re.compile(r"^\S+$")

# protocol → (allowed schemes, platform path allowed, required path ending, what to say)
_RULES: dict[str, tuple[frozenset[str], bool, tuple[str, ...], str]] = {
    "hls": (frozenset({"http", "https"}), True, (".m3u8",),
            "an HLS URL is http(s)://… or a /path on this platform, ending in .m3u8"),
    "flv": (frozenset({"http", "https", "ws", "wss"}), False, (".flv",),
            "an FLV URL is http(s):// or ws(s)://…, ending in .flv"),
    "webrtc": (frozenset({"webrtc", "http", "https", "wss"}), False, (),
               "a WebRTC URL is webrtc://… (SRS) or the gateway's http(s)/wss signalling address"),
    "rtsp": (frozenset({"rtsp", "rtsps"}), False, (), "an RTSP URL is rtsp:// or rtsps://…"),
    "other": (frozenset({"rtsp", "rtsps", "http", "https", "ws", "wss", "webrtc"}), False, (),
              "a stream URL is rtsp://, http(s)://, ws(s):// or webrtc://…"),
}


def _problem(url: str, schemes: frozenset[str], local_ok: bool, endings: tuple[str, ...],
             message: str) -> str | None:
    if not url or not _NO_SPACE.match(url) or len(url) > 500:
        return message + " (no spaces, at most 500 characters)"
    if url.startswith("/"):
        if not local_ok or url.startswith("//") or ".." in url.split("?")[0].split("/"):
            return message
        path = urlsplit(url).path
    else:
        parts = urlsplit(url)
        if parts.scheme.lower() not in schemes or not parts.netloc:
            return message
        path = parts.path
    if endings and not path.lower().endswith(endings):
        return message
    return None


def stream_url_problem(protocol: str, url: str) -> str | None:
    """Why ``url`` is not a stream URL of ``protocol``, or None when it is."""
    rule = _RULES.get(protocol)
    if rule is None:
        return f"unknown protocol {protocol!r}"
    return _problem(url, *rule)


def snapshot_url_problem(url: str) -> str | None:
    """Why ``url`` is not a still-image URL (http(s):// or a /path here), or None."""
    return _problem(url, frozenset({"http", "https"}), True, (),
                    "a snapshot URL is http(s)://… or a /path on this platform")


def infer_protocol(url: str) -> str:
    """The protocol a stream URL's scheme and ending say (``other`` when they say nothing)."""
    parts = urlsplit(url or "")
    scheme, path = parts.scheme.lower(), parts.path.lower()
    if scheme in ("rtsp", "rtsps"):
        return "rtsp"
    if scheme == "webrtc":
        return "webrtc"
    if path.endswith(".m3u8") and (scheme in ("http", "https") or url.startswith("/")):
        return "hls"
    if path.endswith(".flv"):
        return "flv"
    return "other"


def mask_stream_url(url: str) -> str:
    """What a list shows of a stream or snapshot address: the scheme and host
    (``rtsp://10.1.1.5:554/…``; credentials in the address never shown), or
    the first folder of a path here (``/video/…``).  The whole address is
    read on purpose through the audited reveal."""
    if not url:
        return ""
    if url.startswith("/"):
        first = url.split("?")[0].strip("/").split("/")[0]
        return f"/{first}/…" if first else "/…"
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]  # user:password@ never shown
    return f"{parts.scheme}://{host}/…" if parts.scheme and host else "…"

"""Serving the built 3D Tiles (``/tiles/…``) and terrain (``/terrain/…``).

Who may read:
* ``/tiles/`` carries every building's name, use, height and admin area, the
  same data as ``/api/cim/buildings/`` (any platform role), so it needs a
  signed-in user with a platform role; anyone else gets 403 (401 when not
  signed in).  Cesium sends the session cookie with these same-origin requests.
* ``/basemap/`` (raster basemap tiles drawn from the same model) follows the
  same rule as ``/tiles/``.
* ``/terrain/`` is public: heights from public DEMs, nothing about people or
  buildings (the resident pages may show it too).

Only the published files are served: ``tileset.json`` and ``t/*.glb`` (not the
build manifest), each BIM model's ``bim/<id>/tileset.json``, ``shell.glb`` and
``elements.glb``, ``layer.json`` and ``*.terrain``; no path can leave the
folder.  Terrain tiles are stored gzipped and sent with ``Content-Encoding:
gzip`` (Cesium fails on them otherwise); glb tiles are sent from their ``.gz``
sibling when the client accepts gzip.  ``ETag`` from size and mtime (an
unchanged tile is hard-linked from build to build, so its ETag survives
rebuilds); content URLs carry ``?v=<digest>`` so they may be cached for a
year, while the ``tileset.json`` / ``layer.json`` entry points are revalidated
on every load.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from cim import roles
from cim.basemap.wmts import capabilities
from cim.conf import cim_settings
from cim.selectors.basemap import published_metadata
from config.common.csp import policy
from config.common.errors import error_body

TILE_FILE = re.compile(r"^(tileset\.json|t/[A-Za-z0-9_]+\.glb)$")
BASEMAP_FILE = re.compile(r"^(metadata\.json|[0-9]{1,2}/[0-9]{1,7}/[0-9]{1,7}\.png)$")
BIM_FILE = re.compile(r"^[0-9]{1,12}/(tileset\.json|shell\.glb|elements\.glb)$")  # under bim/
TERRAIN_FILE = re.compile(r"^(layer\.json|[0-9]{1,2}/[0-9]{1,7}/[0-9]{1,7}\.terrain)$")
CONTENT_TYPES = {".json": "application/json", ".glb": "model/gltf-binary", ".png": "image/png",
                 ".terrain": "application/vnd.quantized-mesh;extensions=octvertexnormals"}
IMMUTABLE = "max-age=31536000, immutable"


def _resolve(root: Path, relative: str, pattern: re.Pattern) -> Path:
    if not pattern.match(relative):
        raise Http404("no such file")
    base = root.resolve()
    path = (base / relative).resolve()
    if not path.is_relative_to(base) or not path.is_file():
        raise Http404("no such file")
    return path


def _etag(path: Path, *, gzipped: bool) -> str:
    st = path.stat()
    # One tag per representation: the gzip and the identity bytes differ.
    return f'"{st.st_size:x}-{st.st_mtime_ns:x}{"-gz" if gzipped else ""}"'


def _accepts_gzip(request) -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "").lower()


def _respond(request, path: Path, *, cache: str, gzipped_path: Path | None = None,
             stored_gzipped: bool = False):
    """``path`` as is, or its gzip form (``gzipped_path``, or ``path`` itself
    when ``stored_gzipped``) for clients that accept gzip."""
    gzip_ok = _accepts_gzip(request)
    send_gzip = gzip_ok and (stored_gzipped or gzipped_path is not None)
    etag = _etag(path, gzipped=send_gzip)
    headers = {"ETag": etag, "Cache-Control": cache, "Vary": "Accept-Encoding"}
    if etag in request.headers.get("If-None-Match", ""):
        response = HttpResponseNotModified()
    else:
        content_type = CONTENT_TYPES[path.suffix]
        if stored_gzipped and not gzip_ok:
            response = HttpResponse(gzip.decompress(path.read_bytes()), content_type=content_type)
        elif send_gzip:
            response = FileResponse(open(path if stored_gzipped else gzipped_path, "rb"),
                                    content_type=content_type)
            response["Content-Encoding"] = "gzip"
        else:
            response = FileResponse(open(path, "rb"), content_type=content_type)
        # FileResponse guesses a type from the file name; ours is the real one.
        response["Content-Type"] = content_type
    for k, v in headers.items():
        response[k] = v
    return response


def tiles_refusal(request) -> JsonResponse | None:
    """Why ``request`` may not load the 3D Tiles (401/403 in the one error shape), or
    None: the city model is for signed-in platform staff.  The one rule, for this
    view and for nginx's sub-request when it serves the files itself."""
    if not request.user.is_authenticated:
        return JsonResponse(error_body("not_authenticated", "sign in to load the 3D city"), status=401)
    if not roles.has_role(request.user, *roles.STAFF_ROLES):
        return JsonResponse(error_body("permission_denied", "the 3D city is for platform staff"), status=403)
    return None


@require_safe
def tiles(request, path: str):
    """A file of the published 3D Tiles (signed-in platform roles only)."""
    refusal = tiles_refusal(request)
    if refusal is not None:
        return refusal
    if path.startswith("bim/"):  # a BIM model's own tileset, referenced from the city's
        file = _resolve(Path(cim_settings.BIM_TILES_DIR), path.removeprefix("bim/"), BIM_FILE)
    else:
        file = _resolve(Path(cim_settings.TILES_DIR), path, TILE_FILE)
    sidecar = file.with_name(file.name + ".gz")
    versioned = "v" in request.GET and file.suffix == ".glb"
    cache = "private, " + (IMMUTABLE if versioned else "no-cache")
    return _respond(request, file, cache=cache, gzipped_path=sidecar if sidecar.is_file() else None)


@require_safe
def basemap(request, path: str):
    """A file of the published raster basemap (signed-in platform roles only, like
    the 3D city it is drawn from).  A tile outside the built zooms or extent is a 404."""
    refusal = tiles_refusal(request)
    if refusal is not None:
        return refusal
    if path == "WMTSCapabilities.xml":
        return _wmts_capabilities(request)
    file = _resolve(Path(cim_settings.BASEMAP_DIR), path, BASEMAP_FILE)
    versioned = "v" in request.GET and file.suffix == ".png"
    return _respond(request, file, cache="private, " + (IMMUTABLE if versioned else "no-cache"))


def _wmts_capabilities(request) -> HttpResponse:
    """The built basemap as a WMTS layer (absolute tile URLs of this host)."""
    meta = published_metadata()
    if meta is None:
        raise Http404("no basemap is built")
    template = request.build_absolute_uri("/basemap/") + "{TileMatrix}/{TileCol}/{TileRow}.png"
    body = capabilities(tile_url=f"{template}?v={meta['version']}", max_zoom=meta["maxzoom"],
                        bounds=meta["bounds"], title=meta["name"], attribution=meta["attribution"])
    response = HttpResponse(body, content_type="application/xml; charset=utf-8")
    response["Cache-Control"] = "private, no-cache"
    return response


@require_safe
def terrain(request, path: str):
    """A file of the published terrain (public)."""
    file = _resolve(Path(cim_settings.TERRAIN_DIR), path, TERRAIN_FILE)
    if file.suffix == ".terrain":
        cache = "public, " + (IMMUTABLE if "v" in request.GET else "no-cache")
        return _respond(request, file, cache=cache, stored_gzipped=True)
    return _respond(request, file, cache="public, no-cache")


def tiles_check(request):
    """A bare CesiumJS page loading the tileset and the terrain (DEBUG and
    browser tests only; the planner viewer is the real page)."""
    if not request.user.is_authenticated:
        return JsonResponse(error_body("not_authenticated", "sign in first"), status=401)
    response = render(request, "cim/tiles_check.html",
                      {"tileset_url": "/tiles/tileset.json", "terrain_url": "/terrain/"})
    # A test page with its script inline: its own, looser policy.
    response["Content-Security-Policy"] = policy(allow_eval=True).replace(
        "script-src 'self'", "script-src 'self' 'unsafe-inline'")
    return response

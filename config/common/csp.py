"""Content-Security-Policy on every response.

The pages load only their own ES modules (no inline script, no inline event
handler), CesiumJS from the platform's own static files, and talk to the
platform's own origin and its WebSocket server.  Cesium decodes meshes and
imagery in Web Workers created from ``blob:`` URLs and compiles WebAssembly,
and its widgets set inline styles: hence ``worker-src blob:``,
``'wasm-unsafe-eval'`` and ``style-src 'unsafe-inline'`` (styles cannot run
code).  CesiumJS itself compiles functions from strings (knockout bindings
of its widgets, Emscripten glue of its decoders) and its workers load their
code with ``importScripts`` from ``blob:`` URLs, so the 3D pages — and only
they, marked with :func:`cesium_page` — also allow ``'unsafe-eval'`` and
``blob:`` scripts;
the public scan page, the portal, sign-in and the API do not.  Nothing is
allowed from another host: the platform runs on a closed network.

A response that already carries the header (a view that needs a different
policy) keeps its own.
"""

from __future__ import annotations

from functools import lru_cache, wraps
from urllib.parse import urlsplit

from django.conf import settings

from cim.conf import cim_settings

__all__ = ["ContentSecurityPolicyMiddleware", "cesium_page", "policy"]

HEADER = "Content-Security-Policy"


@lru_cache(maxsize=16)
def _policy(ws_url: str, extra_img: tuple[str, ...], allow_eval: bool, basemap_url: str = "") -> str:
    ws_origin = _origin(ws_url)
    # An external basemap service (CIM["BASEMAP_EXTERNAL"]): Cesium fetches its tiles.
    basemap = _origin(basemap_url.replace("{s}", "subdomain")).replace("://subdomain", "://*")
    connect = ["'self'", *([ws_origin] if ws_origin else []), *([basemap] if basemap else [])]
    extra_img = (*extra_img, *([basemap] if basemap else []))
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", "'wasm-unsafe-eval'", *(["'unsafe-eval'", "blob:"] if allow_eval else [])],
        "worker-src": ["'self'", "blob:"],
        "child-src": ["'self'", "blob:"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *extra_img],
        "font-src": ["'self'", "data:"],
        "media-src": ["'self'", "blob:"],
        "connect-src": connect,
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def _origin(url: str) -> str:
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def policy(*, allow_eval: bool = False) -> str:
    """The policy for the current settings: the WebSocket server's origin
    (``CIM["WS_URL"]``), any extra image hosts (``CSP_EXTRA_IMG_SRC``) and the
    external basemap service (``CIM["BASEMAP_EXTERNAL"]``, e.g. the province's
    天地图 on the closed network) are allowed."""
    external = cim_settings.BASEMAP_EXTERNAL or {}
    return _policy(cim_settings.WS_URL or "", tuple(settings.CSP_EXTRA_IMG_SRC), allow_eval,
                   external.get("url", ""))


def cesium_page(view):
    """Mark a page that runs CesiumJS: its policy also allows ``'unsafe-eval'``
    and ``blob:`` scripts (Cesium's workers)."""
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.csp_allow_eval = True
        return response

    return wrapped


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if HEADER not in response:
            response[HEADER] = policy(allow_eval=getattr(response, "csp_allow_eval", False))
        return response

"""A short way through the middleware chain for the busiest public page.

Scans of door plates come in bursts (a community's residents, a poster at
a bus stop) and almost all of them find their page ready-made in Redis.
:class:`ScanPageFastPath` answers those before sessions, CSRF,
locale, authentication, messages and URL resolution, none of which a
public, anonymous, cached page needs.  It sits after the security,
static-file, NUL-byte and clickjacking middleware, so the answer gets the
same headers as through the full chain; it chooses the language as
LocaleMiddleware does (``?lang=``, the language cookie, Accept-Language) and
checks the client's host against ``ALLOWED_HOSTS`` first.  A test compares
the answers of both ways header by header.  Anything else
(a page not cached yet, another path or method) goes down the chain as
usual, with the scan already counted.
"""

from __future__ import annotations

import re

from viewer.views.plates import plate_scan_cached

__all__ = ["ScanPageFastPath"]

# the URL pattern of viewer:plate-scan ("P/<str:code>" at the root)
SCAN_PATH = re.compile(r"/P/(?P<code>[^/]+)")


class ScanPageFastPath:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "GET":
            match = SCAN_PATH.fullmatch(request.path_info)
            if match is not None:
                request.get_host()  # DisallowedHost → 400, as CommonMiddleware would
                answered = plate_scan_cached(request, match["code"])
                if answered is not None:
                    return answered
        return self.get_response(request)

"""Reading the server-rendered pages in tests: the JSON a page embeds, and the two clients of
one signed-in user (the page's session, the API)."""

from __future__ import annotations

import json
import re

from django.test import Client
from rest_framework.test import APIClient


def json_script(html: str, element_id: str) -> dict:
    """The JSON of ``<script id="{element_id}" type="application/json">`` in ``html``."""
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    assert match, f"no #{element_id} in the page"
    return json.loads(match.group(1))


def signed_in_client(user, **defaults) -> Client:
    """A Django test client (``defaults``: its request headers) with ``user``'s session."""
    client = Client(**defaults)
    client.force_login(user)
    return client


def page_and_api(user) -> tuple[Client, APIClient]:
    """A Django test client with ``user``'s session and an API client authenticated as ``user``."""
    page = signed_in_client(user)
    api = APIClient()
    api.force_authenticate(user)
    return page, api

"""Shared pieces of the browser tests whose module-scoped site commits its own records: the
site (flushed before and after, served by a live thread), Chromium, and a signed-in tab in a
language of its own (own cookies)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.test import Client

from tests.csp_watch import watch_csp
from tests.live_http import live_http_server

SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--use-angle=swiftshader",
        "--enable-unsafe-swiftshader", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextmanager
def committed_site(django_db_blocker, seed: Callable[[], dict]) -> Iterator[dict]:
    """``seed()``'s records committed in an empty database, the application served; yields the
    seed's dict plus ``base`` (the server's URL) and flushes the database afterwards."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright runs an event loop in this thread
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)
        try:
            data = seed()
            with live_http_server() as base:
                yield {**data, "base": base}
        finally:
            call_command("flush", interactive=False, verbosity=0)


@contextmanager
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def signed_in_page(browser, base: str, user, *, viewport: dict, lang: str = "zh-hans",
                   timeout_ms: int = 60000):
    """A new context signed in as ``user`` with the interface in ``lang``; its page collects
    JavaScript errors and CSP refusals in ``page.errors``."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport=viewport, locale="en-US" if lang == "en" else "zh-CN",
                                  accept_downloads=True)
    context.add_cookies([
        {"name": settings.SESSION_COOKIE_NAME, "url": base,
         "value": client.cookies[settings.SESSION_COOKIE_NAME].value},
        {"name": settings.LANGUAGE_COOKIE_NAME, "url": base, "value": lang}])
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    watch_csp(page, page.errors)
    return page

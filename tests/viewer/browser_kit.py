"""Shared pieces of the browser tests: Chromium (its flags, a fresh browser or a phone's
persistent profile), signed-in contexts and tabs in a language of their own (own cookies), the
committed site (flushed before and after, served by a live thread), waiting for the page or the
database, and work done in a thread of its own (as a server does)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connections
from django.test import override_settings

from tests.csp_watch import watch_csp
from tests.emergency.live_support import session_cookie
from tests.live_http import live_http_server

SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
# pages without a 3D map
PLAIN_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# WebGL2 through SwiftShader (Cesium)
ARGS = [*PLAIN_ARGS, "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]
PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2, "is_mobile": True,
         "has_touch": True}


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


def site_fixture(seed: Callable[[], dict], *, media: str | None = None):
    """A module's ``site`` fixture: ``committed_site`` with ``seed``, and with ``media`` a
    ``MEDIA_ROOT`` of its own (a fresh temporary folder of that name)."""

    @pytest.fixture(scope="module")
    def site(test_database, django_db_blocker, tmp_path_factory):
        with ExitStack() as stack:
            if media:
                stack.enter_context(override_settings(MEDIA_ROOT=tmp_path_factory.mktemp(media)))
            yield stack.enter_context(committed_site(django_db_blocker, seed))

    return site


@contextmanager
def chromium(args: list[str] = ARGS) -> Iterator[object]:
    """A headless Chromium (the one Playwright session of this thread), closed afterwards."""
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def persistent_chromium(profile: Path, args: list[str] = ARGS, **options) -> Iterator[object]:
    """A browser context with a user-data folder of its own (``options``: Playwright's, e.g.
    ``**PHONE``), closed afterwards."""
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(str(profile), executable_path=CHROMIUM, args=args,
                                                       **options)
        try:
            yield context
        finally:
            context.close()


def sign_in(context, base: str, user, *, lang: str | None = None) -> None:
    """``user``'s session (and, with ``lang``, the interface language) in ``context`` for ``base``."""
    cookies = [{"name": settings.SESSION_COOKIE_NAME, "url": base, "value": session_cookie(user)}]
    if lang:
        cookies.append({"name": settings.LANGUAGE_COOKIE_NAME, "url": base, "value": lang})
    context.add_cookies(cookies)


def watch_errors(page) -> list[str]:
    """``page.errors``: the page's JavaScript errors and CSP refusals from now on."""
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    watch_csp(page, page.errors)
    return page.errors


def recorded_page(browser, base: str, user, *, viewport: dict, locale: str = "zh-CN"):
    """A new context signed in as ``user`` (the browser's ``locale`` picks the language): the URL
    of every request it makes in ``page.requests``, JavaScript errors and CSP refusals in
    ``page.errors``."""
    context = browser.new_context(viewport=viewport, locale=locale)
    sign_in(context, base, user)
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    page = context.new_page()
    page.requests = requests
    watch_errors(page)
    return page


def signed_in_page(browser, base: str, user, *, viewport: dict, lang: str = "zh-hans",
                   timeout_ms: int = 60000):
    """A new context signed in as ``user`` with the interface in ``lang``; its page collects
    JavaScript errors and CSP refusals in ``page.errors``."""
    context = browser.new_context(viewport=viewport, locale="en-US" if lang == "en" else "zh-CN",
                                  accept_downloads=True)
    sign_in(context, base, user, lang=lang)
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    watch_errors(page)
    return page


def wait_for(page, expression: str, timeout_s: float = 90, what: str = "", *, shot: str = "browser",
             poll_ms: int = 300, nudge: str | None = None, state: str | None = None) -> object:
    """``expression``'s value once the page makes it true (``nudge``, if any, evaluated between
    tries).  On time-out, a screenshot ``SHOTS/{shot}_timeout.png`` and an error naming ``what``
    (or the expression) and, with ``state``, what that expression says then."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = page.evaluate(expression)
        if value:
            return value
        if nudge:
            page.evaluate(nudge)
        page.wait_for_timeout(poll_ms)
    page.screenshot(path=str(SHOTS / f"{shot}_timeout.png"))
    detail = f": {page.evaluate(state)}" if state else ""
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what or expression}{detail}")


def wait_db(check: Callable[[], object], timeout_s: float = 30, what: str = ""):
    """``check()``'s value once it is true (the servers commit in their own threads)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def in_thread(fn, *args, **kwargs):
    """Run ``fn`` in a worker thread: its own database connection (autocommit) and no event
    loop, so its events are published after commit as in a server (Playwright's loop runs in
    the test's thread, where ``async_to_sync`` refuses to work)."""
    out: dict = {}

    def run():
        try:
            out["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001  (re-raised in the test's thread)
            out["error"] = exc
        finally:
            connections.close_all()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(120)
    if "error" in out:
        raise out["error"]
    return out["value"]


def console_page(browser, base: str, user, *, viewport: dict, lang: str = "zh-hans"):
    """The command console signed in as ``user`` (``signed_in_page``), once its script is up."""
    page = signed_in_page(browser, base, user, lang=lang, viewport=viewport)
    page.goto(base + "/console/")
    page.wait_for_function("window.cimConsole !== undefined")
    return page


def open_incident(page, pk: int) -> None:
    """Select incident ``pk`` in the console's list and wait until it is the selected one."""
    page.click(f'#incident-list [data-id="{pk}"]')
    page.wait_for_function(f"window.cimConsole.selected === {pk}")

"""Browser tests collect Content-Security-Policy violations with the page's
JavaScript errors, so that a policy that breaks a page fails its test."""

from __future__ import annotations


def watch_csp(page, sink: list) -> None:
    """Append every CSP refusal Chromium reports on ``page`` to ``sink``."""
    page.on("console", lambda m: sink.append(f"CSP: {m.text}")
            if "Content Security Policy" in m.text else None)

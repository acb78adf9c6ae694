"""Fixtures of the browser tests in this folder."""

from __future__ import annotations

import pytest

from tests.viewer.browser_kit import chromium


@pytest.fixture(scope="module")
def browser(site):
    """One Chromium for a module whose ``site`` fixture serves its committed records (started
    after the site, closed before it is flushed)."""
    with chromium() as launched:
        yield launched

"""Fixtures of the browser tests: the app over the sample data and Debian's Chromium driven by Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_support import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, serve_app

from support import require_or_skip


@pytest.fixture(scope="session")
def app_server(sample_url: str) -> Iterator[str]:
    """The app over the shared sample database; for tests that only look, never write."""
    with serve_app(sample_url) as base_url:
        yield base_url


@pytest.fixture(scope="session")
def browser():
    require_or_skip(CHROMIUM.exists(), "Debian's chromium (/usr/bin/chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS

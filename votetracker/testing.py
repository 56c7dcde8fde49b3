"""Support for the browser tests of every app: Debian's chromium driven by Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

CHROMIUM = "/usr/bin/chromium"
# Headless in a container without network: no sandbox, GPU or background traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
SCREENSHOTS = Path("/tmp/vt-shots")  # noqa: S108 - screenshots for people to look at, never read back


@contextmanager
def launch_chromium() -> Iterator[Browser]:
    """Debian's chromium, started once the test's data are in place and stopped before the database is flushed.

    Playwright's sync API runs an event loop in this thread. While it runs, Django sees an async context: it refuses
    sync queries unless allowed, and hands out a separate connection (one without the saved state that restores the
    database after the test). So nothing in the test should touch the database while the browser is up, except
    through the server it drives. The permission is granted only for as long as the browser runs.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()

"""What the console's browser tests share: Debian's chromium driven by Playwright, a page whose
console errors and foreign requests are recorded (each test fails on any), screenshots for
docs/console.md, and signing in.

The ``browser_page`` fixture reaches every integration test through tests/integration/conftest.py;
import ``Watched``, ``shot`` and ``sign_in`` from here. One browser per test: Playwright's sync API owns
an event loop while it runs, so it is never kept across tests that use asyncio themselves.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class Watched:
    """A page whose console errors and requests are recorded."""

    def __init__(self, page: Any, origin: str) -> None:
        self.page = page
        self.errors: list[str] = []
        self.foreign: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on(
            "request",
            lambda r: (
                None
                if r.url.startswith(origin + "/") or r.url.startswith("data:")
                else self.foreign.append(r.url)
            ),
        )

    def refused(self, status: str = "400 (Bad Request)", count: int = 1) -> None:
        """Accept the ``count`` console lines Chromium logs for requests the page expected to be
        refused (``status`` as Chromium words it: "400 (Bad Request)").

        Chromium logs every non-2xx fetch ("Failed to load resource"); when the refusal is the
        point of the step, exactly those lines, and nothing else, are taken off the errors."""
        line = f"Failed to load resource: the server responded with a status of {status}"
        assert self.errors == [line] * count, self.errors
        self.errors.clear()


@pytest.fixture
def browser_page(server) -> Iterator[Watched]:  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # a missing browser fails the test (`make test` apt-installs Debian's chromium)
        assert CHROMIUM is not None, "chromium not found: `make test` installs it"
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(30_000)
            watched = Watched(page, server.url)
            yield watched
            assert watched.errors == [], watched.errors
            assert watched.foreign == [], watched.foreign
        finally:
            browser.close()


def shot(page: Any, name: str, top: str | None = None) -> None:
    """A viewport screenshot docs/console/NAME.png (small, unlike a full page), with the element
    ``top`` selects scrolled to the top, when OVIS_CONSOLE_SCREENSHOTS names a directory."""
    out = os.environ.get("OVIS_CONSOLE_SCREENSHOTS")
    if out:
        if top:
            page.locator(top).evaluate("e => e.scrollIntoView({block: 'start'})")
        page.screenshot(path=str(Path(out) / f"{name}.png"))


def sign_in(page: Any, url: str) -> None:
    page.goto(url + "/console/")
    page.wait_for_selector("#signin-form")
    shot(page, "signin")
    page.fill("#access-key", "test")
    page.fill("#secret-key", "test")
    page.click("#signin-form button[type=submit]")
    page.wait_for_selector("#fn-table")

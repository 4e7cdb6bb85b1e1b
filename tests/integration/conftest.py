"""Fixtures the integration tests share beyond tests/conftest.py: ``browser_page`` (a chromium
page watched for console errors and foreign requests; tests/integration/browser.py)."""

from tests.integration.browser import browser_page

__all__ = ["browser_page"]

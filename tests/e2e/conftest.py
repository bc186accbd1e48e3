"""Browser fixtures: Debian's Chromium driven by Playwright's sync API.

Nothing is downloaded: Playwright launches the system browser at ``/usr/bin/chromium``.
Tests that use ``browser_page`` are marked ``browser`` (``make test-browser``).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.conftest import service_missing

if TYPE_CHECKING:
    from dramatiq import Worker
    from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RESULTS_DIR = Path(__file__).resolve().parents[2] / "test-results"
VIEWPORT = {"width": 1280, "height": 900}


@pytest.fixture
def browser_page(monkeypatch: pytest.MonkeyPatch) -> Iterator[Page]:
    """Yield a Playwright ``Page`` in a fresh Chromium (en-US, UTC); close it all afterwards.

    Skips when Chromium is missing, or fails under ``CI=true`` where it must exist.
    """
    if not CHROMIUM.exists():
        service_missing(f"Chromium not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in this thread, which Django's ORM
    # would take for async code. Scoped to this fixture so other tests keep the check.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="en-US", timezone_id="UTC", viewport=VIEWPORT)
        context.set_default_timeout(10_000)
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[[Page, str], Path]:
    """Return ``save(page, label) -> Path``: a full-page PNG in ``test-results/`` (gitignored)."""

    def save(page: Page, label: str = "page") -> Path:
        RESULTS_DIR.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{request.node.name}-{label}")
        path = RESULTS_DIR / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app on the offline model, with no credential a stray call could use."""
    for name in ("AWS_ACCESS_KEY_ID", "ANTHROPIC_API_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BUILDER_MODE", "offline")


@pytest.fixture
def worker() -> Iterator[Worker]:
    """An in-thread Dramatiq worker on the embedded (stub) broker, so a prompt typed in the page is built."""
    import dramatiq

    from widgets import tasks

    broker = tasks.run_step.broker
    assert isinstance(broker, dramatiq.brokers.stub.StubBroker), "the browser tests run on the embedded broker"
    broker.flush_all()
    running = dramatiq.Worker(broker, worker_threads=2, worker_timeout=100)
    running.start()
    yield running
    running.stop()

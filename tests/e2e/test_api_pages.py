"""The API's pages in Chromium: the docs page under its own policy, and a token from /profile/ used by the
README's script to make a widget."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from dramatiq import Worker
from playwright.sync_api import Page, expect

from tests.e2e.test_pages import PASSWORD, log_in
from widgets.models import Widget

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("offline")]

README = Path(__file__).resolve().parents[2] / "README.md"



def _policy_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    return errors


def test_the_docs_page_shows_the_api_under_its_own_policy(browser_page: Page, live_server: Any, screenshot: Any):
    page = browser_page
    errors = _policy_errors(page)
    response = page.goto(f"{live_server.url}/api/docs/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "'unsafe-eval'" not in policy
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Widget Builder API")
    expect(page.locator("#operations-requests-requests_cancel_create")).to_be_visible()
    screenshot(page, "docs")
    assert errors == []


def _readme_script() -> str:
    api = README.read_text().split("## The API", 1)[1]
    return re.search(r"```python\n(.*?)```", api, re.S).group(1)


def test_a_token_made_on_the_profile_page_makes_a_widget_from_the_readme_script(
        browser_page: Page, live_server: Any, worker: Worker, demo_source: Any, django_user_model: Any,
        screenshot: Any):
    django_user_model.objects.create_user(username="ana", password=PASSWORD)
    page = browser_page
    errors = _policy_errors(page)
    log_in(page, live_server.url, "ana")
    page.get_by_test_id("profile-link").click()
    page.get_by_label("Name").fill("README script")
    page.get_by_role("button", name="Make token").click()
    key = page.get_by_test_id("new-token-key").input_value()
    assert key.startswith("wb_")
    screenshot(page, "token")
    done = subprocess.run([sys.executable, "-c", _readme_script(), "total paid last 30 days"], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "WB_URL": live_server.url, "WB_TOKEN": key})
    assert done.returncode == 0, done.stderr
    widget = Widget.objects.get()
    assert f"widget {widget.id} on dashboard {widget.dashboard_id}: {widget.title}" in done.stdout
    assert widget.dashboard.owner.username == "ana"
    page.reload()
    expect(page.get_by_test_id("token-row")).to_contain_text("README script")
    expect(page.get_by_test_id("token-row")).not_to_contain_text("never")  # last used: just now
    assert errors == []

"""The custom-widget sandbox page: anyone may load it, only our pages may frame it, and its
policy allows our scripts and eval, nothing else."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from tests.conftest import service_missing

pytestmark = pytest.mark.django_db


def directives(response: Any) -> dict[str, str]:
    """Return the response's CSP as {directive: sources}."""
    parts = (part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";"))
    return {part[0]: part[1] if len(part) > 1 else "" for part in parts if part[0]}


def test_the_sandbox_page_needs_no_login_and_holds_only_the_root_and_our_frame_script() -> None:
    response = Client().get(reverse("widget-sandbox"))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<div id="root"></div>' in html
    assert html.count("<script") == 1
    assert 'src="/static/widgets/sandbox.js"' in html
    assert "react" not in html.lower()  # the component's React runs in the VM (static/widgets/sandbox-vm.js)


def test_the_worker_scripts_the_frame_loads_are_static_files() -> None:
    # sandbox.js names them; the VM's single-file build embeds its WebAssembly, so no .wasm is fetched.
    for path in ("widgets/vendor/quickjs.js", "widgets/sandbox-vm.js", "widgets/sandbox-worker.js"):
        assert finders.find(path), path
    assert ".wasm" not in Path(finders.find("widgets/vendor/quickjs.js")).read_text()[:200]


def test_the_sandbox_page_is_frameable_by_our_pages_only_and_sandboxed_by_its_own_policy() -> None:
    response = Client().get(reverse("widget-sandbox"))

    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert directives(response) == {
        "default-src": "'none'", "script-src": "'self' 'wasm-unsafe-eval'",
        "style-src": "'self'", "img-src": "'none'", "font-src": "'none'", "connect-src": "'none'",
        "object-src": "'none'", "frame-src": "'none'", "worker-src": "blob:", "form-action": "'none'",
        "base-uri": "'none'", "frame-ancestors": "'self'",
        "require-trusted-types-for": "'script'", "trusted-types": "sandbox-worker", "sandbox": "allow-scripts",
    }


def test_other_pages_keep_the_strict_policy_and_may_frame_only_our_own_origin(client_for: Any, analyst: Any) -> None:
    response = client_for(analyst).get(reverse("dashboard-list"))

    policy = directives(response)
    assert response["X-Frame-Options"] == "DENY"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe-eval" not in policy["script-src"]
    # Stated, not inherited from default-src: a custom widget's frame cannot be navigated elsewhere.
    assert policy["frame-src"] == "'self'"


def test_react_is_served_from_node_modules_when_installed() -> None:
    from widgets.services.tsx import tsx_checker_available

    reason = tsx_checker_available()
    if reason:
        service_missing(f"TSX checker unavailable: {reason}")
    for path in ("vendor/react/react.production.min.js", "vendor/react-dom/react-dom.production.min.js"):
        assert finders.find(path), path


@pytest.mark.parametrize(("method", "status"), [("head", 200), ("post", 405)])
def test_the_sandbox_page_answers_head_and_refuses_post(client: Client, method: str, status: int) -> None:
    assert getattr(client, method)("/widgets/sandbox/").status_code == status

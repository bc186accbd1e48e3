// The custom-widget sandbox: runs one compiled, model-written React component on the props the
// dashboard posts, and reports back only its height or why it failed.
//
// This page is framed with sandbox="allow-scripts" (and its CSP says `sandbox allow-scripts`),
// so it has an opaque origin: no cookies, no storage, no reach into the dashboard. Its CSP
// allows no requests at all. The compiled code is evaluated with `new Function` (the CSP's
// 'unsafe-eval' exists for this line) with page globals shadowed by undefined parameters, a
// courtesy on top of the TypeScript check's rules; the frame is what contains it.
//
// No CSP directive governs WebRTC (STUN/TURN packets go wherever the ICE servers say) and a
// component can always reach the real window, (0, eval)("this") for one. So before any component
// runs, disarm() deletes those channels from this window, and render() refuses to run anything
// if one survived. A nested frame would be a fresh window with its own RTCPeerConnection; Chromium
// already gives it another opaque origin (so it cannot be reached), and disarm() and the page's
// Trusted Types policy (no innerHTML, DOMParser, document.write) refuse to make one at all, in
// case a browser treats sandboxed about:blank frames differently.
"use strict";

(() => {
  const MAX_MESSAGE = 500;
  // Shadowed for the component. `eval` cannot be a parameter name in strict code; the frame has
  // nothing to reach with it anyway.
  const SHADOWED = ["window", "self", "globalThis", "document", "parent", "top", "frames", "opener", "location",
    "navigator", "fetch", "XMLHttpRequest", "WebSocket", "EventSource", "Worker", "SharedWorker", "importScripts",
    "localStorage", "sessionStorage", "indexedDB", "caches", "postMessage", "ReactDOM", "Function",
    "customElements"];
  // Deleted from the window by disarm(): ways out that the CSP does not cover, or that lead to a
  // new window (XSLT can output an iframe). The same names are forbidden in widgets/tsx/check.mjs.
  const NETWORK_GLOBALS = ["RTCPeerConnection", "webkitRTCPeerConnection", "RTCDataChannel", "RTCIceTransport",
    "RTCSessionDescription", "RTCIceCandidate", "RTCRtpSender", "RTCRtpReceiver", "RTCRtpTransceiver",
    "RTCDtlsTransport", "RTCSctpTransport", "RTCCertificate", "MediaStream", "WebTransport", "Request",
    "XSLTProcessor", "open"];
  // navigator.sendBeacon is covered by connect-src; removed anyway, with the camera and microphone.
  const NAVIGATOR_PROPERTIES = ["mediaDevices", "sendBeacon", "getUserMedia", "webkitGetUserMedia"];
  const FRAME_TAGS = new Set(["iframe", "frame", "object", "embed", "portal", "fencedframe"]);
  SHADOWED.push(...NETWORK_GLOBALS);

  const container = document.getElementById("root");
  const survivors = disarm();
  const host = window.parent;
  let reactRoot = null;
  let failed = false;
  let lastHeight = -1;
  let renders = 0; // a new key per render, so an earlier failure does not stick to the boundary

  /** Posts to the dashboard. Its origin is unknown to an opaque-origin frame, hence "*": the
   * messages carry only a height or an error text, never data. */
  function post(message) {
    if (host !== window) host.postMessage(message, "*");
  }

  function describe(error) {
    const text = error && typeof error.message === "string" ? error.message : String(error);
    return text.slice(0, MAX_MESSAGE) || "Unknown error";
  }

  function reportError(error) {
    if (failed) return;
    failed = true;
    post({ type: "error", message: describe(error) });
  }

  function reportHeight() {
    if (failed) return;
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === lastHeight) return;
    lastHeight = height;
    post({ type: "rendered", height });
  }

  /** Catches errors thrown while rendering the component and reports them. */
  class Boundary extends React.Component {
    constructor(props) {
      super(props);
      this.state = { error: null };
    }

    static getDerivedStateFromError(error) {
      return { error };
    }

    componentDidCatch(error) {
      reportError(error);
    }

    render() {
      return this.state.error ? null : this.props.children;
    }
  }

  /** Deletes ``name`` from ``target``, or pins it to undefined where it cannot be deleted. */
  function remove(target, name) {
    if (!(name in target)) return;
    try {
      delete target[name];
    } catch {
      // Strict mode throws on a non-configurable property; the check in disarm() reports it.
    }
    if (name in target) {
      try {
        Object.defineProperty(target, name, { value: undefined, writable: false, configurable: false });
      } catch {
        // As above.
      }
    }
  }

  function refuseFrames(owner, method, tagOf) {
    const original = owner[method];
    Object.defineProperty(owner, method, {
      value: function (...args) {
        const tag = String(tagOf(args)).split(":").pop().toLowerCase();
        if (FRAME_TAGS.has(tag)) throw new TypeError(`A widget cannot create <${tag}> elements.`);
        return original.apply(this, args);
      },
      writable: false, configurable: false,
    });
  }

  /** Removes the channels listed above and every way to make a frame; returns the names that
   * survived (empty when all is well). */
  function disarm() {
    for (const name of NETWORK_GLOBALS) remove(window, name);
    for (const name of NAVIGATOR_PROPERTIES) {
      remove(Navigator.prototype, name);
      remove(navigator, name);
    }
    refuseFrames(Document.prototype, "createElement", (args) => args[0]);
    refuseFrames(Document.prototype, "createElementNS", (args) => args[1]);
    refuseFrames(DOMImplementation.prototype, "createDocument", (args) => args[1]);
    // A customized built-in (`class extends HTMLIFrameElement`) is an iframe made with `new`.
    if (window.CustomElementRegistry) remove(CustomElementRegistry.prototype, "define");
    remove(window, "customElements");
    const left = NETWORK_GLOBALS.filter((name) => window[name] !== undefined)
      .concat(NAVIGATOR_PROPERTIES.filter((name) => navigator[name] !== undefined).map((n) => `navigator.${n}`));
    try {
      document.createElement("iframe");
      left.push("document.createElement('iframe')");
    } catch {
      // Refused, as it should be.
    }
    return left;
  }

  /** Returns the component the compiled script defines as Widget; throws when there is none. */
  function evaluate(js) {
    // The inner function lets the component declare its own `top` or `self` beside the shadowing parameters.
    const body = `"use strict";\nreturn (function () {\n"use strict";\n${js}\n;return Widget;\n})();`;
    const factory = new Function("React", ...SHADOWED, body);
    const Widget = factory(React);
    if (typeof Widget !== "function") throw new Error("The component does not define a function named Widget.");
    return Widget;
  }

  function render(js, props) {
    failed = false;
    lastHeight = -1;
    if (survivors.length) {
      reportError(`the sandbox could not disable ${survivors.join(", ")} in this browser, so it does not run components.`);
      return;
    }
    try {
      const Widget = evaluate(js);
      if (!reactRoot) reactRoot = ReactDOM.createRoot(container);
      ReactDOM.flushSync(() => {
        reactRoot.render(React.createElement(Boundary, { key: ++renders }, React.createElement(Widget, props)));
      });
    } catch (error) {
      reportError(error);
      return;
    }
    reportHeight();
  }

  window.addEventListener("message", (event) => {
    if (event.source !== host || host === window) return;
    const data = event.data;
    if (!data || data.type !== "render" || typeof data.js !== "string") return;
    render(data.js, data.props && typeof data.props === "object" ? data.props : {});
  });
  // Errors the boundary cannot see: event handlers, effects, promises.
  window.addEventListener("error", (event) => reportError(event.error || event.message));
  window.addEventListener("unhandledrejection", (event) => reportError(event.reason));
  new ResizeObserver(reportHeight).observe(container);
})();

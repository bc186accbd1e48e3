// The custom-widget sandbox: runs one compiled, model-written React component on the props the
// dashboard posts, and reports back only its height or why it failed.
//
// This page is framed with sandbox="allow-scripts" (and its CSP says `sandbox allow-scripts`),
// so it has an opaque origin: no cookies, no storage, no reach into the dashboard. Its CSP
// allows no requests at all. The compiled code is evaluated with `new Function` (the CSP's
// 'unsafe-eval' exists for this line) with page globals shadowed by undefined parameters, a
// courtesy on top of the TypeScript check's rules; the frame is what contains it.
"use strict";

(() => {
  const MAX_MESSAGE = 500;
  // Shadowed for the component. `eval` cannot be a parameter name in strict code; the frame has
  // nothing to reach with it anyway.
  const SHADOWED = ["window", "self", "globalThis", "document", "parent", "top", "frames", "opener", "location",
    "navigator", "fetch", "XMLHttpRequest", "WebSocket", "EventSource", "Worker", "SharedWorker", "importScripts",
    "localStorage", "sessionStorage", "indexedDB", "caches", "postMessage", "ReactDOM", "Function"];

  const container = document.getElementById("root");
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

// The custom-widget sandbox frame: trusted code only. The model-written component never runs here.
//
// The dashboard frames this page with sandbox="allow-scripts" (its CSP says `sandbox allow-scripts`
// too), so it has an opaque origin. At start-up the dashboard hands it one MessageChannel port; the
// component's code and props arrive on it, and this page answers on it only (a height, or why the
// widget stopped), each answer a small transferred ArrayBuffer of JSON.
//
// The component runs in a QuickJS VM inside a Worker of its own (static/widgets/sandbox-worker.js):
// no DOM, no window, no navigation. It renders a plain element tree; apply() below builds the DOM
// from it through an allowlist of elements, attributes and styles (no element that navigates, loads,
// embeds or takes focus, no URL attribute, no CSS function outside a short list, so no url()), and
// events go back to the VM as plain data. A watchdog terminates the Worker when it stops answering.
"use strict";

(() => {
  const STATIC = new URL(".", document.currentScript.src).href; // .../static/widgets/
  // QuickJS is built from the pinned npm packages by `make setup` (widgets/tsx/vendor-quickjs.mjs).
  const WORKER_SCRIPTS = ["../vendor/quickjs/quickjs.js", "sandbox-vm.js", "sandbox-worker.js"]
    .map((name) => new URL(name, STATIC).href);
  const START_MS = 15_000; // loading the VM (about 0.1 s; much more on a loaded machine)
  const ANSWER_MS = 2_000; // the Worker's own per-call budget is 0.4 s; this is the backstop
  // Once the VM is up, the component's first evaluation and render (the Worker's budget for both: 1.5 s). One
  // long native call there is not cut by the VM, and held a core for the whole START_MS.
  const FIRST_ANSWER_MS = 5_000;
  const MAX_HOST_MESSAGE = 2048;
  const MAX_ERROR = 300;
  const SVG_NS = "http://www.w3.org/2000/svg";

  // Nothing here navigates, loads a resource, embeds, runs script or takes focus.
  const HTML_TAGS = new Set(["div", "span", "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt",
    "dd", "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "colgroup", "col", "strong", "em", "b",
    "i", "u", "s", "small", "sub", "sup", "br", "hr", "code", "pre", "blockquote", "figure", "figcaption",
    "section", "article", "header", "footer", "abbr", "mark", "time", "svg"]);
  const SVG_TAGS = new Set(["svg", "g", "rect", "circle", "ellipse", "line", "polyline", "polygon", "path", "text",
    "tspan", "title", "desc"]);
  // React prop name -> attribute name. None carries a URL; no event handler attributes.
  const COMMON_ATTRIBUTES = new Map([["className", "class"], ["title", "title"], ["role", "role"],
    ["colSpan", "colspan"], ["rowSpan", "rowspan"], ["dateTime", "datetime"], ["lang", "lang"], ["dir", "dir"]]);
  const SVG_ATTRIBUTES = new Map(["viewBox", "width", "height", "x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r",
    "rx", "ry", "d", "points", "fill", "stroke", "opacity", "transform", "preserveAspectRatio", "dx", "dy",
    "fillOpacity", "fillRule", "strokeWidth", "strokeDasharray", "strokeDashoffset", "strokeLinecap",
    "strokeLinejoin", "strokeOpacity", "textAnchor", "dominantBaseline", "fontSize", "fontFamily", "fontWeight",
    "vectorEffect", "shapeRendering", "pointerEvents", "clipRule"]
    .map((name) => [name, /^(viewBox|preserveAspectRatio)$/.test(name) ? name : kebab(name)]));
  const SVG_ATTRIBUTE_NAMES = new Set(SVG_ATTRIBUTES.values());
  // Roles that describe what is drawn. None that a screen reader announces unasked (alert, status, log, timer:
  // a component's role="alert" read "Your session has expired" out as the product's alerts are read) or
  // presents as a control to operate (button, link, textbox, dialog...); nor the aria- attributes that make a
  // live region of an element.
  const ROLES = new Set(["presentation", "none", "img", "figure", "group", "list", "listitem", "table", "grid",
    "rowgroup", "row", "cell", "gridcell", "columnheader", "rowheader", "heading", "note", "term", "definition",
    "meter", "progressbar", "separator", "caption", "paragraph", "text", "graphics-document", "graphics-object",
    "graphics-symbol"]);
  const LIVE_ARIA = new Set(["aria-live", "aria-atomic", "aria-relevant", "aria-busy", "aria-modal"]);
  // Paint attributes take a colour and nothing else: a keyword (a named colour, none, currentColor,
  // transparent), #hex, or rgb()/rgba()/hsl()/hsla() of numbers. No url(), no paint server, no escape.
  const PAINT_ATTRIBUTES = new Set(["fill", "stroke", "stop-color", "flood-color", "lighting-color", "color"]);
  const COLOUR = /^\s*(?:[a-z]{1,30}|#(?:[0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})|(?:rgba?|hsla?)\((?:[-+0-9.%\s,/]|deg|turn|g?rad)*\))\s*$/i;
  const STYLE_PROPERTIES = new Set(["color", "background", "backgroundColor", "border", "borderTop", "borderRight",
    "borderBottom", "borderLeft", "borderColor", "borderStyle", "borderWidth", "borderRadius", "borderTopColor",
    "borderBottomColor", "borderLeftColor", "borderRightColor", "borderTopWidth", "borderBottomWidth",
    "borderLeftWidth", "borderRightWidth", "borderTopLeftRadius", "borderTopRightRadius", "borderBottomLeftRadius",
    "borderBottomRightRadius", "borderCollapse", "borderSpacing", "margin", "marginTop", "marginRight",
    "marginBottom", "marginLeft", "padding", "paddingTop", "paddingRight", "paddingBottom", "paddingLeft", "width",
    "height", "minWidth", "minHeight", "maxWidth", "maxHeight", "display", "flex", "flexGrow", "flexShrink",
    "flexBasis", "flexDirection", "flexWrap", "flexFlow", "gap", "rowGap", "columnGap", "alignItems", "alignSelf",
    "alignContent", "justifyContent", "justifyItems", "justifySelf", "placeItems", "placeContent", "order", "grid",
    "gridTemplateColumns", "gridTemplateRows", "gridTemplateAreas", "gridColumn", "gridRow", "gridArea",
    "gridAutoFlow", "gridAutoColumns", "gridAutoRows", "position", "top", "right", "bottom", "left", "inset",
    "zIndex", "overflow", "overflowX", "overflowY", "textOverflow", "whiteSpace", "wordBreak", "overflowWrap",
    "font", "fontFamily", "fontSize", "fontWeight", "fontStyle", "fontVariantNumeric", "lineHeight",
    "letterSpacing", "textAlign", "textDecoration", "textTransform", "verticalAlign", "opacity", "boxShadow",
    "boxSizing", "transform", "transformOrigin", "transition", "transitionProperty", "transitionDuration",
    "transitionTimingFunction", "transitionDelay", "cursor", "visibility", "fill", "stroke", "strokeWidth",
    "tableLayout", "listStyleType", "listStylePosition", "userSelect", "pointerEvents", "aspectRatio", "outline",
    "textShadow", "wordWrap", "hyphens", "writingMode", "fontVariant", "textIndent"]);
  // React's unitless numeric styles (a bare number gets "px" otherwise).
  const UNITLESS = new Set(["flex", "flexGrow", "flexShrink", "order", "zIndex", "opacity", "fontWeight",
    "lineHeight", "gridRow", "gridColumn", "aspectRatio"]);
  // The only CSS functions a value may call: no url(), image-set(), element(), paint(), attr(), var().
  const CSS_FUNCTIONS = new Set(["rgb", "rgba", "hsl", "hsla", "hwb", "calc", "min", "max", "clamp",
    "linear-gradient", "radial-gradient", "repeating-linear-gradient", "repeating-radial-gradient",
    "conic-gradient", "translate", "translatex", "translatey", "rotate", "scale", "scalex", "scaley", "skew",
    "skewx", "skewy", "matrix", "cubic-bezier", "steps", "repeat", "minmax", "fit-content"]);
  // A number followed by vh vw vi vb vmin vmax (and their s/l/d forms) or cqw cqh cqi cqb cqmin cqmax.
  const VIEWPORT_UNIT = /[0-9.](?:[sld]?v(?:h|w|i|b|min|max)|cq(?:w|h|i|b|min|max))(?![a-z0-9-])/i;
  const EVENTS = new Set(["click", "dblclick", "mouseenter", "mouseleave", "mouseover", "mouseout", "mousemove",
    "mousedown", "mouseup"]);
  const MAX_VALUE = 100_000;
  // What this frame draws, counted here: the VM's renderer counts too, but it is on the component's side.
  // The frames of a page share one main thread, so a tree costly to build stalls every sibling (and this
  // frame's own watchdog): 100,000 data- attributes on one element took 25 s (each set scans the others).
  const MAX_ELEMENTS = 4000;
  const MAX_TEXTS = 20_000;
  const MAX_DEPTH = 100;
  const MAX_ATTRIBUTES = 64; // per element: each attribute set or read scans the element's others
  // A table's grid is as wide as its cells' colspans add up to (and as tall as its rowspans): 4,000 cells of
  // colspan 1000 took 3.7 s to lay out, again at each change. Larger spans are clamped.
  const MAX_SPAN = 32;
  // Building and laying out a tree is main-thread time, which no cap on its size bounds (3,990 grid items
  // of large spans, auto-placed, took 1.4 s at each re-render on a mouse move): budgeted like the VM's time.
  const DRAW_MS = 1000; // of building and laying out the tree, in any DRAW_WINDOW_MS
  const DRAW_WINDOW_MS = 2000;
  // A transition lays its element out again at every animation frame, outside any draw this frame measures: one
  // of 100 s on a grid's width kept the siblings' thread busy for its whole length, after a single hover.
  const TRANSITION_MS = 1000; // each duration and delay, at most

  const container = document.getElementById("root");
  let port = null;
  let worker = null;
  let watchdog = null;
  let stopped = false;
  let lastHeight = -1;
  let gen = 0;
  let busy = false; // an event is with the Worker: the ones after it wait in `waiting`
  const waiting = []; // [{element, data}] in order; a run of moves over one element is kept as its latest
  const MAX_WAITING = 32;
  const listeners = new WeakMap(); // element -> {event: handler id}
  const draws = []; // [when it ended, ms it took] of the draws in the last DRAW_WINDOW_MS

  function kebab(name) {
    return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  }

  /** Posts one small message to the dashboard, as a transferred ArrayBuffer of JSON. */
  function tell(message) {
    if (!port) return;
    const bytes = new TextEncoder().encode(JSON.stringify(message));
    if (bytes.byteLength > MAX_HOST_MESSAGE) return;
    port.postMessage(bytes.buffer, [bytes.buffer]);
  }

  function stop(kind, text) {
    if (stopped) return;
    stopped = true;
    clearTimeout(watchdog);
    if (worker) worker.terminate();
    worker = null;
    container.replaceChildren();
    if (kind === "sandbox") console.warn(`custom widget sandbox: ${text}`);
    tell({ type: "error", kind, text: String(text).slice(0, MAX_ERROR) });
  }

  function arm(ms) {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => stop("budget", "unresponsive"), ms);
  }

  function reportHeight() {
    if (stopped) return;
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === lastHeight) return;
    lastHeight = height;
    tell({ type: "rendered", height });
  }

  function cssValue(property, value) {
    if (typeof value === "number") {
      if (!Number.isFinite(value)) return null;
      return UNITLESS.has(property) || value === 0 ? String(value) : `${value}px`;
    }
    if (typeof value !== "string" || value.length > 1000 || /[\\<>@{};]/.test(value)) return null;
    // Viewport and container units size the content by the frame, and the host sizes the frame by the
    // content: a feedback loop that kept a card's height jumping for as long as it was on screen.
    if (VIEWPORT_UNIT.test(value)) return null;
    for (const match of value.matchAll(/([a-zA-Z-]*)\s*\(/g)) {
      if (!CSS_FUNCTIONS.has(match[1].toLowerCase())) return null;
    }
    if (property.startsWith("transition") && !shortTransition(value)) return null;
    return value;
  }

  /** True when every time in the transition ``value`` is at most TRANSITION_MS, written as a plain number. */
  function shortTransition(value) {
    if (/\d[eE][+-]?\d|(?:calc|min|max|clamp)\s*\(/i.test(value)) return false;
    for (const [, number, unit] of value.matchAll(/(\d*\.?\d+)(ms|s)(?![a-z0-9-])/gi)) {
      if (Number(number) * (unit.toLowerCase() === "s" ? 1000 : 1) > TRANSITION_MS) return false;
    }
    return true;
  }

  /** The value to set for ``attribute``, or null to leave it out. SVG presentation attributes are parsed as
   * CSS, where `u\72l(` is `url(`: no value may hold a backslash (nor may a style, see cssValue), a paint
   * attribute takes a colour only, and any other SVG attribute only the CSS functions a style may call. */
  function attributeValue(attribute, value, svg) {
    if (attribute === "colspan" || attribute === "rowspan") {
      const span = typeof value === "string" && /^\s*\d{1,9}\s*$/.test(value) ? Number(value) : value;
      return Number.isInteger(span) ? String(Math.min(MAX_SPAN, Math.max(1, span))) : null;
    }
    if (typeof value === "number") return Number.isFinite(value) ? String(value) : null;
    if (typeof value === "boolean") return value ? "" : null;
    if (typeof value !== "string" || value.length > MAX_VALUE || /[\\]|url\s*\(/i.test(value)) return null;
    if (PAINT_ATTRIBUTES.has(attribute)) return COLOUR.test(value) ? value : null;
    if (svg && SVG_ATTRIBUTE_NAMES.has(attribute)) {
      for (const match of value.matchAll(/([a-zA-Z-]*)\s*\(/g)) {
        if (!CSS_FUNCTIONS.has(match[1].toLowerCase())) return null;
      }
    }
    return value;
  }

  /** The DOM element for ``node`` (a tree node from the VM), or null when it is not allowed here. */
  function create(node, inSvg) {
    const tag = typeof node.t === "string" ? node.t : "";
    const svg = inSvg || tag === "svg";
    if (svg ? !SVG_TAGS.has(tag) : !HTML_TAGS.has(tag)) return null;
    const element = svg ? document.createElementNS(SVG_NS, tag) : document.createElement(tag);
    update(element, node, svg);
    return element;
  }

  function update(element, node, svg) {
    const attributes = node.a && typeof node.a === "object" ? node.a : {};
    const wanted = new Map();
    for (const name of Object.keys(attributes)) {
      let attribute = COMMON_ATTRIBUTES.get(name) || (svg ? SVG_ATTRIBUTES.get(name) : undefined);
      if (!attribute && /^(data|aria)-[a-z][a-z0-9-]{0,40}$/.test(name) && !LIVE_ARIA.has(name)) attribute = name;
      if (!attribute || (attribute === "role" && !ROLES.has(attributes[name]))) continue;
      const value = attributeValue(attribute, attributes[name], svg);
      if (value !== null) wanted.set(attribute, value);
    }
    for (const { name } of [...element.attributes]) if (name !== "style" && !wanted.has(name)) element.removeAttribute(name);
    for (const [name, value] of wanted) if (element.getAttribute(name) !== value) element.setAttribute(name, value);
    // CSSOM, property by property: no style attribute is parsed, so style-src needs no 'unsafe-inline'.
    const style = node.s && typeof node.s === "object" ? node.s : {};
    const properties = new Map();
    for (const name of Object.keys(style)) {
      if (!STYLE_PROPERTIES.has(name)) continue;
      const value = cssValue(name, style[name]);
      if (value !== null) properties.set(kebab(name), value);
    }
    for (const name of [...element.style]) if (!properties.has(name)) element.style.removeProperty(name);
    for (const [name, value] of properties) element.style.setProperty(name, value);
    const handlers = new Map();
    for (const [event, id] of Object.entries(node.h && typeof node.h === "object" ? node.h : {})) {
      if (EVENTS.has(event) && Number.isInteger(id)) handlers.set(event, id);
    }
    const old = listeners.get(element) || new Map();
    for (const event of handlers.keys()) if (!old.has(event)) element.addEventListener(event, onEvent);
    for (const event of old.keys()) if (!handlers.has(event)) element.removeEventListener(event, onEvent);
    listeners.set(element, handlers);
    patchChildren(element, Array.isArray(node.c) ? node.c : [], svg);
  }

  /** Makes ``parent``'s children match ``nodes`` position by position, keeping what is unchanged. */
  function patchChildren(parent, nodes, svg) {
    let at = 0;
    for (const node of nodes) {
      const here = parent.childNodes[at] || null;
      if (typeof node === "string") {
        if (here && here.nodeType === Node.TEXT_NODE) {
          if (here.data !== node) here.data = node;
        } else if (here) {
          parent.replaceChild(document.createTextNode(node), here);
        } else {
          parent.append(node);
        }
        at += 1;
      } else if (node && typeof node === "object") {
        const tag = typeof node.t === "string" ? node.t : "";
        const childSvg = svg || tag === "svg";
        if (here && here.nodeType === Node.ELEMENT_NODE && here.localName === tag
            && (here.namespaceURI === SVG_NS) === childSvg) {
          update(here, node, childSvg);
        } else {
          const made = create(node, svg);
          if (!made) continue; // not on the allowlist: dropped, with its children
          if (here) parent.replaceChild(made, here);
          else parent.append(made);
        }
        at += 1;
      }
    }
    while (parent.childNodes.length > at) parent.lastChild.remove();
  }

  /** True when ``tree`` (a list of nodes from the Worker) is within what this frame draws: elements, text
   * nodes, nesting and attributes per element, counted before any of it is built. */
  function withinBudget(tree) {
    let elements = 0;
    let texts = 0;
    const stack = [[tree, 0]];
    while (stack.length) {
      const [nodes, depth] = stack.pop();
      if (depth > MAX_DEPTH) return false;
      for (const node of nodes) {
        if (typeof node === "string") {
          if (++texts > MAX_TEXTS) return false;
        } else if (node && typeof node === "object") {
          if (++elements > MAX_ELEMENTS) return false;
          if (node.a && typeof node.a === "object" && Object.keys(node.a).length > MAX_ATTRIBUTES) return false;
          if (Array.isArray(node.c)) stack.push([node.c, depth + 1]);
        }
      }
    }
    return true;
  }

  /** Counts a draw that began at ``began`` and ends now; true when draws took more than DRAW_MS of the last
   * DRAW_WINDOW_MS. */
  function overDrawBudget(began) {
    const now = performance.now();
    draws.push([now, now - began]);
    while (draws[0][0] < now - DRAW_WINDOW_MS) draws.shift();
    return draws.reduce((sum, [, ms]) => sum + ms, 0) > DRAW_MS;
  }

  function onEvent(event) {
    const element = event.currentTarget;
    if (!(listeners.get(element) || new Map()).has(event.type) || stopped || !worker) return;
    const box = element.getBoundingClientRect();
    const data = { type: event.type, key: element.getAttribute("data-key"),
      x: Math.round(event.clientX - box.left), y: Math.round(event.clientY - box.top), button: event.button,
      shiftKey: event.shiftKey, altKey: event.altKey, ctrlKey: event.ctrlKey, metaKey: event.metaKey };
    if (!busy) {
      send(element, data);
      return;
    }
    // One call at a time. Every event waits its turn (an enter, a leave or a click dropped leaves the
    // component's state wrong); only a run of moves over one element is kept as its latest.
    const last = waiting[waiting.length - 1];
    if (last && last.element === element && last.data.type === "mousemove" && data.type === "mousemove") {
      last.data = data;
    } else if (waiting.length < MAX_WAITING) {
      waiting.push({ element, data });
    }
  }

  /** Sends ``data`` to the handler ``element`` has for it in the tree drawn now; false when it has none
   * any more (the render since the event removed it). */
  function send(element, data) {
    const id = (listeners.get(element) || new Map()).get(data.type);
    if (id === undefined || !element.isConnected) return false;
    busy = true;
    arm(ANSWER_MS);
    worker.postMessage({ type: "event", gen, id, data });
    return true;
  }

  function fromWorker(event) {
    const data = event.data;
    if (stopped || !data || typeof data !== "object") return;
    if (data.type === "tree" && Array.isArray(data.tree) && Number.isInteger(data.gen)) {
      if (!withinBudget(data.tree)) {
        stop("budget", "output");
        return;
      }
      gen = data.gen;
      const began = performance.now();
      patchChildren(container, data.tree, false);
      reportHeight(); // its getBoundingClientRect lays the page out, so the layout is measured with the build
      if (overDrawBudget(began)) stop("budget", "cpu");
    } else if (data.type === "ready") {
      arm(FIRST_ANSWER_MS);
    } else if (data.type === "idle") {
      clearTimeout(watchdog);
      busy = false;
      while (waiting.length && !stopped && worker) {
        const next = waiting.shift();
        if (send(next.element, next.data)) break;
      }
    } else if (data.type === "error") {
      stop(["component", "budget"].includes(data.kind) ? data.kind : "sandbox", data.text);
    }
  }

  function startWorker(js, props) {
    // Our own three scripts, and nothing else, may be loaded as worker code (Trusted Types).
    const made = new Set();
    const policy = trustedTypes.createPolicy("sandbox-worker", {
      createScriptURL: (url) => {
        if (!made.has(url)) throw new TypeError("Only the sandbox's own worker may start.");
        return url;
      },
    });
    const boot = `"use strict";
const policy = trustedTypes.createPolicy("sandbox-worker", { createScriptURL: (url) => {
  if (!${JSON.stringify(WORKER_SCRIPTS)}.includes(url)) throw new TypeError("not a sandbox script");
  return url;
} });
importScripts(...${JSON.stringify(WORKER_SCRIPTS)}.map((url) => policy.createScriptURL(url)));`;
    const url = URL.createObjectURL(new Blob([boot], { type: "text/javascript" }));
    made.add(url);
    try {
      worker = new Worker(policy.createScriptURL(url), { name: "custom-widget" });
    } catch (error) {
      stop("sandbox", `the sandbox could not start its worker (${error && error.message}).`);
      return;
    } finally {
      URL.revokeObjectURL(url);
    }
    worker.onmessage = fromWorker;
    worker.onerror = (event) => {
      event.preventDefault();
      stop("sandbox", `the sandbox's worker failed (${event.message || "error"}).`);
    };
    worker.onmessageerror = () => stop("sandbox", "the sandbox's worker sent an unreadable message.");
    busy = true;
    arm(START_MS);
    worker.postMessage({ type: "start", js, props });
  }

  function onPortMessage(event) {
    const data = event.data;
    if (worker || stopped || !data || data.type !== "render" || typeof data.js !== "string") return;
    startWorker(data.js, data.props && typeof data.props === "object" ? data.props : {});
  }

  // The first message from the dashboard carries our port; anything else on the window is ignored.
  window.addEventListener("message", function accept(event) {
    if (port || event.source !== window.parent || window.parent === window) return;
    if (!event.data || event.data.type !== "start" || event.ports.length !== 1) return;
    window.removeEventListener("message", accept);
    port = event.ports[0];
    port.onmessage = onPortMessage;
  });
  new ResizeObserver(reportHeight).observe(container);
})();

// The dashboard page: loads widgets and open requests from the JSON API, submits prompts,
// polls requests until they settle and answers clarifying questions. Plain ES2020, no build step.
// Prompts and data are untrusted: server text only ever reaches the DOM through textContent.
"use strict";

(() => {
  const POLL_MS = 700;
  const RETRY_MS = 3000;
  const SETTLED = new Set(["ready", "failed", "needs_clarification"]);
  const SVG_NS = "http://www.w3.org/2000/svg";

  const app = document.getElementById("dashboard-app");
  if (!app) return;
  const apiBase = app.dataset.apiBase || "/api/";
  const dashboardId = app.dataset.dashboardId;
  const grid = document.getElementById("widget-grid");
  const requestsBox = document.getElementById("requests");
  const shownWidgets = new Set();
  const canEdit = Boolean(document.getElementById("prompt-form")); // the owner's page has the prompt form
  const sandboxUrl = app.dataset.sandboxUrl || "/widgets/sandbox/";

  // ---- DOM and HTTP helpers -------------------------------------------------------------

  /** Builds an element: ``text`` sets textContent, ``onclick`` adds a listener, the rest are attributes. */
  function el(tag, props = {}, ...children) {
    const node = props.svg ? document.createElementNS(SVG_NS, tag) : document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key === "svg" || value === undefined || value === null || value === false) continue;
      if (key === "text") node.textContent = value;
      else if (key === "onclick") node.addEventListener("click", value);
      else node.setAttribute(key === "className" ? "class" : key, value === true ? "" : String(value));
    }
    node.append(...children.flat().filter((child) => child !== null && child !== undefined));
    return node;
  }

  const svg = (tag, props = {}, ...children) => el(tag, { svg: true, ...props }, ...children);

  // The page renders {% csrf_token %}; the csrftoken cookie is the fallback.
  const csrfToken = () => (document.querySelector("input[name=csrfmiddlewaretoken]") || {}).value
    || decodeURIComponent((document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/) || [])[1] || "");

  /** GETs, or POSTs ``body`` as JSON; returns {ok, status, data}, status 0 when the network failed. */
  async function api(path, body) {
    const headers = { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": csrfToken() };
    const options = body === undefined ? { headers } : { method: "POST", headers, body: JSON.stringify(body) };
    try {
      const response = await fetch(apiBase + path, { credentials: "same-origin", ...options });
      const data = await response.json().catch(() => ({}));
      return { ok: response.ok, status: response.status, data };
    } catch (error) {
      return { ok: false, status: 0, data: { message: "Could not reach the server. Check your connection." } };
    }
  }

  const errorText = (data) => (data && data.message) || "Something went wrong. Please try again.";

  function showError(box, message) {
    if (!box) return;
    box.textContent = message;
    box.hidden = !message;
  }

  // ---- Formatting -----------------------------------------------------------------------

  const toNumber = (v) =>
    typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" && !isNaN(v) ? Number(v) : null;

  const metricOf = (w) => (w.spec && w.spec.metric) || {};
  const unitOf = (w) => metricOf(w).unit || "count";

  function numberFormat(unit, compact) {
    const short = compact ? { notation: "compact", maximumFractionDigits: 1 } : {};
    if (unit === "currency") return new Intl.NumberFormat(undefined, { style: "currency", currency: "USD", ...short });
    if (unit === "percent") {
      const digits = { minimumFractionDigits: compact ? 0 : 1, maximumFractionDigits: 1 };
      return new Intl.NumberFormat(undefined, { style: "percent", ...digits });
    }
    return new Intl.NumberFormat(undefined, { maximumFractionDigits: unit === "days" ? 1 : 2, ...short });
  }

  /** Formats a metric value by its unit; percent values are fractions (0.63 is 63.0%). */
  function formatValue(value, unit, compact = false) {
    const n = toNumber(value);
    if (n === null) return value === null || value === undefined ? "—" : String(value);
    const text = numberFormat(unit, compact).format(n);
    return unit === "days" && !compact ? `${text} days` : text;
  }

  /** Dates arrive as ISO strings; a midnight timestamp is shown as its date. */
  const MIDNIGHT = /^(\d{4}-\d{2}-\d{2})T00:00:00(\.0+)?(Z|[+-]00:?00)?$/;
  const formatLabel = (v) => (v === null || v === undefined ? "—" : String(v).replace(MIDNIGHT, "$1"));

  const formatTime = (iso) => new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });

  function humanize(name) {
    const text = String(name).replaceAll("_", " ").trim();
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  /** "Last 30 days · by region · channel: online" from the spec. */
  function describeSpec(spec) {
    const parts = [];
    const tw = spec.time_window || {};
    if (tw.kind === "last") parts.push(`Last ${tw.n} ${tw.unit}${tw.n === 1 ? "" : "s"}`);
    else if (tw.kind === "all") parts.push("All time");
    if (spec.grain) parts.push(`by ${spec.grain}`);
    const label = (key) => (spec.labels && spec.labels[key]) || String(key).replaceAll("_", " ");
    if (spec.dimensions && spec.dimensions.length) parts.push(`by ${spec.dimensions.map(label).join(", ")}`);
    for (const f of spec.filters || []) parts.push(`${label(f.dimension)}: ${f.values.join(", ")}`);
    return parts.join(" · ");
  }

  const { chartView } = window.createWidgetChart(
    { el, svg, formatValue, formatLabel, humanize, toNumber, metricOf, unitOf });

  // ---- Widgets --------------------------------------------------------------------------

  function widgetCard(w) {
    const result = w.result && w.result.columns ? w.result : { columns: [], rows: [] }; // {} when built without data
    const subtitle = describeSpec(w.spec || {});
    const wide = w.kind === "chart" || w.kind === "custom" || result.columns.length > 3;
    const props = { "data-testid": "widget-card", "data-kind": w.kind, "data-widget-id": w.id, "data-request-id-of": w.request_id };
    const classes = `widget widget-${w.kind} widget-source-${w.source}${wide ? " widget-wide" : ""}`;
    return el("article", { className: classes, "data-source": w.source, ...props },
      el("header", { className: "widget-head" },
        el("h2", { className: "widget-title", text: w.title }),
        subtitle ? el("p", { className: "widget-subtitle", text: subtitle }) : null),
      el("div", { className: "widget-body" }, widgetBody(w, result)),
      widgetFooter(w, result));
  }

  function widgetBody(w, result) {
    if (w.can_retry) return failureView(w);
    if (w.kind === "custom") {
      // No component (its build failed) or no props (no data yet, or data that does not fit it).
      if (!w.component_js || !w.props) return failureView(w, w.props_error || w.source_reason);
      return customView(w);
    }
    if (!result.rows || result.rows.length === 0) return el("p", { className: "empty", text: "No data for this period." });
    if (w.kind === "kpi") return kpiView(w, result);
    if (w.kind === "chart") return chartView(w, result);
    return tableView(w, result);
  }

  /** A widget built without data: what went wrong, and a way to try again (the owner only, and only
   * when the retry API would accept it: a ready custom widget whose props do not fit is not retried). */
  function failureView(w, reason = w.source_reason) {
    return el("div", { className: "widget-failure", "data-testid": "widget-failure" },
      el("p", { text: reason || "This widget has no data." }),
      canEdit && w.can_retry ? el("button", { type: "button", className: "button", "data-testid": "widget-retry",
        onclick: (event) => retry(w.request_id, event.currentTarget) }, "Try again") : null,
      el("p", { className: "form-error request-error", role: "alert", hidden: true }));
  }

  /** One row; the metric value is its last column. A million or more is shown compact
   * ("$381.4M") so it fits the card, with the exact figure beneath and in the tooltip. */
  function kpiView(w, result) {
    const row = result.rows[0];
    const raw = row[row.length - 1];
    const exact = formatValue(raw, unitOf(w));
    const big = Math.abs(toNumber(raw) || 0) >= 1e6;
    const value = { "data-testid": "kpi-value", "data-value": raw === null ? "" : String(raw), title: exact };
    return el("div", { className: "kpi" },
      el("p", { className: "kpi-value", ...value, text: big ? formatValue(raw, unitOf(w), true) : exact }),
      big ? el("p", { className: "kpi-exact", "data-testid": "kpi-exact", text: exact }) : null,
      metricOf(w).name ? el("p", { className: "kpi-label", text: metricOf(w).name }) : null);
  }

  function tableView(w, result) {
    const last = result.columns.length - 1;
    const numeric = result.columns.map((_, i) => result.rows.some((row) => typeof row[i] === "number"));
    const align = (i) => (numeric[i] ? "num" : null);
    const text = (value, i) =>
      i === last ? formatValue(value, unitOf(w)) : numeric[i] ? String(value ?? "—") : formatLabel(value);
    return el("div", { className: "table-wrap", tabindex: 0, role: "region", "aria-label": w.title },
      el("table", { className: "data-table" },
        el("thead", {}, el("tr", {},
          result.columns.map((c, i) => el("th", { scope: "col", className: align(i), title: c, text: humanize(c) })))),
        el("tbody", {}, result.rows.map((row) => el("tr", {},
          row.map((value, i) => el("td", { className: align(i), text: text(value, i) })))))));
  }

  // ---- Custom widgets: model-written React components, each in its own sandboxed frame ----------

  const FRAME_MIN_PX = 80;
  const FRAME_MAX_PX = 800;
  const MAX_ERROR_TEXT = 300;

  /** An iframe with an opaque origin (sandbox="allow-scripts", no allow-same-origin) that renders the
   * compiled component on the widget's props. It can only tell us its height or why it failed. */
  function customView(w) {
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

  function widgetFooter(w, result) {
    const calls = `${w.llm_calls} LLM call${w.llm_calls === 1 ? "" : "s"}`;
    const truncated = `Showing the first ${result.rows.length} rows`;
    const reason = w.source !== "live" && w.source_reason && !w.can_retry
      ? el("p", { className: `source-reason source-reason-${w.source}`, "data-testid": "source-reason", text: w.source_reason })
      : null;
    return el("footer", { className: "widget-foot" },
      el("div", { className: "widget-meta" }, sourceBadge(w),
        el("span", { className: "cost", "data-testid": "widget-cost", text: `$${w.cost_usd} · ${calls}` }),
        result.truncated ? el("span", { className: "truncated", "data-testid": "truncated", text: truncated }) : null),
      reason,
      w.sql ? el("details", { className: "sql" }, el("summary", { text: "SQL" }), el("pre", {}, el("code", { text: w.sql })))
        : null);
  }

  /** "Live · as of …", "Cached · 12 min old", "Sample data · not real figures", "Query failed · showing data from …". */
  function sourceBadge(w) {
    const detail = badgeDetail(w);
    return el("span", { className: "source", "data-testid": "source-badge", title: w.source_reason || w.result_at || "" },
      el("span", { className: `badge source-${w.source}`, text: w.source_label }), detail ? ` · ${detail}` : "");
  }

  function badgeDetail(w) {
    if (w.source === "live") return w.result_at ? `as of ${formatTime(w.result_at)}` : "";
    if (w.source === "cached") return w.age_s === null ? "" : `${formatAge(w.age_s)} old`;
    if (w.source === "sample") return "not real figures";
    return w.result_at ? `showing data from ${formatTime(w.result_at)}` : "no data to show";
  }

  function formatAge(seconds) {
    if (seconds < 60) return `${seconds} s`;
    if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
    return seconds < 86400 ? `${Math.round(seconds / 3600)} h` : `${Math.round(seconds / 86400)} d`;
  }

  function addWidget(w) {
    if (!w || shownWidgets.has(w.id)) return;
    shownWidgets.add(w.id);
    grid.append(widgetCard(w));
    document.getElementById("grid-empty").hidden = true;
  }

  function removeWidget(id) {
    const card = grid.querySelector(`[data-widget-id="${id}"]`);
    if (card) card.remove();
    shownWidgets.delete(id);
    document.getElementById("grid-empty").hidden = shownWidgets.size > 0;
  }

  // ---- Requests -------------------------------------------------------------------------

  function requestCard(r) {
    const props = { "data-testid": "request-card", "data-status": r.status, "data-state": stateKey(r), "data-request-id": r.id };
    const spinner = SETTLED.has(r.status) ? null : el("span", { className: "spinner", "aria-hidden": "true" });
    return el("article", { className: `request request-${r.status}`, ...props },
      el("div", { className: "request-head" },
        el("p", { className: "request-prompt", text: r.prompt }),
        el("span", { className: `status status-${r.status}`, "data-testid": "request-status" }, spinner, r.status_label)),
      el("p", { className: "request-step muted", "data-testid": "request-step", text: progressText(r) }),
      requestBody(r),
      el("p", { className: "form-error request-error", role: "alert", hidden: true }));
  }

  function requestBody(r) {
    if (r.status === "failed") {
      return el("div", { className: "request-failure" },
        el("p", { "data-testid": "request-error", text: r.error_message || "This widget could not be built." }),
        el("p", { className: "muted" }, "Error code: ", el("code", { text: r.error_code || "unknown" })),
        el("div", { className: "request-actions" },
          el("button", { type: "button", className: "button", "data-testid": "request-retry",
            onclick: (event) => retry(r.id, event.currentTarget) }, "Try again"),
          el("button", { type: "button", className: "button", onclick: () => dismiss(r) }, "Dismiss")));
    }
    if (r.status !== "needs_clarification") return null;
    return el("div", { className: "questions" }, (r.questions || []).map((q) => questionView(r, q)));
  }

  /** One button per option, and a free-text answer as the alternative. */
  function questionView(r, q) {
    const inputId = `answer-${r.id}-${q.id}`;
    const input = el("input", { type: "text", id: inputId, maxlength: 300, placeholder: "Or type your own answer" });
    const form = el("form", { className: "answer-form" },
      el("label", { for: inputId, className: "visually-hidden", text: `Your answer to: ${q.text}` }), input,
      el("button", { type: "submit", className: "button", text: "Answer" }));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      answer(r, q.id, input.value);
    });
    const option = (text) =>
      el("button", { type: "button", className: "chip chip-option", "data-testid": "option", onclick: () => answer(r, q.id, text) }, text);
    return el("fieldset", { className: "question", "data-testid": "question" },
      el("legend", { text: q.text }), el("div", { className: "options" }, (q.options || []).map(option)), form);
  }

  /** The step (or two, side by side) a request is at and the time spent in it: "Writing the SQL · 4 s". */
  function progressText(r) {
    if (SETTLED.has(r.status)) return "";
    const steps = r.current_steps || [];
    if (!steps.length) return "";
    return steps.map((s) => {
      const what = s.state === "queued" ? `${s.label} (waiting for a worker)` : s.label;
      const again = s.attempts > 1 && s.state === "running" ? `, try ${s.attempts}` : "";
      return s.elapsed_s == null ? what + again : `${what}${again} · ${Math.round(s.elapsed_s)} s`;
    }).join(" and ");
  }

  /** What a card shows: its status and which questions are still open. */
  const stateKey = (r) => `${r.status}:${(r.questions || []).map((q) => q.id).join(",")}`;

  const requestNode = (id, inner = "") => requestsBox.querySelector(`[data-request-id="${id}"] ${inner}`);

  /** Shows a request's state: a new card when its state changes (an unchanged card is left alone, so
   * the live region is not re-announced), no card once it has a widget (ready, or failed with a badged
   * widget that says why) or is dismissed. */
  function renderRequest(r, dismiss = false) {
    const old = requestNode(r.id);
    if (r.widget) addWidget(r.widget);
    if (dismiss || r.widget) {
      if (old) old.remove();
    } else if (!old) {
      requestsBox.prepend(requestCard(r));
    } else if (old.dataset.state !== stateKey(r)) {
      old.replaceWith(requestCard(r));
    } else {
      showError(requestNode(r.id, ".request-error"), "");
      requestNode(r.id, ".request-step").textContent = progressText(r);
    }
  }

  async function dismiss(r) {
    const { ok, data } = await api(`requests/${r.id}/dismiss/`, {});
    if (ok) renderRequest(r, true);
    else showError(requestNode(r.id, ".request-error"), errorText(data));
  }

  /** Runs a failed request again; its card (or its badged widget) gives way to the request's progress. */
  async function retry(requestId, button) {
    button.disabled = true;
    const { ok, data } = await api(`requests/${requestId}/retry/`, {});
    if (!ok) {
      button.disabled = false;
      showError(button.closest("article").querySelector(".request-error"), errorText(data));
      return;
    }
    const failed = grid.querySelector(`[data-request-id-of="${requestId}"]`);
    if (failed) removeWidget(Number(failed.dataset.widgetId));
    renderRequest(data);
    poll(data.id);
  }

  async function answer(r, questionId, text) {
    const controls = requestNode(r.id).querySelectorAll("button, input");
    controls.forEach((node) => { node.disabled = true; });
    const { ok, data } = await api(`requests/${r.id}/answers/`, { answers: { [questionId]: text } });
    if (!ok) {
      controls.forEach((node) => { node.disabled = false; });
      showError(requestNode(r.id, ".request-error"), errorText(data));
      return;
    }
    renderRequest(data);
    poll(data.id);
  }

  async function poll(requestId) {
    const { ok, status, data } = await api(`requests/${requestId}/`);
    if (!ok) {
      const retry = status !== 404;
      showError(requestNode(requestId, ".request-error"), retry ? `${errorText(data)} Retrying…` : errorText(data));
      if (retry) setTimeout(() => poll(requestId), RETRY_MS);
      return;
    }
    renderRequest(data);
    if (!SETTLED.has(data.status)) setTimeout(() => poll(requestId), POLL_MS);
  }

  // ---- Prompt form and start-up ---------------------------------------------------------

  function setUpPromptForm() {
    const form = document.getElementById("prompt-form");
    if (!form) return;
    const input = document.getElementById("prompt-input");
    const error = document.getElementById("prompt-error");
    const submit = form.querySelector("[type=submit]");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      submit.disabled = true;
      showError(error, "");
      const route = document.getElementById("route-override");
      const body = route && route.value ? { prompt: input.value, route_id: Number(route.value) } : { prompt: input.value };
      const { ok, data } = await api(`dashboards/${dashboardId}/requests/`, body);
      submit.disabled = false;
      if (!ok) {
        showError(error, errorText(data)); // the typed text stays, to be fixed
        input.focus();
        return;
      }
      input.value = "";
      renderRequest(data);
      poll(data.id);
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
    });
    form.querySelectorAll("[data-example]").forEach((chip) => chip.addEventListener("click", () => {
      input.value = chip.textContent;
      input.focus();
    }));
  }

  async function load() {
    const { ok, data } = await api(`dashboards/${dashboardId}/`);
    grid.setAttribute("aria-busy", "false");
    if (!ok) {
      showError(document.getElementById("load-error"), errorText(data));
      return;
    }
    data.widgets.forEach(addWidget);
    document.getElementById("grid-empty").hidden = data.widgets.length > 0;
    for (const r of data.requests) {
      renderRequest(r);
      if (!SETTLED.has(r.status)) poll(r.id);
    }
  }

  setUpPromptForm();
  load();
})();

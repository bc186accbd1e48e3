// The dashboard page's entry module: loads widgets and open requests from the JSON API, shows them as
// cards, and wires the prompt form. ES modules, no build step. Prompts and data are untrusted: server
// text only ever reaches the DOM through textContent.

import { apiClient, errorText } from "./api.js";
import { builderToggle } from "./builder.js";
import { cardControls } from "./card-controls.js";
import { guardedWidgetCard } from "./cards.js";
import { showError } from "./dom.js";
import { layoutController } from "./layout.js";
import { keepCardState, liveUpdates } from "./live.js";
import { readMeta } from "./meta.js";
import { isSettled, requestsController } from "./requests.js";
import { windowControl } from "./window-control.js";
import { windowFields } from "./window-model.js";

const app = document.getElementById("dashboard-app");
if (app) start(app);

function start(root) {
  const builder = builderToggle();
  const api = apiClient(root.dataset.apiBase || "/api/");
  const grid = document.getElementById("widget-grid");
  const empty = document.getElementById("grid-empty");
  const shown = new Map(); // widget id -> the widget as its card shows it
  let loaded = false; // widgets added after the first load were just built: shown, not left below the fold
  const ctx = {
    meta: readMeta(),
    canEdit: Boolean(document.getElementById("prompt-form")), // the owner's page has the prompt form
    sandboxUrl: root.dataset.sandboxUrl || "/widgets/sandbox/",
    retry: (requestId, button) => requests.retry(requestId, button),
    window: null, // the dashboard's time window (its cards say whether they are under it)
  };
  const layout = layoutController({ api, grid, dashboardId: root.dataset.dashboardId, canEdit: ctx.canEdit, say });
  // A card is built, laid out, then given its controls; a new version of it is built the same way.
  const build = (w, previous = null) => layout.decorate(guardedWidgetCard(w, ctx), w, previous);
  const controls = cardControls({ api, apiBase: root.dataset.apiBase || "/api/", ctx, grid, build,
                                  dashboardId: root.dataset.dashboardId, board: () => board, requests: () => requests });
  const board = {
    addWidget(w) {
      if (!w) return;
      // Built, edited or restored just now, it comes as stored: read the dashboard again for it as shown.
      if (ctx.window && (w.window_applied ?? null) === null) windowed.again();
      if (shown.has(w.id)) { // a new version of a widget shown: in place
        shown.set(w.id, w);
        return void controls.replace(w);
      }
      shown.set(w.id, w);
      const card = controls.attach(build(w), w); // one card that cannot be built never hides the others
      grid.append(card);
      empty.hidden = true;
      if (loaded) announceNew(card, w);
    },
    removeWidget(widgetId) {
      const card = grid.querySelector(`[data-widget-id="${widgetId}"]`);
      if (card) card.remove();
      shown.delete(Number(widgetId));
      empty.hidden = shown.size > 0;
    },
    requestHome: controls.requestHome,
    refined: controls.refined,
    /** Builds a shown widget's card again in place (its refresh landed), with its controls; false while the
     * analyst is typing in it (the next poll tries again). */
    updateWidget(w) {
      const old = grid.querySelector(`[data-widget-id="${w.id}"]`);
      if (!old) return board.addWidget(w);
      const restore = keepCardState(old);
      if (!restore) return false;
      shown.set(w.id, w);
      restore(controls.replace(w));
      return true;
    },
    removeWidgetOfRequest(requestId) {
      const card = grid.querySelector(`[data-request-id-of="${requestId}"]`);
      if (!card) return;
      card.remove();
      shown.delete(Number(card.dataset.widgetId));
      empty.hidden = shown.size > 0;
    },
  };
  const catalogUrl = ctx.meta.catalog_url ? `${ctx.meta.catalog_url}?dashboard=${root.dataset.dashboardId}` : "";
  const requests = requestsController({ api, box: document.getElementById("requests"), board, catalogUrl,
                                        editPrompt: ctx.canEdit ? (text) => { builder.expand(); editPrompt(text); } : null,
                                        say, canCancel: root.dataset.canCancel === "1" });
  let live = null;
  const windowed = dashboardWindow({ api, root, ctx, grid, shown, board, say, live: () => live });
  setUpPromptForm(api, requests, root.dataset.dashboardId);
  load(api, requests, board, root.dataset.dashboardId, windowed.read).finally(() => {
    loaded = true;
    live = liveUpdates({ api, dashboardId: root.dataset.dashboardId, shown, update: board.updateWidget, say,
                         onDashboard: windowed.read });
    const refresh = document.getElementById("refresh-all");
    if (refresh) {
      refresh.hidden = false;
      refresh.addEventListener("click", () => live.refreshAll(refresh));
    }
  });
}

/** The dashboard's time window on the page: the header's control, and the cards read again under a new
 * window. Returns {read(data), again()}: ``read`` takes the dashboard as the API sends it (before its
 * widgets are shown), ``again`` reads it afresh soon and builds its cards in place. */
function dashboardWindow({ api, root, ctx, grid, shown, board, say, live }) {
  const dashboardId = root.dataset.dashboardId;
  let timer = null;
  function read(data) {
    ctx.window = data.window || null;
    // Which window a widget was read under is part of what its card shows (the live poll's fingerprint).
    const key = JSON.stringify(windowFields(ctx.window));
    for (const w of Array.isArray(data.widgets) ? data.widgets : []) if (w) w.window_key = key;
    control.show(ctx.window);
  }
  /** Reads the dashboard and builds every card shown again in place; resolves to how many were. */
  async function rebuild() {
    grid.setAttribute("aria-busy", "true");
    const { ok, data } = await api(`dashboards/${dashboardId}/`);
    grid.setAttribute("aria-busy", "false");
    if (!ok || !Array.isArray(data.widgets)) {
      say("The widgets could not be read again: reload the page to see them under the new window.");
      return 0;
    }
    read(data);
    const updated = data.widgets.filter((w) => w && shown.has(w.id) && board.updateWidget(w) !== false);
    if (updated.length < shown.size && live()) live().soon(); // a card being typed in: the poll comes back to it
    return updated.length;
  }
  const control = windowControl({ slot: document.getElementById("dashboard-window"), api, dashboardId,
                                  canEdit: ctx.canEdit, onChange: rebuild, say });
  return {
    read,
    again() {
      clearTimeout(timer);
      timer = setTimeout(rebuild, 200);
    },
  };
}

/** Says ``text`` in the page's live region (role=status). */
function say(text) {
  const status = document.getElementById("widget-status");
  if (status) status.textContent = text;
}

/** Brings a widget that was just built into view and says so to screen readers, without taking the focus
 * from the prompt box (the analyst may be typing the next request). */
function announceNew(card, widget) {
  const still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  card.scrollIntoView({ behavior: still ? "auto" : "smooth", block: "nearest" });
  card.classList.add("widget-new");
  const status = document.getElementById("widget-status");
  if (status) status.textContent = `Widget ready: ${widget.title || "untitled"}`;
}

async function load(api, requests, board, dashboardId, onDashboard) {
  const grid = document.getElementById("widget-grid");
  const { ok, data } = await api(`dashboards/${dashboardId}/`);
  grid.querySelectorAll("[data-skeleton]").forEach((node) => node.remove());
  grid.setAttribute("aria-busy", "false");
  if (!ok) {
    showError(document.getElementById("load-error"), errorText(data));
    return;
  }
  onDashboard(data);
  const widgets = Array.isArray(data.widgets) ? data.widgets : [];
  widgets.forEach(board.addWidget);
  document.getElementById("grid-empty").hidden = widgets.length > 0;
  for (const r of data.requests) {
    requests.render(r);
    if (!isSettled(r)) requests.poll(r.id);
  }
}

/** Puts ``text`` back in the prompt box, to be changed and sent again. */
function editPrompt(text) {
  const input = document.getElementById("prompt-input");
  input.value = text;
  input.focus();
  input.scrollIntoView({ block: "center" });
}

function setUpPromptForm(api, requests, dashboardId) {
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
    input.focus(); // the disabled button dropped the focus: back to the box, for the next request
    requests.render(data);
    requests.poll(data.id);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });
  form.querySelectorAll("[data-example]").forEach((chip) => chip.addEventListener("click", () => {
    input.value = chip.textContent;
    input.focus();
  }));
}

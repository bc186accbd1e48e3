// History: a widget's versions (number, what changed, who, when) with Undo and a Restore for each earlier
// one, and the dashboard's deleted widgets, each restorable. Server text only through textContent.

import { errorText } from "./api.js";
import { el, showError } from "./dom.js";
import { relativeTime, versionLines } from "./versions-model.js";

/** Returns the list of a widget's versions, loading them from the API. ``onRestored(widget)`` runs after
 * a restore or an undo (the card is updated there); the list reloads itself. Viewers get no buttons. */
export function versionList({ api, widget, canEdit, onRestored }) {
  const list = el("ol", { className: "version-list", "data-testid": "version-list", "aria-busy": "true",
    "aria-label": "Versions, newest first", tabindex: "-1" });
  const error = el("p", { className: "form-error", role: "alert", hidden: true });
  const undo = canEdit ? el("button", { type: "button", className: "button button-small", "data-testid": "history-undo",
    hidden: !(Number(widget.version) > 1), onclick: (event) => restore(event.currentTarget, "undo/") }, "Undo last change") : null;
  const box = el("div", { className: "versions" }, undo ? el("div", { className: "versions-actions" }, undo) : null, list, error);

  async function load() {
    list.setAttribute("aria-busy", "true");
    const { ok, data } = await api(`widgets/${widget.id}/versions/`);
    list.setAttribute("aria-busy", "false");
    if (!ok) {
      showError(error, errorText(data));
      return;
    }
    const lines = versionLines(Array.isArray(data) ? data : data.results);
    list.replaceChildren(...lines.map(line));
    if (undo) undo.hidden = !(lines.length > 1 && lines.some((l) => l.current && l.number > 1));
  }

  function line(v) {
    const who = v.who ? ` · ${v.who}` : "";
    return el("li", { className: `version${v.current ? " version-current" : ""}`, "data-testid": "version",
      "data-number": v.number, "aria-current": v.current ? "true" : null },
      el("div", { className: "version-head" },
        el("strong", { text: v.label }),
        el("span", { className: "badge version-source", text: v.source }),
        v.current ? el("span", { className: "badge tone-ok", text: "Shown" }) : null),
      v.change ? el("p", { className: "version-change", text: v.change }) : null,
      el("p", { className: "muted version-meta" }, el("time", { datetime: v.at, title: v.at, text: v.when }), who),
      canEdit && !v.current && v.number !== null ? el("button", { type: "button", className: "button button-small",
        "data-testid": "version-restore", "aria-label": `Restore version ${v.number}`,
        onclick: (event) => restore(event.currentTarget, `versions/${v.number}/restore/`) }, "Restore") : null);
  }

  async function restore(button, path) {
    button.disabled = true;
    showError(error, "");
    const { ok, data } = await api(`widgets/${widget.id}/${path}`, {});
    button.disabled = false;
    if (!ok) {
      showError(error, errorText(data));
      return;
    }
    widget = data;
    onRestored(data);
    await load();
    (undo && !undo.hidden ? undo : list).focus(); // the clicked button went with the old list
  }

  load();
  return { node: box, reload: load };
}

/** Returns the dashboard's "History" section: its deleted widgets, loaded when opened (and again on
 * ``reload()``), each with Restore. ``onRestored(widget)`` puts the widget back on the board. */
export function dashboardHistory({ api, dashboardId, onRestored }) {
  const list = el("ul", { className: "deleted-list", "data-testid": "deleted-widgets" });
  const empty = el("p", { className: "muted", "data-testid": "deleted-empty", text: "No deleted widgets.", hidden: true });
  const error = el("p", { className: "form-error", role: "alert", hidden: true });
  const details = el("details", { className: "dashboard-history", "data-testid": "dashboard-history" },
    el("summary", { text: "History: deleted widgets" }), list, empty, error);
  let loaded = false;

  async function load() {
    loaded = true;
    const { ok, data } = await api(`dashboards/${dashboardId}/history/`);
    if (!ok) {
      showError(error, errorText(data));
      return;
    }
    showError(error, "");
    const deleted = Array.isArray(data.deleted_widgets) ? data.deleted_widgets : [];
    list.replaceChildren(...deleted.map(item));
    empty.hidden = deleted.length > 0;
  }

  function item(w) {
    const when = relativeTime(w.deleted_at);
    return el("li", { className: "deleted-item", "data-testid": "deleted-widget", "data-widget-id": w.id },
      el("span", { className: "deleted-title", text: w.title || "Untitled widget" }),
      when ? el("span", { className: "muted" }, " · deleted ", el("time", { datetime: w.deleted_at, text: when })) : null,
      el("button", { type: "button", className: "button button-small", "data-testid": "deleted-restore",
        "aria-label": `Restore ${w.title || "widget"}`, onclick: (event) => restore(event.currentTarget, w) }, "Restore"));
  }

  async function restore(button, w) {
    button.disabled = true;
    const { ok, data } = await api(`widgets/${w.id}/restore/`, {});
    if (!ok) {
      button.disabled = false;
      showError(error, errorText(data));
      return;
    }
    onRestored(data);
    await load();
    details.querySelector("summary").focus();
  }

  details.addEventListener("toggle", () => { if (details.open) load(); });
  return { node: details, reload: () => (loaded && details.open ? load() : Promise.resolve()) };
}

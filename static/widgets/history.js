// History: a widget's versions (number, what changed, who, when) with Undo and a Restore for each earlier
// one, and the dashboard's deleted widgets, each restorable. Server text only through textContent.

import { errorText, pageReader } from "./api.js";
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
  const older = el("button", { type: "button", className: "button button-small", "data-testid": "versions-older",
    hidden: true, onclick: () => load(false) }, "Show older versions");
  const box = el("div", { className: "versions" }, undo ? el("div", { className: "versions-actions" }, undo) : null, list,
    older, error);
  const pages = pageReader(api, `widgets/${widget.id}/versions/`);

  /** Reads the newest page again (``fresh``), or the page after the ones shown, appended. */
  async function load(fresh = true) {
    list.setAttribute("aria-busy", "true");
    older.disabled = true;
    const { ok, data, rows, more } = await (fresh ? pages.first() : pages.next());
    list.setAttribute("aria-busy", "false");
    older.disabled = false;
    if (!ok) {
      showError(error, errorText(data));
      return;
    }
    showError(error, "");
    const lines = versionLines(rows);
    if (fresh) list.replaceChildren(...lines.map(line));
    else list.append(...lines.map(line));
    older.hidden = !more;
    if (undo && fresh) undo.hidden = !lines.some((l) => l.current && l.number > 1);
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
  const more = el("button", { type: "button", className: "button button-small", "data-testid": "deleted-more",
    hidden: true, onclick: () => load(false) }, "Show more");
  const details = el("details", { className: "dashboard-history", "data-testid": "dashboard-history" },
    el("summary", { text: "History: deleted widgets" }), list, empty, more, error);
  const pages = pageReader(api, `dashboards/${dashboardId}/history/`);
  let loaded = false;

  /** Reads the latest page again (``fresh``), or the page after the ones shown, appended. */
  async function load(fresh = true) {
    loaded = true;
    more.disabled = true;
    const answer = await (fresh ? pages.first() : pages.next());
    more.disabled = false;
    if (!answer.ok) {
      showError(error, errorText(answer.data));
      return;
    }
    showError(error, "");
    if (fresh) list.replaceChildren(...answer.rows.map(item));
    else list.append(...answer.rows.map(item));
    empty.hidden = list.children.length > 0;
    more.hidden = !answer.more;
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

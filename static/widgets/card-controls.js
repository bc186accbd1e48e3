// What a widget card lets the analyst do beyond reading it: Refine… (a follow-up, shown on the card while
// it works, the card updated in place when it is ready), Undo, the version badge that opens the history,
// and a menu: details, history, change kind, rename, duplicate, move, refresh now, export CSV, delete
// (with a toast that offers Undo; deleted widgets are listed in the dashboard's History). Controls that
// write are left out for a viewer who cannot edit (``can_edit``). Server text only through textContent.

import { allPages, errorText } from "./api.js";
import { guardedWidgetCard } from "./cards.js";
import { kindForm, moveForm, refineForm, renameForm } from "./card-forms.js";
import { openDetail } from "./detail.js";
import { kindOf } from "./kinds-model.js";
import { el } from "./dom.js";
import { dashboardHistory } from "./history.js";
import { showToast } from "./toast.js";
import { canUndo, refinedWidgetId, versionBadge } from "./versions-model.js";
import { startTicking } from "./progress.js";
import { isSettled } from "./requests.js";

const MOVE_PAGES = 50; // 200 a page: the move form lists up to 10,000 of the analyst's dashboards

/** Returns the card controls of one dashboard: {attach(card, w), replace(w), requestHome(r), refined(r)}.
 * ``build(w, previous)`` builds a card (``previous``: the card it replaces); ``board()`` is the page's
 * board ({addWidget, removeWidget}); ``requests()`` its requests controller. */
export function cardControls({ api, apiBase, ctx, grid, dashboardId, board, requests,
                               build = (w) => guardedWidgetCard(w, ctx) }) {
  const widgets = new Map(); // id -> the widget as last shown
  const cardOf = (id) => grid.querySelector(`[data-widget-id="${id}"]`);
  // Both must say so: the page (the owner's page has the prompt form) and the widget (``can_edit``).
  const editable = (w) => Boolean(ctx.canEdit) && w.can_edit !== false;
  const history = ctx.canEdit ? dashboardHistory({ api, dashboardId, onRestored: (w) => board().addWidget(w) }) : null;
  if (history) (grid.closest("section") || grid).after(history.node);
  startTicking(grid); // a refinement's step and seconds tick on its card as the requests box's do

  /** Adds the controls to a card built by ``guardedWidgetCard`` and returns it. */
  function attach(card, w) {
    widgets.set(w.id, w);
    card.dataset.version = w.version ?? ""; // for tests and support: which version, drawn as what
    card.dataset.display = kindOf(w);
    const head = card.querySelector(".widget-head");
    const title = card.querySelector(".widget-title");
    if (title) title.setAttribute("tabindex", "-1"); // where the focus goes when its control is gone
    const tools = toolbar(card, w);
    if (title) title.after(tools.bar); // right under the title, which keeps the card's whole width
    else card.prepend(tools.bar);
    (head || tools.bar).after(tools.panel, tools.status, el("div", { className: "card-requests", "data-testid": "card-requests" }));
    return card;
  }

  /** Puts a new version of a widget on the board in place of its card, keeping the focus and any
   * refinement shown on it. */
  function replace(w) {
    const old = cardOf(w.id);
    if (!old) return board().addWidget(w);
    const focused = old.contains(document.activeElement) ? document.activeElement.dataset.testid || "title" : "";
    const card = attach(build(w, old), w);
    const slot = old.querySelector(".card-requests");
    if (slot) card.querySelector(".card-requests").replaceChildren(...slot.childNodes);
    card.classList.toggle("widget-refining", old.classList.contains("widget-refining"));
    old.replaceWith(card);
    if (focused) (card.querySelector(`[data-testid="${focused}"]:not([hidden])`) || card.querySelector(".widget-title")).focus();
    return card;
  }

  /** Shows a new version of a widget through the board (which keeps what each card shows), and returns
   * its card. */
  function update(w) {
    board().addWidget(w);
    return cardOf(w.id);
  }

  /** Where a request refining a widget on this board shows (its card), or null. */
  function requestHome(r) {
    const id = refinedWidgetId(r);
    const card = id ? cardOf(id) : null;
    if (!card) return null;
    const working = !isSettled(r) && r.status !== "cancelled" && r.status !== "dismissed";
    card.classList.toggle("widget-refining", working);
    card.setAttribute("aria-busy", working ? "true" : "false");
    return card.querySelector(".card-requests");
  }

  /** A refinement is ready: its widget's new version replaces the card (read again if the request does
   * not carry it). */
  async function refined(r) {
    const id = refinedWidgetId(r);
    let w = r.widget && r.widget.id === id ? r.widget : null;
    if (!w) {
      const { ok, data } = await api(`widgets/${id}/`);
      if (!ok) return;
      w = data;
    }
    const card = update(w);
    if (card) card.classList.remove("widget-refining");
    say(`Widget updated: ${w.title}${w.version ? `, version ${w.version}` : ""}`);
  }

  function toolbar(card, w) {
    const canEdit = editable(w);
    const panel = el("div", { className: "card-panel", hidden: true });
    const status = el("p", { className: "card-status muted", role: "status", "data-testid": "card-status" });
    const act = actions(card, w, status);
    let opener = null;
    const closePanel = () => {
      panel.hidden = true;
      panel.replaceChildren();
      (opener && opener.isConnected ? opener : card.querySelector(".widget-title")).focus();
    };
    const openPanel = (form, from) => {
      opener = from;
      panel.replaceChildren(form);
      panel.hidden = false;
      const first = form.querySelector("textarea, input:not([type=radio]), select, input[type=radio]");
      if (first) first.focus();
    };
    act.openPanel = openPanel;
    const refine = (prompt = "") => openPanel(refineForm({ act, w, prompt, close: closePanel }), refineButton);
    const badge = versionBadge(w);
    const refineButton = canEdit ? el("button", { type: "button", className: "button button-small", "data-testid": "refine-open",
      onclick: () => refine() }, "Refine…") : null;
    const menu = actionsMenu(w, canEdit, act, { refine, openPanel, closePanel, chartKinds: (ctx.meta || {}).chart_kinds || {} });
    const bar = el("div", { className: "card-tools", role: "group", "aria-label": `Actions for ${w.title || "widget"}` },
      badge ? el("button", { type: "button", className: "version-badge", "data-testid": "version-badge",
        "aria-label": `Version ${w.version}${w.version_count ? ` of ${w.version_count}` : ""}: open the history`,
        onclick: () => act.detail("history") }, badge) : null,
      canEdit && canUndo(w) ? el("button", { type: "button", className: "button button-small", "data-testid": "widget-undo",
        title: "Undo the last change (a new version)", onclick: (event) => act.undo(event.currentTarget) }, "Undo") : null,
      refineButton, menu);
    return { bar, panel, status };
  }

  function actionsMenu(w, canEdit, act, { refine, openPanel, closePanel, chartKinds }) {
    const id = `widget-menu-${w.id}`;
    const trigger = el("button", { type: "button", className: "button button-small menu-trigger", "data-testid": "widget-menu",
      "aria-expanded": "false", "aria-controls": id, "aria-label": `More actions for ${w.title || "widget"}` }, "⋯");
    const item = (label, testid, run) => el("li", {}, el("button", { type: "button", className: "menu-item",
      "data-testid": testid, onclick: () => { close(); run(); } }, label)); // the focus back on ⋯ first: a panel or dialog opened from here returns it there
    const list = el("ul", { className: "card-menu", id, hidden: true, "data-testid": "widget-menu-list" },
      item("Details…", "menu-detail", () => act.detail()),
      item("History…", "menu-history", () => act.detail("history")),
      canEdit && w.kind !== "custom" ? item("Change kind…", "menu-kind", () => openPanel(kindForm({ act, w, chartKinds, close: closePanel,
        refineInstead: (prompt) => refine(prompt) }), trigger)) : null,
      canEdit ? item("Rename…", "menu-rename", () => openPanel(renameForm({ act, w, close: closePanel }), trigger)) : null,
      canEdit ? item("Duplicate", "menu-duplicate", () => act.duplicate()) : null,
      canEdit ? item("Move to…", "menu-move", () => openPanel(moveForm({ act, close: closePanel }), trigger)) : null,
      canEdit ? item("Refresh now", "menu-refresh", () => act.refresh()) : null,
      el("li", {}, el("a", { className: "menu-item", "data-testid": "menu-csv", href: `${apiBase}widgets/${w.id}/data.csv`,
        download: "", onclick: () => close(false) }, "Export CSV")),
      canEdit ? item("Delete", "menu-delete", () => act.remove()) : null);
    const items = () => [...list.querySelectorAll(".menu-item")];
    function close(focusTrigger = true) {
      list.hidden = true;
      trigger.setAttribute("aria-expanded", "false");
      if (focusTrigger) trigger.focus();
    }
    trigger.addEventListener("click", () => {
      const opening = list.hidden;
      list.hidden = !opening;
      trigger.setAttribute("aria-expanded", String(opening));
      if (opening) items()[0].focus();
    });
    const wrap = el("div", { className: "menu" }, trigger, list);
    wrap.addEventListener("keydown", (event) => {
      if (list.hidden) return;
      const all = items();
      const at = all.indexOf(document.activeElement);
      const moves = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: all.length - 1 };
      if (event.key === "Escape") {
        event.preventDefault();
        close();
      } else if (event.key in moves) {
        event.preventDefault();
        all[(moves[event.key] + all.length) % all.length].focus();
      }
    });
    // Tabbing out closes it; a click elsewhere too (one listener for every menu, below).
    wrap.addEventListener("focusout", (event) => {
      if (event.relatedTarget && !wrap.contains(event.relatedTarget)) close(false);
    });
    wrap.closeMenu = () => { if (!list.hidden) close(false); };
    return wrap;
  }

  /** The card's calls to the API; each answer updates the card (or the board) and says what happened. */
  function actions(card, w, status) {
    const note = (text, tone = "") => {
      status.textContent = text;
      status.className = `card-status${tone ? ` card-status-${tone}` : " muted"}`;
    };
    return {
      detail: (section = "") => openDetail({ api, widget: widgets.get(w.id) || w, canEdit: editable(w), section,
        onRestored: (updated) => update(updated) }),
      async refine(prompt) {
        const answer = await api(`widgets/${w.id}/refine/`, { prompt });
        if (answer.ok) {
          requests().render(answer.data);
          requests().poll(answer.data.id);
        }
        return answer;
      },
      async patch(body) {
        const answer = await api(`widgets/${w.id}/`, body, "PATCH");
        if (answer.ok) update(answer.data);
        return answer;
      },
      async undo(button) {
        button.disabled = true;
        const { ok, data } = await api(`widgets/${w.id}/undo/`, {});
        if (!ok) {
          button.disabled = false;
          note(errorText(data), "error");
          return;
        }
        update(data);
        say(`Undone: ${data.title} is back at version ${data.version}`);
      },
      async duplicate() {
        note("Duplicating…");
        const { ok, data } = await api(`widgets/${w.id}/duplicate/`, {});
        if (!ok) return note(errorText(data), "error");
        note("");
        board().addWidget(data);
        const copy = cardOf(data.id);
        if (copy) copy.querySelector(".widget-title").focus();
        say(`Duplicated as ${data.title}`);
      },
      async otherDashboards() {
        // Every page of the analyst's own dashboards (the ones a widget can move to), not just the first.
        const answer = await allPages(api, "dashboards/?mine=true", { maxPages: MOVE_PAGES });
        if (!answer.ok) return { ...answer, dashboards: [] };
        return { ok: true, data: {}, dashboards: answer.rows.filter((d) => d.can_edit !== false && String(d.id) !== String(dashboardId)) };
      },
      async move(targetId, name) {
        const answer = await api(`widgets/${w.id}/move/`, { dashboard_id: targetId });
        if (!answer.ok) return answer;
        const next = nextFocus(card);
        board().removeWidget(w.id);
        if (next) next.focus();
        showToast({ text: `Moved “${w.title}” to ${name}.` });
        return answer;
      },
      async refresh() {
        note("Refreshing…");
        const { ok, status: code, data } = await api(`widgets/${w.id}/refresh/`, {});
        if (!ok) return note(errorText(data), "error");
        if (code === 202) return note("Refresh queued: the card updates when the data arrives.");
        update(data);
        say(`Refreshed: ${data.title}`);
      },
      async remove() {
        const { ok, data } = await api(`widgets/${w.id}/`, undefined, "DELETE");
        if (!ok) return note(errorText(data), "error");
        const after = card.nextElementSibling;
        const next = nextFocus(card);
        board().removeWidget(w.id);
        if (history) history.reload();
        showToast({
          text: `Deleted “${w.title}”.`,
          returnFocus: () => next,
          action: { label: "Undo", run: () => restoreDeleted(w, after) },
          onExpire: () => history && history.reload(),
        });
      },
    };
  }

  /** Undo of a delete: the widget back where it was. Returns false (the toast stays) when it failed. */
  async function restoreDeleted(w, after) {
    const { ok, data } = await api(`widgets/${w.id}/restore/`, {});
    if (!ok) {
      showToast({ text: `Could not restore “${w.title}”: ${errorText(data)}` });
      return false;
    }
    board().addWidget(data);
    const card = cardOf(data.id);
    if (card && after && after.isConnected && after.parentNode === grid) grid.insertBefore(card, after);
    if (card) card.querySelector(".widget-title").focus();
    if (history) history.reload();
    say(`Restored: ${data.title}`);
    return true;
  }

  return { attach, replace, requestHome, refined };
}

document.addEventListener("click", (event) => {
  document.querySelectorAll(".card-tools .menu").forEach((menu) => {
    if (!menu.contains(event.target) && menu.closeMenu) menu.closeMenu();
  });
});

/** The card's neighbour's title (or the grid) to focus once the card is gone. */
function nextFocus(card) {
  const near = card.nextElementSibling || card.previousElementSibling;
  return (near && near.querySelector(".widget-title")) || null;
}

function say(text) {
  const status = document.getElementById("widget-status");
  if (status) status.textContent = text;
}

// The dashboards list: after a delete on a dashboard's page (``?deleted=<id>``), a toast offers Undo; every
// dashboard under "Recently deleted" has Restore. Both restore through the API and put the dashboard back
// in the list in place; without a script, Restore is a plain form the server answers. Names reach the DOM
// only through textContent.

import { apiClient } from "./api.js";
import { el, showError } from "./dom.js";
import { deletedFromQuery, fieldError, insertIndex } from "./manage-model.js";
import { showToast } from "./toast.js";
import { relativeTime } from "./versions-model.js";

const app = document.getElementById("dashboard-list-app");
if (app) start(app);

function start(root) {
  const api = apiClient(root.dataset.apiBase || "/api/");
  const restore = restorer({ api });
  root.querySelectorAll("[data-restore-form]").forEach((form) => {
    const item = form.closest("[data-testid=deleted-dashboard]");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = form.querySelector("button");
      button.disabled = true;
      const problem = await restore(item);
      button.disabled = false;
      showError(item.querySelector("[data-testid=restore-error]"), problem || "");
    });
  });
  // "deleted 3 min ago" in the reader's terms; the server's UTC time stays as the title.
  root.querySelectorAll("[data-testid=deleted-dashboard] time[datetime]").forEach((time) => {
    const words = relativeTime(time.dateTime);
    if (words) [time.title, time.textContent] = [time.textContent, words];
  });
  offerUndo(root, restore);
}

/** Shows "Deleted “X”. Undo" for the dashboard the dashboard page just deleted, if it is one of the user's
 * deleted ones listed here (the server lists no one else's); the query is dropped so a reload does not. */
function offerUndo(root, restore) {
  const { id, rest } = deletedFromQuery(window.location.search);
  if (id === null) return;
  window.history.replaceState(null, "", window.location.pathname + rest + window.location.hash);
  const item = root.querySelector(`[data-testid=deleted-dashboard][data-dashboard-id="${id}"]`);
  if (!item) return;
  const toast = showToast({
    text: `Deleted “${item.dataset.name}”.`,
    action: {
      label: "Undo",
      async run() {
        const problem = await restore(item);
        if (!problem) return true;
        toast.say(problem);
        return false; // the toast stays, saying why
      },
    },
    returnFocus: () => document.getElementById("deleted-heading"), // where the dashboard still is
  });
}

/** Returns ``restore(item)``: restores the deleted dashboard ``item`` stands for, moves it back into the
 * list, focuses its link and resolves to null; or resolves to what went wrong. */
function restorer({ api }) {
  const list = document.getElementById("dashboard-list");
  const empty = document.getElementById("no-dashboards");
  const status = document.getElementById("list-status");
  return async function restore(item) {
    const { ok, data } = await api(`dashboards/${item.dataset.dashboardId}/restore/`, {});
    if (!ok) return fieldError(data);
    const entry = listItem(data, item.dataset.href);
    const items = [...list.querySelectorAll(":scope > .dashboard-item")];
    list.insertBefore(entry, items[insertIndex(items.map((li) => li.dataset.name), data.name)] || null);
    list.hidden = false;
    empty.hidden = true;
    const section = item.closest("section");
    item.remove();
    if (section && !section.querySelector("[data-testid=deleted-dashboard]")) section.remove();
    entry.querySelector("a").focus();
    if (status) status.textContent = `Restored “${data.name}”.`;
    return null;
  };
}

/** Returns the list's entry for a dashboard of the user's (as the API gives it), like the server's. */
function listItem(dashboard, href) {
  const tag = dashboard.is_private ? el("span", { className: "tag", text: "Private" })
    : el("span", { className: "tag tag-shared", text: "Shared" });
  return el("li", { className: "dashboard-item dashboard-restored", "data-dashboard-id": dashboard.id, "data-name": dashboard.name },
    el("a", { href, "data-testid": "dashboard-link", text: dashboard.name }),
    el("span", { className: "dashboard-meta" }, tag));
}

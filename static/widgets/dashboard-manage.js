// The dashboard's own controls in its page head, for its owner: rename in place (Enter saves, Escape
// cancels), share or make private, and delete (the dashboards list then offers Undo). A viewer's page does
// not load this module. Names reach the DOM only through textContent.

import { apiClient } from "./api.js";
import { showError } from "./dom.js";
import { fieldError, listUrlAfterDelete, pageTitle, shareLabel } from "./manage-model.js";

const app = document.getElementById("dashboard-app");
const manage = document.getElementById("dashboard-manage");
if (app && manage) start(app, manage);

function start(root, box) {
  const api = apiClient(root.dataset.apiBase || "/api/");
  const path = `dashboards/${root.dataset.dashboardId}/`;
  const status = document.getElementById("manage-status");
  const error = document.getElementById("manage-error");
  const say = (text) => { if (status) status.textContent = text; };
  const state = { isPrivate: box.dataset.private === "1" };
  renameControl({ api, path, say });
  shareControl({ api, path, say, error, state });
  deleteControl({ api, path, error, root, listUrl: box.dataset.listUrl || "/" });
  box.hidden = false;
}

/** The name in the page head becomes a text box on Rename; Enter (or Save) sends it, Escape (or Cancel)
 * puts the name back. A refused name keeps the box open with the server's reason. */
function renameControl({ api, path, say }) {
  const title = document.getElementById("dashboard-title");
  const open = document.getElementById("rename-open");
  const form = document.getElementById("rename-form");
  const input = document.getElementById("rename-input");
  const error = document.getElementById("rename-error");
  const save = form.querySelector("[type=submit]");
  let busy = false;

  const close = () => {
    form.hidden = true;
    showError(error, "");
    input.removeAttribute("aria-invalid");
    title.hidden = false;
    open.hidden = false;
    open.focus();
  };
  open.addEventListener("click", () => {
    input.value = title.textContent;
    title.hidden = true;
    open.hidden = true;
    form.hidden = false;
    input.focus();
    input.select();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !busy) {
      event.preventDefault();
      close();
    }
  });
  document.getElementById("rename-cancel").addEventListener("click", () => { if (!busy) close(); });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (busy) return;
    if (input.value === title.textContent) return void close(); // nothing changed: no call
    busy = true;
    save.disabled = true;
    const { ok, data } = await api(path, { name: input.value }, "PATCH");
    busy = false;
    save.disabled = false;
    if (!ok) {
      showError(error, fieldError(data, "name"));
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    document.title = pageTitle(document.title, title.textContent, data.name);
    title.textContent = data.name;
    close();
    say(`Renamed to ${data.name}`);
  });
  open.hidden = false;
}

/** One button that says what it will do: "Share (everyone can view)" on a private dashboard, "Make private"
 * on a shared one; the tag beside it says what the dashboard is now. */
function shareControl({ api, path, say, error, state }) {
  const button = document.getElementById("share-toggle");
  const tag = document.getElementById("dashboard-privacy");
  const show = () => {
    button.textContent = shareLabel(state.isPrivate);
    tag.textContent = state.isPrivate ? "Private" : "Shared";
    tag.classList.toggle("tag-shared", !state.isPrivate);
  };
  button.addEventListener("click", async () => {
    button.disabled = true;
    showError(error, "");
    const { ok, data } = await api(path, { is_private: !state.isPrivate }, "PATCH");
    button.disabled = false;
    if (!ok) return void showError(error, fieldError(data, "is_private"));
    state.isPrivate = Boolean(data.is_private);
    show();
    button.focus();
    say(state.isPrivate ? "The dashboard is private: only you can see it." : "The dashboard is shared: everyone can view it.");
  });
  show();
}

/** Delete goes to the dashboards list, which offers Undo for a while and keeps it under "Recently deleted"
 * after that: no confirmation is asked since nothing is lost. */
function deleteControl({ api, path, error, root, listUrl }) {
  const button = document.getElementById("dashboard-delete");
  button.addEventListener("click", async () => {
    button.disabled = true;
    showError(error, "");
    const { ok, data } = await api(path, undefined, "DELETE");
    if (!ok) {
      button.disabled = false;
      return void showError(error, fieldError(data));
    }
    window.location.assign(listUrlAfterDelete(listUrl, root.dataset.dashboardId));
  });
}

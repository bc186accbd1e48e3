// The dashboard's time window in the page head: the owner picks a preset or a custom range (two dates, the
// last inclusive; without a last day, "since"), or each widget's own window; a viewer reads the window set.
// A change is PATCHed, then the page reads the dashboard again and builds its cards in place (``onChange``).
// A refused change says why beside the control and loses nothing: the window in force stays selected, typed
// dates stay typed. Native controls (a labelled <select>, <input type=date>), so the keyboard does it all.

import { errorText } from "./api.js";
import { el, showError } from "./dom.js";
import {
  CUSTOM, OTHER, PRESETS, customWindow, presetOf, sameWindow, windowFields, windowOfPreset, windowWords,
} from "./window-model.js";

// A <select> changed with the arrow keys fires "change" at every step on some platforms: a short pause
// before a preset is sent, so stepping through the list sends only where the analyst stops.
const SETTLE_MS = 450;

/** Builds the control in ``slot``; returns {show(window)}: what the server says the window is (from a
 * page load or a poll; ignored while the owner is changing it). ``onChange(window)`` rebuilds the cards
 * and resolves to the number of widgets updated; ``say(text)`` speaks in the page's live region. */
export function windowControl({ slot, api, dashboardId, canEdit, onChange, say = () => {} }) {
  if (!slot) return { show() {} };
  return canEdit ? ownerControl({ slot, api, dashboardId, onChange, say }) : viewerText(slot);
}

function viewerText(slot) {
  const text = el("p", { className: "window-readonly", "data-testid": "window-readonly", hidden: true });
  slot.replaceChildren(text);
  slot.classList.add("window-control");
  return {
    show(window) {
      const words = windowWords(window);
      text.replaceChildren(el("span", { className: "window-label", text: "Time window: " }), words);
      text.hidden = !words;
    },
  };
}

function ownerControl({ slot, api, dashboardId, onChange, say }) {
  const parts = buildForm();
  slot.replaceChildren(parts.form, parts.error);
  slot.classList.add("window-control");
  let current = null; // the window in force, as the server last said
  let loaded = false;
  let sent = 0; // the latest change sent: an older answer arriving late is ignored
  let pending = 0; // changes on the way
  let settle = null;

  function reflect(window, { keepTyped = false } = {}) {
    const choice = presetOf(window);
    setOther(parts.select, choice.id === OTHER ? window : null);
    parts.select.value = choice.id;
    if (choice.id === CUSTOM) {
      parts.start.value = choice.start;
      parts.end.value = choice.end;
    } else if (!keepTyped) {
      parts.start.value = "";
      parts.end.value = "";
    }
    parts.custom.hidden = choice.id !== CUSTOM;
    parts.dates.textContent = window ? window.dates || "" : "";
    parts.dates.hidden = !window || !window.dates || choice.id === CUSTOM;
    parts.clear.hidden = !window;
    parts.state.hidden = !window;
    slot.dataset.window = window ? JSON.stringify(windowFields(window)) : "";
  }

  async function apply(window) {
    clearTimeout(settle);
    if (sameWindow(window, current)) {
      showError(parts.error, "");
      return reflect(current);
    }
    const mine = ++sent;
    pending += 1;
    busy(true);
    showError(parts.error, "");
    const { ok, data } = await api(`dashboards/${dashboardId}/`, { window }, "PATCH");
    pending -= 1;
    if (mine !== sent) return busy(pending > 0); // a later change was sent: its answer decides
    if (!ok) {
      busy(false);
      return refused(data, window);
    }
    current = data.window || null;
    reflect(current);
    const updated = await onChange(current);
    busy(pending > 0);
    const words = windowWords(current);
    parts.status.textContent = words ? `Time window set: ${words}.` : "Each widget shows its own window.";
    say(`${parts.status.textContent} ${updated} widget${updated === 1 ? "" : "s"} updated.`);
  }

  /** A change the server refused: why, beside the control; the window in force stays selected, and a
   * custom range keeps the dates typed, to be fixed. */
  function refused(data, tried) {
    const still = windowWords(current) || "each widget's own window";
    showError(parts.error, `${errorText(data)} The dashboard still shows ${still}.`);
    const typed = tried && (tried.kind === "between" || tried.kind === "since") && !parts.custom.hidden;
    if (typed) {
      const [start, end] = [parts.start.value, parts.end.value];
      reflect(current);
      parts.select.value = CUSTOM;
      parts.custom.hidden = false;
      parts.dates.hidden = true; // the error names the window in force
      parts.start.value = start;
      parts.end.value = end;
      parts.start.focus();
    } else {
      reflect(current);
    }
  }

  function busy(on) {
    parts.form.setAttribute("aria-busy", on ? "true" : "false");
    if (on) parts.status.textContent = "Applying…";
    else if (parts.status.textContent === "Applying…") parts.status.textContent = "";
    slot.classList.toggle("window-busy", on);
  }

  parts.select.addEventListener("change", () => {
    clearTimeout(settle);
    const id = parts.select.value;
    parts.custom.hidden = id !== CUSTOM;
    parts.dates.hidden = id !== presetOf(current).id || !current || id === CUSTOM;
    if (id === CUSTOM || id === OTHER) return; // a range waits for its dates and Apply
    settle = setTimeout(() => apply(windowOfPreset(id)), SETTLE_MS);
  });
  parts.select.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return; // Enter sends the preset chosen at once
    event.preventDefault();
    const id = parts.select.value;
    if (id === CUSTOM) parts.start.focus();
    else if (id !== OTHER) apply(windowOfPreset(id));
  });
  parts.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const range = customWindow({ start: parts.start.value, end: parts.end.value });
    if (range.error) {
      showError(parts.error, range.error);
      return parts.start.value ? parts.end.focus() : parts.start.focus();
    }
    apply(range.window);
  });
  parts.custom.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return; // put the range away: back to the window in force
    event.preventDefault();
    showError(parts.error, "");
    reflect(current);
    parts.select.focus();
  });
  parts.clear.addEventListener("click", () => {
    parts.select.focus(); // the button goes away with the window
    apply(null);
  });

  return {
    show(window) {
      const idle = pending === 0 && !slot.contains(document.activeElement);
      if (loaded && (!idle || sameWindow(window, current))) return;
      current = window || null;
      loaded = true;
      parts.select.disabled = false;
      reflect(current);
    },
  };
}

/** Returns the form's parts; ids are fixed (one control per page). */
function buildForm() {
  const select = el("select", { id: "window-choice", "data-testid": "window-choice", disabled: true,
    "aria-describedby": "window-dates window-error" },
    PRESETS.map((p) => el("option", { value: p.id, text: p.label })),
    el("option", { value: CUSTOM, text: "Custom range…" }));
  const start = el("input", { type: "date", id: "window-start", "data-testid": "window-start",
    "aria-describedby": "window-error" });
  const end = el("input", { type: "date", id: "window-end", "data-testid": "window-end",
    "aria-describedby": "window-end-hint window-error" });
  const custom = el("fieldset", { className: "window-custom", "data-testid": "window-custom", hidden: true },
    el("legend", { className: "visually-hidden", text: "Custom range" }),
    el("label", { className: "window-field", for: "window-start" }, el("span", { text: "From" }), start),
    el("label", { className: "window-field", for: "window-end" }, el("span", { text: "To" }), end),
    el("span", { id: "window-end-hint", className: "visually-hidden",
      text: "The last day, included. Leave it empty for everything since the first day." }),
    el("button", { type: "submit", className: "button button-small", "data-testid": "window-apply" }, "Apply"));
  const dates = el("span", { id: "window-dates", className: "window-dates", "data-testid": "window-dates", hidden: true });
  const clear = el("button", { type: "button", className: "link-button window-clear",
    "data-testid": "window-clear", "aria-label": "Clear the time window: each widget's own window", hidden: true },
  "Clear");
  const status = el("span", { className: "visually-hidden", role: "status", "data-testid": "window-status" });
  // The label over the select, and beside it the window in force (its dates, Clear): the control is as tall
  // as the title beside it and about as wide as its select, so the page head keeps one row on a laptop.
  const state = el("span", { className: "window-state", hidden: true }, dates, clear);
  const form = el("form", { className: "window-form", "data-testid": "window-form", novalidate: true,
    "aria-label": "Dashboard time window" },
    el("div", { className: "window-pick" },
      el("div", { className: "window-top" },
        el("label", { className: "window-label", for: "window-choice", text: "Time window" }), state),
      select),
    custom, status);
  const error = el("p", { id: "window-error", className: "form-error window-error", role: "alert",
    "data-testid": "window-error", hidden: true });
  return { form, select, start, end, custom, state, dates, clear, status, error };
}

/** Offers a stored window no preset is (set through the API) as a choice of its own, or removes it. */
function setOther(select, window) {
  let option = select.querySelector(`option[value="${OTHER}"]`);
  if (!window) {
    if (option) option.remove();
    return;
  }
  if (!option) {
    option = el("option", { value: OTHER });
    select.options[0].after(option); // after "Each widget's own", before the presets

  }
  option.textContent = window.text || "Set through the API";
}

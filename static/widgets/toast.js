// Toasts at the foot of the page: "Widget deleted · Undo (9 s)". A toast with an action takes the focus
// (the control that started it is gone), stands still while pointed at or focused, and leaves when its
// time is up or its action is taken. Text only through textContent.

import { el } from "./dom.js";
import { toastRunner, undoLabel, UNDO_MS } from "./toast-model.js";

let region = null;
const runner = toastRunner();

function toastRegion() {
  if (region && region.isConnected) return region;
  region = el("div", { className: "toasts", role: "region", "aria-label": "Notifications", "data-testid": "toasts" });
  document.body.append(region);
  return region;
}

/** Shows ``text``; with ``action`` ({label, run}) a button that runs it (the toast then leaves), offered
 * for ``ms``; ``onExpire`` runs once if the time runs out (or the toast is closed) first. A focused toast
 * that leaves gives the focus to ``returnFocus()``. Returns {close(), say(words)}. */
export function showToast({ text, action = null, ms = action ? UNDO_MS : 5000, onExpire = () => {},
                            focus = Boolean(action), returnFocus = () => null }) {
  const message = el("p", { className: "toast-text", text });
  const button = action ? el("button", { type: "button", className: "button button-small toast-action",
    "data-testid": "toast-undo" }) : null;
  const close = el("button", { type: "button", className: "toast-close", "aria-label": "Close notification",
    "data-testid": "toast-close", text: "×" });
  const node = el("div", { className: "toast", role: "status", "data-testid": "toast" }, message, button, close);
  const refocus = () => {
    const target = node.contains(document.activeElement) ? returnFocus() : null;
    if (target) target.focus();
  };
  const timer = runner.show({
    ms,
    onTick: (clock) => { if (button) button.textContent = `${action.label === "Undo" ? undoLabel(clock, Date.now()) : action.label}`; },
    onExpire: () => {
      refocus();
      node.remove();
      onExpire();
    },
  });
  const dismiss = () => {
    timer.cancel();
    refocus();
    node.remove();
  };
  if (button) {
    button.textContent = action.label === "Undo" ? undoLabel(timer.clock, Date.now()) : action.label;
    button.addEventListener("click", async () => {
      timer.cancel();
      button.disabled = true;
      const kept = await action.run(); // false keeps the toast to say what went wrong
      if (kept === false) {
        button.disabled = false;
        return;
      }
      node.remove();
    });
  }
  close.addEventListener("click", () => {
    dismiss();
    onExpire();
  });
  node.addEventListener("mouseenter", timer.pause);
  node.addEventListener("mouseleave", () => { if (!node.contains(document.activeElement)) timer.resume(); });
  node.addEventListener("focusin", timer.pause);
  node.addEventListener("focusout", (event) => { if (!node.contains(event.relatedTarget)) timer.resume(); });
  node.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      dismiss();
      onExpire();
    }
  });
  toastRegion().append(node);
  if (focus && button) button.focus();
  return {
    close: dismiss,
    say(words) { message.textContent = words; },
  };
}

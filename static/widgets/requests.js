// Widget requests on the dashboard: their cards, polling until they settle, clarifying questions with
// clickable options, retry and dismiss.

import { errorText } from "./api.js";
import { el, showError } from "./dom.js";
import { fillProgress, startTicking, stepsText } from "./progress.js";

const POLL_MS = 700;
const RETRY_MS = 3000;
const SETTLED = new Set(["ready", "failed", "needs_clarification", "cancelled"]);

/** Returns true when a request will not change without the analyst. */
export const isSettled = (r) => SETTLED.has(r.status);

/** What a card shows: its status and which questions are still open. */
export const stateKey = (r) => `${r.status}:${(r.questions || []).map((q) => q.id).join(",")}`;

/** The step (or two, side by side) a request is at and the time spent in it: "Writing the SQL · 4 s". */
export function progressText(r) {
  return isSettled(r) ? "" : stepsText(r);
}

/** Returns {render, poll, retry} over the requests box. ``board`` adds and removes widget cards:
 * {addWidget(widget), removeWidgetOfRequest(requestId)}. A failed request the server says cannot be
 * retried (it names what the data lacks) offers instead ``editPrompt(text)`` (puts it back in the prompt
 * box) and a link to ``catalogUrl``. */
export function requestsController({ api, box, board, editPrompt = null, catalogUrl = "", say = () => {},
                                     canCancel = false }) {
  const node = (id, inner = "") => box.ownerDocument.querySelector(`[data-request-id="${id}"] ${inner}`);
  startTicking(box);
  // Many questions left unanswered push the widgets down the page: past one, they can be put away at once.
  const shown = new Map(); // request id -> the request as last rendered in the box
  const bulkButton = el("button", { type: "button", className: "button button-quiet", "data-testid": "requests-dismiss-all",
    onclick: () => dismissAll() }, "Dismiss all");
  const bulkText = el("span", { className: "muted", "data-testid": "requests-waiting" });
  const bulk = el("div", { className: "requests-bulk", hidden: true }, bulkText, bulkButton);
  box.before(bulk);
  const waiting = () => [...shown.values()].filter((r) => ["needs_clarification", "failed"].includes(r.status) && node(r.id));
  function updateBulk() {
    const left = waiting();
    bulk.hidden = left.length < 2;
    const questions = left.filter((r) => r.status === "needs_clarification").length;
    const failed = left.length - questions;
    bulkText.textContent = [questions ? `${questions} waiting for an answer` : "", failed ? `${failed} failed` : ""]
      .filter(Boolean).join(", ");
    bulkButton.setAttribute("aria-label", `Dismiss all ${left.length} requests: ${bulkText.textContent}`);
  }
  async function dismissAll() {
    bulkButton.disabled = true;
    const left = waiting();
    let done = 0;
    for (const r of left) {
      const { ok, data } = await api(`requests/${r.id}/dismiss/`, {});
      if (!ok) {
        showError(node(r.id, ".request-error"), errorText(data));
        continue;
      }
      render(r, true);
      done += 1;
    }
    bulkButton.disabled = false;
    say(`Dismissed ${done} of ${left.length} requests.`);
    const input = document.getElementById("prompt-input");
    if (input && input.offsetParent) input.focus();
  }

  /** Shows a request's state: a new card when its state changes (an unchanged card is left alone, so
   * the live region is not re-announced), no card once it has a widget (ready, or failed with a badged
   * widget that says why) or is dismissed. A refinement shows on its widget's card (``board.requestHome``)
   * until it is ready, when ``board.refined`` updates that card. */
  function render(r, dismissed = false) {
    try {
      place(r, dismissed);
    } finally {
      updateBulk();
    }
  }

  function place(r, dismissed) {
    const old = node(r.id);
    const home = board.requestHome ? board.requestHome(r) : null;
    if (home || dismissed) shown.delete(r.id);
    else shown.set(r.id, r);
    const done = home ? r.status === "ready" : Boolean(r.widget);
    if (home && done) board.refined(r);
    else if (r.widget && !home) board.addWidget(r.widget);
    if (dismissed || done || r.status === "cancelled") {
      if (old) old.remove();
    } else if (!old) {
      (home || box).prepend(requestCard(r));
    } else if (old.dataset.state !== stateKey(r)) {
      old.replaceWith(requestCard(r));
    } else {
      showError(node(r.id, ".request-error"), "");
      fillProgress(node(r.id, ".request-step"), r, isSettled(r));
    }
  }

  async function poll(requestId) {
    const { ok, status, data } = await api(`requests/${requestId}/`);
    if (!ok) {
      const again = status !== 404;
      showError(node(requestId, ".request-error"), again ? `${errorText(data)} Retrying…` : errorText(data));
      if (again) setTimeout(() => poll(requestId), RETRY_MS);
      return;
    }
    render(data);
    if (!isSettled(data)) setTimeout(() => poll(requestId), POLL_MS);
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
    board.removeWidgetOfRequest(requestId);
    render(data);
    poll(data.id);
  }

  /** Puts a failed request, or one whose questions will not be answered, away; the focus goes to the next
   * request's first control (or the prompt box), not to the top of the page. */
  async function dismiss(r) {
    const { ok, data } = await api(`requests/${r.id}/dismiss/`, {});
    if (!ok) {
      showError(node(r.id, ".request-error"), errorText(data));
      return;
    }
    const card = node(r.id);
    const next = card && (card.nextElementSibling || card.previousElementSibling);
    render(r, true);
    say(r.status === "needs_clarification" ? `Question put away: ${r.prompt}` : `Dismissed: ${r.prompt}`);
    const focus = (next && next.querySelector("button")) || document.getElementById("prompt-input");
    if (focus) focus.focus();
  }

  /** Stops a request being built (or waiting for an answer); its card goes, and the live region says so. */
  async function cancel(r, button) {
    button.disabled = true;
    const { ok, data } = await api(`requests/${r.id}/cancel/`, {});
    if (!ok) {
      button.disabled = false;
      showError(node(r.id, ".request-error"), errorText(data));
      return;
    }
    render(data);
    if (data.status === "cancelled") {
      say(`Cancelled: ${r.prompt}`);
      const input = document.getElementById("prompt-input");
      if (input && input.offsetParent) input.focus();
    }
  }

  async function answer(r, questionId, text) {
    const controls = node(r.id).querySelectorAll("button, input");
    controls.forEach((control) => { control.disabled = true; });
    const { ok, data } = await api(`requests/${r.id}/answers/`, { answers: { [questionId]: text } });
    if (!ok) {
      controls.forEach((control) => { control.disabled = false; });
      showError(node(r.id, ".request-error"), errorText(data));
      return;
    }
    render(data);
    poll(data.id);
  }

  /** A request for what the data lacks is answered, not broken: it is drawn as a reply, not as a failure. */
  function isRefusal(r) {
    return r.status === "failed" && r.error_code === "not_in_data";
  }

  function requestCard(r) {
    const props = { "data-testid": "request-card", "data-status": r.status, "data-state": stateKey(r), "data-request-id": r.id };
    const spinner = isSettled(r) ? null : el("span", { className: "spinner", "aria-hidden": "true" });
    const look = isRefusal(r) ? "refused" : r.status;
    return el("article", { className: `request request-${look}`, ...props },
      el("div", { className: "request-head" },
        el("p", { className: "request-prompt", text: r.prompt }),
        el("span", { className: `status status-${look}`, "data-testid": "request-status" }, spinner, r.status_label)),
      progressLine(r),
      requestBody(r),
      el("p", { className: "form-error request-error", role: "alert", hidden: true }));
  }

  function progressLine(r) {
    const line = el("p", { className: "request-step muted", "data-testid": "request-step" });
    fillProgress(line, r, isSettled(r));
    if (!canCancel || !["pending", "running"].includes(r.status)) return line;
    return el("div", { className: "request-progress" }, line,
      el("button", { type: "button", className: "button button-quiet", "data-testid": "request-cancel",
        "aria-label": `Cancel “${r.prompt}”`, onclick: (event) => cancel(r, event.currentTarget) }, "Cancel"));
  }

  function requestBody(r) {
    if (r.status === "failed") {
      const refused = isRefusal(r);
      // The catalog's address is for the API and the shell; here the button below leads there.
      const message = refused && catalogUrl ? (r.error_message || "").replace(/\s*See what the data has: \S+$/, "")
        : r.error_message;
      return el("div", { className: refused ? "request-failure request-reply" : "request-failure" },
        el("p", { "data-testid": "request-error", text: message || "This widget could not be built." }),
        refused ? null : el("p", { className: "muted" }, "Error code: ", el("code", { text: r.error_code || "unknown" })),
        el("div", { className: "request-actions" }, ...failureActions(r),
          el("button", { type: "button", className: "button", onclick: () => dismiss(r) }, "Dismiss")));
    }
    if (r.status !== "needs_clarification") return null;
    return el("div", { className: "questions" }, (r.questions || []).map((q) => questionView(r, q)),
      el("div", { className: "request-actions" },
        el("button", { type: "button", className: "button button-quiet", "data-testid": "request-dismiss",
          "aria-label": `Dismiss the question about “${r.prompt}”`, onclick: () => dismiss(r) }, "Dismiss")));
  }

  /** "Try again" when running again can help; otherwise "Edit the request" and the catalog. */
  function failureActions(r) {
    if (r.can_retry !== false) {
      return [el("button", { type: "button", className: "button", "data-testid": "request-retry",
        onclick: (event) => retry(r.id, event.currentTarget) }, "Try again")];
    }
    // A follow-up is said again in its widget's Refine box, not as a new request in the builder; the
    // catalog helps only when the data lacks what was named.
    return [
      editPrompt && !r.is_refinement ? el("button", { type: "button", className: "button", "data-testid": "request-edit",
        onclick: () => editPrompt(r.prompt) }, "Edit the request") : null,
      catalogUrl && r.error_code === "not_in_data" ? el("a", { className: "button", href: catalogUrl,
        "data-testid": "request-catalog" }, "See what the data has") : null,
    ];
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
    const option = (text) => el("button", { type: "button", className: "chip chip-option", "data-testid": "option",
      onclick: () => answer(r, q.id, text) }, text);
    return el("fieldset", { className: "question", "data-testid": "question" },
      el("legend", { text: q.text }), el("div", { className: "options" }, (q.options || []).map(option)), form);
  }

  return { render, poll, retry };
}

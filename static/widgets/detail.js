// The detail panel of a widget: a modal <dialog> (the browser keeps the focus inside it; Esc closes it,
// and the focus goes back to the control that opened it). It shows the versions, how the request was
// read, the spec as JSON, the SQL formatted with the model's explanation, a custom widget's TSX, every
// LLM call with its tier, model, latency, tokens, cost and outcome, and the total cost.

import { allPages, errorText } from "./api.js";
import { el, showError } from "./dom.js";
import { callRows, interpretationText, specJson, totalCost } from "./detail-model.js";
import { versionList } from "./history.js";

let dialog = null;

function theDialog() {
  if (dialog && dialog.isConnected) return dialog;
  dialog = el("dialog", { className: "detail-panel", "data-testid": "detail-panel", "aria-labelledby": "detail-title" });
  dialog.addEventListener("click", (event) => { if (event.target === dialog) dialog.close(); }); // the backdrop
  document.body.append(dialog);
  return dialog;
}

/** Opens the panel of widget ``w`` (``section``: "history" scrolls to the versions). ``onRestored``
 * updates the card after a restore from the panel. */
export function openDetail({ api, widget: w, canEdit, onRestored, section = "" }) {
  const panel = theDialog();
  const opener = document.activeElement;
  const body = el("div", { className: "detail-body", "aria-busy": "true" });
  const error = el("p", { className: "form-error", role: "alert", hidden: true });
  const close = el("button", { type: "button", className: "button button-small detail-close", "data-testid": "detail-close",
    onclick: () => panel.close() }, "Close");
  const title = el("h2", { id: "detail-title", text: w.title || "Widget" });
  const versions = versionList({ api, widget: w, canEdit, onRestored: (updated) => {
    title.textContent = updated.title;
    onRestored(updated);
  } });
  const history = section_("History", "detail-history", versions.node);
  // The panel reads the widget as stored: say so when its card shows it under the dashboard's window.
  const windowed = w.window_applied ? el("p", { className: "window-note window-note-applied", role: "note",
    "data-testid": "detail-window-note", text: `The card shows this widget under the dashboard's time window. `
      + `Below is the widget as stored, with its own window${w.window_own ? ` (${w.window_own})` : ""}.` }) : null;
  panel.replaceChildren(
    el("header", { className: "detail-head" }, el("div", {}, el("p", { className: "muted", text: "Widget details" }), title), close),
    ...(windowed ? [windowed] : []), error, history, body); // replaceChildren would write a null as "null"
  panel.addEventListener("close", () => { if (opener && opener.isConnected) opener.focus(); }, { once: true });
  if (!panel.open) panel.showModal();
  if (section === "history") history.scrollIntoView({ block: "start" });
  else close.focus();
  load(api, w, body, error);
}

const section_ = (heading, testid, ...content) => el("section", { className: "detail-section", "data-testid": testid },
  el("h3", { text: heading }), ...content);

async function load(api, w, body, error) {
  const { ok, data } = await api(`widgets/${w.id}/detail/`);
  body.setAttribute("aria-busy", "false");
  if (!ok) {
    showError(error, errorText(data));
    return;
  }
  body.replaceChildren(...detailSections(data));
  const talk = await allPages(api, `widgets/${w.id}/conversation/`, { maxPages: 5 }); // what was asked of it, turn by turn
  if (talk.ok && talk.rows.length) body.prepend(conversationSection(talk.rows, talk.more));
}

/** The widget's conversation: its first request and each refinement, with the answers given. */
function conversationSection(turns, more) {
  return section_("Conversation", "detail-conversation", more ? el("p", { className: "muted", "data-testid": "conversation-cut",
    text: `The first ${turns.length} turns; later ones are in the API (/api/widgets/…/conversation/).` }) : null,
  el("ol", { className: "conversation" }, turns.map((t) =>
    el("li", { className: "turn", "data-testid": "turn" },
      el("span", { className: "badge version-source", text: t.is_refinement ? "Refinement" : "First request" }), " ",
      el("span", { className: "turn-prompt", text: t.prompt || "" }),
      Object.values(t.answers || {}).filter(Boolean).map((a) => el("span", { className: "muted", text: ` · answered “${a}”` })),
      t.status && t.status !== "ready" ? el("span", { className: "muted", text: ` · ${String(t.status).replaceAll("_", " ")}` }) : null))));
}

function detailSections(d) {
  const reading = interpretationText(d.interpretation);
  return [
    section_("How it was read", "detail-interpretation",
      el("p", { text: reading || "No interpretation was recorded." })),
    section_("Spec", "detail-spec", el("pre", { className: "code-block", tabindex: "0", "aria-label": "Spec as JSON" },
      el("code", { text: specJson(d.spec) || "—" }))),
    section_("SQL", "detail-sql",
      d.sql_explanation ? el("p", { className: "detail-explanation", "data-testid": "sql-explanation", text: d.sql_explanation }) : null,
      el("pre", { className: "code-block", tabindex: "0", "aria-label": "SQL" }, el("code", { text: d.sql_pretty || d.sql || "—" }))),
    d.tsx ? section_("Component (TSX)", "detail-tsx",
      el("pre", { className: "code-block", tabindex: "0", "aria-label": "TSX" }, el("code", { text: d.tsx }))) : null,
    section_("LLM calls", "detail-calls", callsTable(d)),
  ].filter(Boolean);
}

function callsTable(d) {
  const rows = callRows(d.calls);
  const total = el("p", { className: "detail-total", "data-testid": "detail-total" },
    "Total cost: ", el("strong", { text: totalCost(d) }), ` · ${rows.length} call${rows.length === 1 ? "" : "s"}`);
  if (!rows.length) return [el("p", { className: "muted", text: "No LLM calls recorded." }), total];
  const heads = ["Step", "Tier", "Model", "Latency", "Tokens", "Cost", "Outcome"];
  const table = el("table", { className: "data-table calls-table", "data-testid": "calls-table" },
    el("caption", { className: "visually-hidden", text: "Every LLM call made for this widget" }),
    el("thead", {}, el("tr", {}, heads.map((h) => el("th", { scope: "col", text: h })))),
    el("tbody", {}, rows.map((r) => el("tr", { "data-testid": "call" },
      el("td", { text: r.step }), el("td", { text: r.tier }), el("td", { className: "call-model", text: r.model }),
      el("td", { className: "num", text: r.latency }), el("td", { className: "num", text: r.tokens }),
      el("td", { className: "num", text: r.cost }),
      el("td", { className: r.ok ? "" : "call-problem", text: r.outcome })))));
  return [el("div", { className: "table-scroll", tabindex: "0", role: "region", "aria-label": "LLM calls" }, table), total];
}

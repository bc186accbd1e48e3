// A widget card: its title and how the request was read (the interpretation line, the assumptions, the
// words not applied, the metric's definition), a body by state, the notes on what the figures are, and
// a footer with the data origin's badge, the cost and the SQL.

import { chartView } from "./chart-card.js";
import { customView } from "./custom.js";
import { el } from "./dom.js";
import { metricsOf } from "./format.js";
import { kpiView } from "./kpi.js";
import { badgeFor } from "./meta.js";
import { UNREADABLE, bodyState, cardNotes, emptyText, resultOf, unreadableReason } from "./states.js";
import { tableView } from "./table.js";
import { windowNote } from "./window-model.js";

/** Returns the card of widget ``w``, built inside its own guard: a widget whose data cannot be read (or
 * whose card fails to build for any reason) is a card that says so, and never stops the others. */
export function guardedWidgetCard(w, ctx) {
  try {
    return widgetCard(w, ctx);
  } catch (error) {
    console.error("widget card", w && w.id, error); // for support; the card says it in words
    return unreadableCard(w || {}, ctx);
  }
}

function unreadableCard(w, ctx) {
  const title = typeof w.title === "string" && w.title ? w.title : "Widget";
  return el("article", { className: "widget widget-unreadable", "data-testid": "widget-card", "data-kind": String(w.kind || ""),
    "data-widget-id": w.id, "data-request-id-of": w.request_id, "data-state": "unreadable" },
    el("header", { className: "widget-head" }, el("h2", { className: "widget-title", text: title })),
    el("div", { className: "widget-body" }, unreadableView(w, ctx, `${UNREADABLE}.`)));
}

/** Returns the card of widget ``w``. ``ctx``: {meta, canEdit, sandboxUrl, retry(requestId, button), window
 * (the dashboard's time window, or null)}. */
export function widgetCard(w, ctx) {
  const result = resultOf(w);
  const state = bodyState(w);
  const wide = w.kind === "chart" || w.kind === "custom" || result.columns.length > 3;
  const note = windowNote(w, ctx && ctx.window);
  const props = { "data-testid": "widget-card", "data-kind": w.kind, "data-widget-id": w.id,
    "data-request-id-of": w.request_id, "data-state": state, "data-source": w.source,
    "data-window": note ? note.kind : null };
  const classes = `widget widget-${w.kind} widget-source-${w.source}${wide ? " widget-wide" : ""}`;
  return el("article", { className: classes, ...props },
    readingHead(w, note),
    el("div", { className: "widget-body" }, widgetBody(w, result, state, ctx)),
    notesView(cardNotes(w)),
    widgetFooter(w, ctx));
}

/** The title, then how it was read: whose window the figures are under (``note``, from ``windowNote``),
 * the interpretation line, what was not applied (a visible warning), the assumptions and, one click away,
 * what each metric counts. */
function readingHead(w, note = null) {
  const reading = w.interpretation || {};
  const line = reading.text || describeSpec(w.spec || {});
  const notApplied = (reading.not_applied || (w.spec || {}).not_applied || []).filter(Boolean);
  const assumptions = (reading.assumptions || (w.spec || {}).assumptions || []).filter(Boolean);
  const noteId = note ? `window-note-${w.id}` : null;
  return el("header", { className: "widget-head" },
    // The title may name the widget's own window: the note says which window the figures are under.
    el("h2", { className: "widget-title", text: w.title, "aria-describedby": noteId }),
    note ? el("p", { id: noteId, className: `window-note window-note-${note.kind}`, role: "note",
      "data-testid": "window-note", "data-kind": note.kind },
      el("strong", { text: note.label }), ` ${note.text}`) : null,
    line ? el("p", { className: "widget-subtitle widget-reading", "data-testid": "interpretation", text: line }) : null,
    notApplied.length ? el("p", { className: "not-applied", role: "note", "data-testid": "not-applied" },
      el("span", { className: "not-applied-icon", "aria-hidden": "true", text: "⚠" }),
      el("strong", { text: "Not applied: " }),
      `${notApplied.map((word) => `“${word}”`).join(", ")}. The figures do not reflect ${notApplied.length === 1 ? "it" : "them"}.`)
      : null,
    assumptions.length ? el("ul", { className: "assumptions", "aria-label": "Assumed", "data-testid": "assumptions" },
      assumptions.map((text) => el("li", { text }))) : null,
    definitions(w));
}

/** One <details> per metric with a definition: opens on click or tap, keyboard included. */
function definitions(w) {
  const defined = metricsOf(w).filter((m) => m.definition);
  if (!defined.length) return null;
  return el("div", { className: "definitions" }, defined.map((m) => el("details", { className: "definition",
    "data-testid": "definition" },
    el("summary", { text: `What “${m.name}” counts` }),
    el("p", { text: m.definition }),
    m.time_column ? el("p", { className: "muted", text: `Dated by ${m.time_column.replaceAll("_", " ")}.` }) : null)));
}

/** "Last 30 days · by region · channel: online" from a spec without an interpretation (stored before it). */
function describeSpec(spec) {
  const parts = [];
  const tw = spec.time_window || {};
  if ((tw.kind === "last" || tw.kind === "rolling") && tw.n) parts.push(`Last ${tw.n} ${tw.unit}${tw.n === 1 ? "" : "s"}`);
  else if (tw.kind === "all") parts.push("All time");
  if (spec.grain) parts.push(`by ${spec.grain}`);
  const label = (key) => (spec.labels && spec.labels[key]) || String(key).replaceAll("_", " ");
  if (spec.dimensions && spec.dimensions.length) parts.push(`by ${spec.dimensions.map(label).join(", ")}`);
  for (const f of spec.filters || []) parts.push(`${label(f.dimension)}: ${(f.values || []).join(", ")}`);
  return parts.join(" · ");
}

function widgetBody(w, result, state, ctx) {
  switch (state) {
    case "failure": return failureView(w, ctx);
    case "unreadable": return unreadableView(w, ctx, unreadableReason(w));
    case "custom-failure": return failureView(w, ctx, w.props_error || w.source_reason);
    case "custom": return customView(w, ctx.sandboxUrl);
    case "empty": return el("p", { className: "empty", "data-testid": "empty", text: emptyText(w) });
    case "kpi": return kpiView(w, result, ctx.meta);
    case "chart": return chartView(w, result, ctx.meta);
    default: return tableView(w, result, ctx.meta);
  }
}

/** A widget built without data: what went wrong, and a way to try again (the owner only, and only
 * when the retry API would accept it: a ready custom widget whose props do not fit is not retried). */
function failureView(w, ctx, reason = w.source_reason) {
  return el("div", { className: "widget-failure", "data-testid": "widget-failure" },
    el("p", { text: reason || "This widget has no data." }),
    ctx.canEdit && w.can_retry ? el("button", { type: "button", className: "button", "data-testid": "widget-retry",
      onclick: (event) => ctx.retry(w.request_id, event.currentTarget) }, "Try again") : null,
    el("p", { className: "form-error request-error", role: "alert", hidden: true }));
}

/** A widget whose stored data cannot be read: the reason, and the ways to get it again that exist (the
 * owner's "Try again" when the retry API accepts it; reloading the page, for data refreshed meanwhile). */
function unreadableView(w, ctx, reason) {
  return el("div", { className: "widget-failure", "data-testid": "widget-unreadable", role: "alert" },
    el("p", { text: reason || `${UNREADABLE}.` }),
    ctx && ctx.canEdit && w.can_retry ? el("button", { type: "button", className: "button", "data-testid": "widget-retry",
      onclick: (event) => ctx.retry(w.request_id, event.currentTarget) }, "Try again") : null,
    el("button", { type: "button", className: "button button-small", "data-testid": "widget-reload",
      onclick: () => window.location.reload() }, "Reload"),
    el("p", { className: "form-error request-error", role: "alert", hidden: true }));
}

/** What the figures are: partial, truncated (loud), a companion query that failed (quiet). */
function notesView(notes) {
  if (!notes.length) return null;
  return el("ul", { className: "card-notes" }, notes.map((note) => el("li", {
    className: `card-note note-${note.kind}`, role: note.kind === "companion" || note.kind === "fill" ? null : "note",
    "data-testid": note.kind === "truncated" ? "truncated" : `note-${note.kind}`, text: note.text })));
}

function widgetFooter(w, ctx) {
  const calls = `${w.llm_calls} LLM call${w.llm_calls === 1 ? "" : "s"}`;
  const reason = w.source !== "live" && w.source_reason && !w.can_retry
    ? el("p", { className: `source-reason source-reason-${w.source}`, "data-testid": "source-reason", text: w.source_reason })
    : null;
  return el("footer", { className: "widget-foot" },
    el("div", { className: "widget-meta" }, sourceBadge(w, ctx.meta),
      el("span", { className: "cost", "data-testid": "widget-cost", text: `$${w.cost_usd} · ${calls}` })),
    reason,
    w.sql ? el("details", { className: "sql" }, el("summary", { text: "SQL" }), el("pre", {}, el("code", { text: w.sql })))
      : null);
}

/** "Live · as of …", "Cached · 12 min old", "Sample data · not real figures", "Query failed · showing data from …". */
function sourceBadge(w, meta) {
  const { label, tone } = badgeFor(meta, w);
  const detail = badgeDetail(w);
  return el("span", { className: "source", "data-testid": "source-badge", title: w.source_reason || w.result_at || "" },
    el("span", { className: `badge source-${w.source}${tone ? ` tone-${tone}` : ""}`, text: label }),
    detail ? ` · ${detail}` : "");
}

function badgeDetail(w) {
  if (w.source === "live") return w.result_at ? `as of ${formatTime(w.result_at)}` : "";
  if (w.source === "cached") return w.age_s === null || w.age_s === undefined ? "" : `${formatAge(w.age_s)} old`;
  if (w.source === "sample") return "not real figures";
  return w.result_at ? `showing data from ${formatTime(w.result_at)}` : "no data to show";
}

const formatTime = (iso) => new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });

function formatAge(seconds) {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return seconds < 86400 ? `${Math.round(seconds / 3600)} h` : `${Math.round(seconds / 86400)} d`;
}

// Which state a widget card is in, and the notes it carries. Pure functions over the API's widget, so
// that Node's test runner can check them without a page.
import { metricsOf } from "./format.js";

export const UNREADABLE = "This widget's data could not be read";

/** Returns why the widget's stored result cannot be read (the server's ``result_error``, or a shape the
 * server did not check: columns that are not a list, a row that is not a list of values), or "". A widget
 * built without data (no result) is not unreadable. */
export function unreadableReason(w) {
  if (!w) return UNREADABLE;
  if (w.result_error) return String(w.result_error);
  const result = w.result;
  if (result === null || result === undefined) return "";
  if (typeof result === "object" && !Array.isArray(result) && !Object.keys(result).length) return ""; // built without data
  if (typeof result !== "object" || Array.isArray(result) || !Array.isArray(result.columns)) return `${UNREADABLE}.`;
  if (result.rows !== undefined && !Array.isArray(result.rows)) return `${UNREADABLE}.`;
  const width = result.columns.length;
  const bad = (result.rows || []).findIndex((row) => !Array.isArray(row) || row.length !== width);
  return bad >= 0 ? `${UNREADABLE}: row ${bad + 1} is not a row of ${width} values.` : "";
}

/** Returns the widget's result with ``columns`` and ``rows`` always present ({} when built without data
 * or unreadable). */
export function resultOf(w) {
  const result = w && !unreadableReason(w) && w.result && Array.isArray(w.result.columns) ? w.result : { columns: [] };
  return { ...result, rows: Array.isArray(result.rows) ? result.rows : [] };
}

/** Returns a sparkline or totals table of the result when it has the shape of one, else null. */
export function tableOf(part) {
  if (!part || !Array.isArray(part.columns) || !Array.isArray(part.rows)) return null;
  return part.rows.every((row) => Array.isArray(row) && row.length === part.columns.length) ? part : null;
}

/** Returns what the card's body shows: "failure" (built without data, can be retried), "unreadable" (its
 * stored data has a shape nothing can read), "custom",
 * "custom-failure" (no component, or props that do not fit it), "empty", "kpi", "chart" or "table". */
export function bodyState(w) {
  if (w.can_retry) return "failure";
  if (unreadableReason(w)) return "unreadable";
  if (w.kind === "custom") return w.component_js && w.props ? "custom" : "custom-failure";
  if (resultOf(w).rows.length === 0) return "empty";
  return ["kpi", "chart", "table"].includes(w.kind) ? w.kind : "table";
}

/** Returns "No rows for Total paid in this window." for an empty result. */
export function emptyText(w) {
  const names = metricsOf(w).map((m) => m.name).filter(Boolean).join(" & ");
  return names ? `No rows for ${names} in this window.` : "No rows in this window.";
}

/** Returns the notes a card shows under its body, in order: [{kind, text}]. ``partial`` and
 * ``truncated`` say what the figures are, ``dictionary`` that the query was written again for an edited
 * dictionary; ``companion`` (a sparkline, totals or "all others" query that failed, or a ranking that shows
 * every group) and ``fill`` (empty periods not filled in) are quiet. */
export function cardNotes(w) {
  const state = bodyState(w);
  if (state === "failure" || state === "custom-failure" || state === "unreadable") return [];
  const result = resultOf(w);
  const notes = [];
  if (state !== "empty" && (result.partial_last || (w.interpretation && w.interpretation.partial_last))) {
    notes.push({ kind: "partial", text: partialText(w) });
  }
  if (result.truncated) {
    notes.push({ kind: "truncated", text: `Showing the first ${result.rows.length} rows; the query had more.` });
  }
  if (result.dictionary_note) notes.push({ kind: "dictionary", text: result.dictionary_note });
  if (result.sparkline_error) notes.push({ kind: "companion", text: `No trend line: ${result.sparkline_error}` });
  if (result.totals_error) notes.push({ kind: "companion", text: `No totals row: ${result.totals_error}` });
  for (const text of othersNotes(result)) notes.push({ kind: "companion", text });
  if (result.fill_note) notes.push({ kind: "fill", text: result.fill_note });
  return notes;
}

/** Returns what the card says of a ranking's "all others" row: why it is missing, that every group is shown,
 * or why it has no earlier value. */
function othersNotes(result) {
  const others = result.others && typeof result.others === "object" ? result.others : {};
  return [result.others_error, others.note, others.compare_error].filter((text) => typeof text === "string" && text);
}

function partialText(w) {
  const grain = (w.spec && w.spec.grain) || (resultOf(w).sparkline || {}).grain;
  if (w.kind === "kpi") return "This period is not over yet: the figure is the total so far.";
  return `The last ${grain || "period"} is not over yet: its figure is partial, marked on the chart.`;
}

/** Returns "good", "bad" or "neutral" for a change in ``direction`` of a metric whose ``upIsGood`` is
 * true, false or unknown (null: neither colour is claimed). */
export function deltaTone(direction, upIsGood) {
  if (direction === "flat" || upIsGood === null || upIsGood === undefined) return "neutral";
  return (direction === "up") === Boolean(upIsGood) ? "good" : "bad";
}

/** Returns the comparison period in words: "the quarter before", "the same period last year". */
export function compareWords(w) {
  const reading = (w.interpretation && w.interpretation.reading) || "";
  const at = reading.indexOf(" vs ");
  if (at >= 0) return reading.slice(at + 4);
  const kind = w.spec && w.spec.compare && w.spec.compare.kind;
  return kind === "previous_year" ? "the same period last year" : "the period before";
}

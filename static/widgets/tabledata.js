// A table widget's columns, sorting and pages. Pure functions (no DOM), checked by tests/js/.

import { dimensionKeys } from "./columns.js";
import { humanize } from "./format.js";
import { metricsOf } from "./format.js";
import { othersLabel, othersOf, othersTitle } from "./others-model.js";

export const PAGE_SIZE = 25;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}/;

/** The columns a comparison adds to a table (names no query column can have: they are not SQL identifiers). */
export const PREVIOUS = "·previous", CHANGE = "·change";

/** Returns ``result`` with the comparison's columns added when the widget compares and the server gave a
 * delta for each row: the primary metric in the earlier window (``PREVIOUS``) and the change (``CHANGE``,
 * the delta itself: {abs, pct}). A table never drops the comparison its title and reading name. */
export function withComparison(w, result) {
  const deltas = result && result.deltas;
  const spec = (w && w.spec) || {};
  if (!spec.compare || !result.compare || !Array.isArray(deltas) || !deltas.length || deltas.length !== result.rows.length) {
    return result;
  }
  return { ...result, columns: [...result.columns, PREVIOUS, CHANGE],
    rows: result.rows.map((row, i) => [...row, deltas[i].previous ?? null, deltas[i]]) };
}

/** Returns the words for the comparison's window in a header: "previous period" or "same period last year". */
export function comparedWith(spec) {
  return spec && spec.compare && spec.compare.kind === "previous_year" ? "same period last year" : "previous period";
}

/** Returns one descriptor per result column: {index, key, dimension, role, label, unit, numeric, additive}.
 * ``role`` is "metric" (a spec metric, by key; the last column when none matches), "period" (the time
 * bucket), "dimension" (``dimension`` is its spec key, as columns.js matches it) or "other". Labels come
 * from the server (dimension_labels, the spec's labels, by the dimension's key), or the key made readable. */
export function tableColumns(w, result) {
  const metrics = metricsOf(w);
  const spec = w.spec || {};
  const labels = { ...(spec.labels || {}), ...(w.dimension_labels || {}) };
  const anyMetric = result.columns.some((key) => metrics.some((m) => m.key === key));
  const skip = new Set(["period", ...metrics.map((m) => m.key)]);
  if (!anyMetric) skip.add(result.columns[result.columns.length - 1]);
  const dims = dimensionKeys(w, result.columns, skip);
  return result.columns.map((key, index) => {
    if (key === PREVIOUS || key === CHANGE) {
      const primary = metrics[0] || { name: "Value", unit: "count" };
      const label = key === PREVIOUS ? `${primary.name || "Value"}, ${comparedWith(spec)}` : `Change vs ${comparedWith(spec)}`;
      return { index, key, role: key === PREVIOUS ? "previous" : "change", label, unit: primary.unit || "count", numeric: true };
    }
    const numeric = result.rows.some((row) => typeof row[index] === "number");
    let metric = metrics.find((m) => m.key === key);
    if (!metric && !anyMetric && index === result.columns.length - 1) metric = metrics[0] || { name: humanize(key) };
    if (metric) {
      return { index, key, role: "metric", label: metric.name || humanize(key), unit: metric.unit || "count", numeric: true,
        additive: metric.additive };
    }
    const dimension = dims[index];
    const period = key === "period" || (spec.grain && !dimension
      && result.rows.length > 0 && result.rows.every((row) => row[index] === null || ISO_DATE.test(String(row[index]))));
    if (period) return { index, key, role: "period", label: labels[key] || (key === "period" ? humanize(spec.grain || key) : humanize(key)), numeric: false };
    const label = (dimension && labels[dimension]) || labels[key] || humanize(key);
    return { index, key, dimension, role: dimension ? "dimension" : "other", label, numeric };
  });
}

/** Returns the next sort after a click on ``column``: the other direction on the sorted column, else
 * largest first for numbers and A to Z for text. */
export function nextSort(current, column) {
  if (current && current.index === column.index) {
    return { index: column.index, direction: current.direction === "ascending" ? "descending" : "ascending" };
  }
  return { index: column.index, direction: column.numeric ? "descending" : "ascending" };
}

const missing = (v) => v === null || v === undefined || v === "";

/** Returns a sorted copy of ``rows`` by ``sort`` ({index, direction}); ``key(value)`` is what is compared
 * (a dimension's label, say). Empty values go last either way; equal rows keep their order. */
export function sortRows(rows, sort, key = (v) => v) {
  if (!sort) return rows.slice();
  const sign = sort.direction === "descending" ? -1 : 1;
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });
  const compare = (a, b) => {
    if (typeof a === "number" && typeof b === "number") return a - b;
    return collator.compare(String(a), String(b));
  };
  return rows
    .map((row, order) => ({ row, order, value: missing(row[sort.index]) ? null : key(row[sort.index]) }))
    .sort((a, b) => {
      if (a.value === null || b.value === null) return (a.value === null) - (b.value === null) || a.order - b.order;
      return sign * compare(a.value, b.value) || a.order - b.order;
    })
    .map((item) => item.row);
}

/** Returns the number of pages for ``total`` rows (at least one). */
export const pageCount = (total, size = PAGE_SIZE) => Math.max(1, Math.ceil(total / size));

/** Returns ``page`` (0-based) kept within the pages there are. */
export const clampPage = (page, total, size = PAGE_SIZE) => Math.min(Math.max(0, page), pageCount(total, size) - 1);

/** Returns the rows of page ``page`` (0-based). */
export function pageRows(rows, page, size = PAGE_SIZE) {
  const start = clampPage(page, rows.length, size) * size;
  return rows.slice(start, start + size);
}

/** Returns "Rows 26–50 of 120" ("No rows" for none). */
export function rangeText(page, total, size = PAGE_SIZE) {
  if (!total) return "No rows";
  const start = clampPage(page, total, size) * size;
  return `Rows ${start + 1}–${Math.min(total, start + size)} of ${total}`;
}

/** Returns what a sort means on this result: "Sorted within the 50 rows shown" once a truncated result is
 * sorted (so that no false "top" appears), else an empty string. */
export function sortNote(sort, result) {
  if (!sort || !result.truncated) return "";
  return `Sorted within the ${result.rows.length} rows shown`;
}

/** Returns the totals row the query computed, one value per table column (null where it has none), or
 * null when the result has no totals. Totals are never summed in the browser. */
export function totalsRow(result, columns) {
  const totals = result.totals;
  if (!totals || !Array.isArray(totals.columns) || !Array.isArray(totals.rows) || !Array.isArray(totals.rows[0])) return null;
  const row = totals.rows[0];
  return columns.map((c) => {
    const at = totals.columns.indexOf(c.key);
    return c.role === "metric" && at >= 0 ? row[at] : null;
  });
}

const plural = (word) => (/[sx]$/.test(word) ? `${word}es` : /[^aeiou]y$/.test(word) ? `${word.slice(0, -1)}ies` : `${word}s`);

/**
 * Returns what the totals row is, in words: {label, title}. "Total" only when the rows shown are the whole
 * result and every metric totalled adds up; over a ranked (top N) or truncated table an additive total is
 * "All products · whole window" (it does not add up to the rows shown); a metric that does not add up
 * (an average, a ratio) or whose additivity is unknown has an "Overall" figure, not a total.
 */
export function totalsLabel(w, result, columns, totals) {
  const spec = w.spec || {};
  const totalled = columns.filter((c, i) => c.role === "metric" && totals && totals[i] !== null && totals[i] !== undefined);
  const whole = !spec.ranking && !result.truncated;
  const additive = totalled.length > 0 && totalled.every((c) => c.additive === true);
  const key = columns.find((c) => c.role === "dimension" || c.role === "period");
  const rows = key ? plural(key.label.toLowerCase()) : "rows";
  if (!additive) {
    return { label: whole ? "Overall" : "Overall · whole window",
      title: `Each figure is the metric over the whole window, computed by the query (not a sum of the ${rows} shown).` };
  }
  if (whole) return { label: "Total", title: `The sum over all ${rows}, computed by the query.` };
  return { label: `All ${rows} · whole window`,
    title: `The figure for all ${rows} in the window, computed by the query: more than the ${result.rows.length} shown.` };
}

/** Returns the ranking's "all others" row the query computed: {label, title, cells} with one cell per table
 * column (the metrics' figures, and under a comparison the earlier value and the change), or null when the
 * result has none. It is drawn after the last ranked row, never sorted or paged with them. */
export function othersRow(w, result, columns) {
  const others = othersOf(result);
  if (!others) return null;
  const key = columns.find((c) => c.role === "dimension");
  const primary = metricsOf(w)[0];
  const cells = columns.map((c) => {
    if (c.role === "metric") return others.value(c.key);
    if (c.role === "previous") return others.delta ? others.delta.previous ?? null : others.earlier(primary && primary.key);
    if (c.role === "change") return others.delta;
    return null;
  });
  return { label: othersLabel(others, key ? key.label : ""), title: othersTitle(w.spec), cells };
}

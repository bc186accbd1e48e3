// What a widget's chart shows, read from its spec and result: the x buckets or categories, the series
// (per metric, or per value of a split dimension), the comparison aligned by position, the partial bucket
// and the notes that say what was left out. Pure, no DOM and no ECharts: charts.js turns it into options,
// and tests/js/chart-model.test.mjs checks it.
import { dimensionKeys } from "./columns.js";
import { bucketLabel, labelFor, metricsOf, needsYear, partialIndex, periods, shorten, toNumber } from "./format.js";
import { othersLabel, othersOf } from "./others-model.js";

export const MAX_SLICES = 20;
// More bars than this are unreadable on a card: the largest are drawn, the notes say so, the table has all.
export const MAX_CATEGORIES = 30;
export const LABEL_CHARS = 24;
// The x key of a ranking's "all others" category: no value a query returns (a NULL group's key is null).
export const OTHERS_KEY = "\u0000all others";
export const CARTESIAN = new Set(["line", "area", "stacked_area", "bar", "horizontal_bar", "stacked_bar"]);

/** Returns {column, key, index}[] for the result's dimension columns, in order; `key` is the dictionary key. */
function dimensionColumns(widget, metricKeys) {
  const columns = widget.result.columns;
  const keys = dimensionKeys(widget, columns, new Set(["period", ...metricKeys]));
  return columns
    .map((column, index) => ({ column, index, key: keys[index] || column }))
    .filter(({ column }) => column !== "period" && !metricKeys.includes(column));
}

const dimensionLabel = (dim, code, widget) => labelFor(dim.key, code, widget);
/** A dimension's name as the server or the spec says it ("region"), never its key ("regions.name"). */
const dimensionName = (widget, key) => (widget.dimension_labels || {})[key] || ((widget.spec || {}).labels || {})[key]
  || key.replaceAll("_", " ");

/** Returns the metric's column index in the result, or -1. */
const metricColumn = (columns, metric) => columns.indexOf(metric.key);

/**
 * Returns the chart's model: {kind, x: {keys, labels, longLabels, time}, series: [{name, metric, values,
 * split}], compare: [{name, metric, values}], partial, notes, metrics, horizontal, others}. Values are numbers or
 * null, aligned with x.keys; ``others`` is the index of a ranking's "all others" category, when it has one.
 */
export function chartModel(widget) {
  const spec = widget.spec || {};
  const kind = spec.chart_type || "bar";
  const result = widget.result || { columns: [], rows: [] };
  const metrics = metricsOf(widget).filter((m) => metricColumn(result.columns, m) >= 0);
  const notes = [];
  if (result.truncated) notes.push(`Only the first ${result.rows.length} rows are drawn: the result was cut at the row cap.`);
  if (!metrics.length) return { kind, x: emptyX(), series: [], compare: [], partial: null, notes, metrics };
  const dims = dimensionColumns(widget, metrics.map((m) => m.key));
  if (kind === "pie" || kind === "donut") return pieModel(widget, kind, metrics[0], dims, notes);
  if (kind === "scatter") return scatterModel(widget, metrics, dims, notes);
  return cartesianModel(widget, kind, metrics, dims, notes);
}

const emptyX = () => ({ keys: [], labels: [], longLabels: [], time: false });

function xAxisOf(widget, rows, dims) {
  const result = widget.result;
  const grain = widget.spec && widget.spec.grain;
  if (result.columns.includes("period")) {
    const keys = periods({ columns: result.columns, rows });
    const withYear = needsYear(keys);
    return {
      at: result.columns.indexOf("period"), time: true, keys,
      labels: keys.map((k) => bucketLabel(k, grain, { withYear })),
      longLabels: keys.map((k) => bucketLabel(k, grain, { long: true })),
    };
  }
  const dim = dims[0];
  const keys = [...new Set(rows.map((row) => row[dim.index]))];
  const longLabels = keys.map((k) => dimensionLabel(dim, k, widget));
  // A long label is cut on the axis (it would hide its neighbours); the tooltip shows it whole.
  return { at: dim.index, time: false, keys, labels: longLabels.map((l) => shorten(l, LABEL_CHARS)), longLabels, dim };
}

/** Returns, per series, its values aligned with x: one series per metric, or per value of the split. */
function seriesOf(widget, rows, x, metrics, split) {
  const columns = widget.result.columns;
  const position = new Map(x.keys.map((k, i) => [String(k), i]));
  if (!split) {
    return metrics.map((metric) => {
      const values = x.keys.map(() => null);
      const at = metricColumn(columns, metric);
      for (const row of rows) {
        const i = position.get(String(row[x.at]));
        if (i !== undefined) values[i] = toNumber(row[at]);
      }
      return { name: metric.name, metric, values, split: null };
    });
  }
  const metric = metrics[0];
  const at = metricColumn(columns, metric);
  const groups = new Map();
  for (const row of rows) {
    const code = row[split.index];
    if (!groups.has(String(code))) {
      groups.set(String(code), { name: dimensionLabel(split, code, widget), metric, values: x.keys.map(() => null), split: code });
    }
    const i = position.get(String(row[x.at]));
    if (i !== undefined) groups.get(String(code)).values[i] = toNumber(row[at]);
  }
  return [...groups.values()];
}

function compareName(widget) {
  const compare = widget.spec && widget.spec.compare;
  return compare && compare.kind === "previous_year" ? "same period last year" : "previous period";
}

/**
 * Returns the comparison series: the `result.compare` rows laid over the current ones by position (the
 * n-th bucket with the n-th bucket), or by category for a breakdown.
 */
function compareOf(widget, x, series, metrics, dims, split) {
  const before = widget.result.compare;
  if (!before || !Array.isArray(before.rows) || !before.rows.length) return [];
  const shaped = { ...widget, result: { ...widget.result, ...before, compare: null } };
  const beforeX = xAxisOf(shaped, before.rows, dims);
  const aligned = x.time
    ? { ...beforeX, keys: beforeX.keys.slice(0, x.keys.length) }
    : { ...beforeX, keys: x.keys };
  const previous = seriesOf(shaped, before.rows, aligned, metrics, split);
  const suffix = compareName(widget);
  return previous
    .map((s) => ({ ...s, name: `${s.name} (${suffix})`, values: x.keys.map((_, i) => (i < s.values.length ? s.values[i] : null)) }))
    .filter((s) => series.some((current) => String(current.split) === String(s.split)));
}

function cartesianModel(widget, kind, metrics, dims, notes) {
  const rows = widget.result.rows;
  const x = xAxisOf(widget, rows, dims);
  const split = x.time ? dims[0] : dims[1];
  if (split && metrics.length > 1) notes.push(`Split by ${dimensionName(widget, split.key)}: only ${metrics[0].name} is drawn.`);
  const series = seriesOf(widget, rows, x, split ? metrics.slice(0, 1) : metrics, split);
  const compare = compareOf(widget, x, series, split ? metrics.slice(0, 1) : metrics, dims, split);
  const partial = x.time ? partialIndex(widget) : null;
  if (partial !== null) notes.push(`${x.longLabels[partial]} is not over yet: its figure is partial.`);
  const drawn = split ? metrics.slice(0, 1) : metrics;
  const model = { kind, x, series, compare, partial, notes, metrics: drawn, horizontal: kind === "horizontal_bar" };
  return x.time || split ? model : withOthers(widget, capCategories(model));
}

/** Returns the model with the ranking's "all others" row as its last category (``others`` its index), the
 * query's figure for each series and its earlier value for each comparison series; the model as it is when
 * the result has no such row. */
function withOthers(widget, model) {
  const others = othersOf(widget.result);
  if (!others) return model;
  const label = othersLabel(others, model.x.dim ? dimensionName(widget, model.x.dim.key) : "");
  return {
    ...model,
    x: { ...model.x, keys: [...model.x.keys, OTHERS_KEY], labels: [...model.x.labels, shorten(label, LABEL_CHARS)],
      longLabels: [...model.x.longLabels, label] },
    series: model.series.map((s) => ({ ...s, values: [...s.values, toNumber(others.value(s.metric.key))] })),
    compare: model.compare.map((s) => ({ ...s, values: [...s.values, toNumber(others.earlier(s.metric.key))] })),
    others: model.x.keys.length,
  };
}

/** Returns the model with at most MAX_CATEGORIES categories: the largest by the drawn values (summed over
 * the series), in their order, with a note that says how many are left out and where they are. */
function capCategories(model) {
  const count = model.x.keys.length;
  if (count <= MAX_CATEGORIES) return model;
  const size = (i) => model.series.reduce((sum, s) => sum + Math.abs(s.values[i] || 0), 0);
  const kept = new Set([...model.x.keys.keys()].sort((a, b) => size(b) - size(a) || a - b).slice(0, MAX_CATEGORIES));
  const pick = (list) => list.filter((_, i) => kept.has(i));
  const by = model.metrics.map((m) => m.name).join(" + ");
  model.notes.push(`The ${MAX_CATEGORIES} largest of ${count} categories by ${by} are drawn; all ${count} are in the table.`);
  return {
    ...model,
    x: { ...model.x, keys: pick(model.x.keys), labels: pick(model.x.labels), longLabels: pick(model.x.longLabels) },
    series: model.series.map((s) => ({ ...s, values: pick(s.values) })),
    compare: model.compare.map((s) => ({ ...s, values: pick(s.values) })),
    capped: { drawn: MAX_CATEGORIES, of: count },
  };
}

/** Returns a pie's slices, at most MAX_SLICES: the rest grouped as one (additive metrics) or left out, said. */
function pieModel(widget, kind, metric, dims, notes) {
  const { columns, rows } = widget.result;
  const at = metricColumn(columns, metric);
  const dim = dims[0] || { index: columns.indexOf("period"), key: "period", column: "period" };
  let slices = rows
    .map((row) => ({ name: dimensionLabel(dim, row[dim.index], widget), code: row[dim.index], value: toNumber(row[at]) }))
    .filter((s) => s.value !== null);
  const negative = slices.filter((s) => s.value < 0).length;
  if (negative) notes.push(`${negative} negative value${negative > 1 ? "s are" : " is"} left out: a pie shows shares.`);
  slices = slices.filter((s) => s.value >= 0).sort((a, b) => b.value - a.value);
  let leftOut = 0;
  if (slices.length > MAX_SLICES) {
    const rest = slices.slice(MAX_SLICES - 1);
    if (metric.additive === true) {
      const value = rest.reduce((sum, s) => sum + s.value, 0);
      slices = [...slices.slice(0, MAX_SLICES - 1), { name: `All others (${rest.length}, added up here)`, code: null, value, others: true }];
      notes.push(`“All others” adds up the ${rest.length} smallest slices in the browser; it is not a figure of the query.`);
    } else {
      notes.push(`The ${MAX_SLICES - 1} largest of ${slices.length} slices are drawn; ${rest.length} are left out.`);
      slices = slices.slice(0, MAX_SLICES - 1);
      leftOut = rest.length;
    }
  }
  const others = othersOf(widget.result);
  const rest = others ? toNumber(others.value(metric.key)) : null;
  if (rest !== null && rest >= 0) {
    slices = [...slices, { name: othersLabel(others, dimensionName(widget, dim.key)), code: null, value: rest, others: true, query: true }];
  }
  const share = pieShare(widget, metric, slices, { negative, leftOut });
  if (share.note) notes.push(share.note);
  if (widget.result.compare) notes.push("The comparison is not drawn on a pie.");
  const longLabels = slices.map((s) => s.name);
  const x = { keys: slices.map((s) => s.code), labels: longLabels.map((l) => shorten(l, LABEL_CHARS)), longLabels, time: false };
  return { kind, x, slices, share, series: [{ name: metric.name, metric, values: slices.map((s) => s.value) }], compare: [], partial: null, notes, metrics: [metric] };
}

/**
 * Returns what a pie's percentages are a share of: {total, words, note}. Of all (the query's totals row,
 * when the result has one) is "of all"; else the drawn slices are the whole only when nothing was ranked,
 * cut or left out, and otherwise the share is said to be "of the top 5" or "of the 12 slices shown".
 */
function pieShare(widget, metric, slices, { negative, leftOut }) {
  const result = widget.result;
  const totals = result.totals;
  const at = totals && Array.isArray(totals.columns) ? totals.columns.indexOf(metric.key) : -1;
  const all = at >= 0 && Array.isArray(totals.rows) && Array.isArray(totals.rows[0]) ? toNumber(totals.rows[0][at]) : null;
  if (all !== null && all > 0) return { total: all, words: "of all", note: "" };
  const drawn = slices.reduce((sum, s) => sum + s.value, 0);
  const ranking = widget.spec && widget.spec.ranking;
  // The query's "all others" slice makes a ranking's slices the whole of it.
  const whole = (!ranking || slices.some((s) => s.query)) && !result.truncated && !negative && !leftOut;
  if (whole) return { total: drawn, words: "of all", note: "" };
  const words = ranking && ranking.n ? `of the ${ranking.direction || "top"} ${ranking.n}` : `of the ${slices.length} slices shown`;
  return { total: drawn, words, note: `Percentages are shares ${words}, not of all ${metric.name}: the rest is not in the result.` };
}

/** Returns a scatter's points, [x metric, y metric] per row, named by the row's dimensions. */
function scatterModel(widget, metrics, dims, notes) {
  const { columns, rows } = widget.result;
  if (metrics.length < 2) {
    notes.push("A scatter chart needs two metrics.");
    return { kind: "scatter", x: emptyX(), series: [], compare: [], partial: null, notes, metrics };
  }
  const [mx, my] = metrics;
  const split = dims[1];
  const groups = new Map();
  for (const row of rows) {
    const key = split ? String(row[split.index]) : "";
    if (!groups.has(key)) groups.set(key, { name: split ? dimensionLabel(split, row[split.index], widget) : `${my.name} against ${mx.name}`, points: [] });
    const name = dims[0] ? dimensionLabel(dims[0], row[dims[0].index], widget)
      : bucketLabel(row[columns.indexOf("period")], widget.spec && widget.spec.grain, { long: true });
    const px = toNumber(row[metricColumn(columns, mx)]);
    const py = toNumber(row[metricColumn(columns, my)]);
    if (px !== null && py !== null) groups.get(key).points.push({ name, value: [px, py] });
  }
  if (widget.result.compare) notes.push("The comparison is not drawn on a scatter chart.");
  const series = [...groups.values()].map((g) => ({ name: g.name, metric: my, points: g.points, values: g.points.map((p) => p.value) }));
  return { kind: "scatter", x: emptyX(), series, compare: [], partial: null, notes, metrics: [mx, my] };
}

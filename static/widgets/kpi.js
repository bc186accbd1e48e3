// A KPI card's body: the value formatted by its unit, the change against the comparison period (absolute
// and %, coloured by whether up is good for the metric, with an arrow too), and the sparkline.

import { drawSparkline } from "./charts.js";
import { el } from "./dom.js";
import { bucketLabel, formatDelta, formatValue, isBigInteger, metricsOf, toNumber } from "./format.js";
import { compareWords, deltaTone, tableOf } from "./states.js";

const ARROWS = { up: "▲", down: "▼", flat: "▶" };

/** Returns the column of ``result`` that holds the metric: its key's, or the last. */
const valueColumn = (result, key) => (result.columns.includes(key) ? result.columns.indexOf(key) : result.columns.length - 1);

/** One row; a million or more is shown compact ("$381.4M") so it fits the card, with the exact figure
 * beneath and in the tooltip. */
export function kpiView(w, result, meta) {
  const metric = metricsOf(w)[0] || {};
  const unit = metric.unit || "count";
  const raw = result.rows[0][valueColumn(result, metric.key)];
  // NaN, Infinity, null or text: no figure is made up; the card says why there is none.
  const number = typeof raw === "number" || isBigInteger(raw) || (typeof raw === "string" && toNumber(raw) !== null);
  const missing = !number || toNumber(raw) === null;
  const exact = formatValue(raw, unit, meta);
  const big = !missing && Math.abs(toNumber(raw)) >= 1e6;
  const value = { "data-testid": "kpi-value", "data-value": raw === null || raw === undefined ? "" : String(raw), title: exact };
  return el("div", { className: "kpi" },
    el("p", { className: "kpi-value", ...value, text: big ? formatValue(raw, unit, meta, { compact: true }) : exact }),
    missing ? el("p", { className: "kpi-missing", role: "note", "data-testid": "kpi-missing",
      text: raw === null || raw === undefined ? "The query returned no number." : `The query returned no number (it returned “${String(raw).slice(0, 40)}”).` }) : null,
    big ? el("p", { className: "kpi-exact", "data-testid": "kpi-exact", text: exact }) : null,
    metric.name ? el("p", { className: "kpi-label", text: metric.name }) : null,
    deltaView(w, result, meta, metric),
    sparklineView(w, result, meta, metric));
}

function deltaView(w, result, meta, metric) {
  const delta = Array.isArray(result.deltas) ? result.deltas[0] : null;
  if (!delta || typeof delta !== "object") return null;
  const unit = metric.unit || "count";
  const { abs, pct, direction } = formatDelta(delta, unit, meta);
  const tone = deltaTone(direction, metric.up_is_good);
  const verdict = { good: "an improvement", bad: "a worsening", neutral: "" }[tone];
  const previous = toNumber(delta.previous) === null ? "" : `${formatValue(delta.previous, unit, meta)} `;
  return el("p", { className: `kpi-delta delta-${tone}`, "data-testid": "kpi-delta", "data-direction": direction,
    "data-tone": tone },
    el("span", { className: "delta-arrow", "aria-hidden": "true", text: ARROWS[direction] }),
    el("span", { className: "delta-abs", "data-testid": "kpi-delta-abs", text: abs }),
    pct ? el("span", { className: "delta-pct", "data-testid": "kpi-delta-pct", text: `(${pct})` }) : null,
    verdict ? el("span", { className: "visually-hidden", text: `, ${verdict}` }) : null,
    el("span", { className: "delta-compare", "data-testid": "kpi-compare", text: `vs ${previous}${compareWords(w)}` }));
}

/** The metric over the window at the sparkline's grain, drawn once the card is on the page; nothing
 * when the result has no sparkline (a companion query that failed says so in the card's notes). */
function sparklineView(w, result, meta, metric) {
  const line = tableOf(result.sparkline);
  if (!line || line.rows.length < 2) return null;
  const at = line.columns.includes("period") ? line.columns.indexOf("period") : 0;
  const value = valueColumn(line, metric.key);
  const points = line.rows.map((row) => [row[at], row[value]]);
  const box = el("div", { className: "kpi-sparkline", "data-testid": "sparkline" });
  const partial = Boolean(line.partial_last);
  const partialFirst = Boolean(line.partial_first);
  requestAnimationFrame(() => {
    drawSparkline(box, points, meta, { unit: metric.unit || "count", partial, partialFirst }).catch(() => box.remove());
  });
  const grain = line.grain || (w.spec && w.spec.grain) || "period";
  return el("div", { className: "kpi-trend" }, box,
    el("p", { className: "kpi-trend-note", "data-testid": "sparkline-note", text: trendNote(line, result, grain, partial, partialFirst) }));
}

/** Returns "Trend by month, 3 Dec 2025 – 2 Dec 2026; the first and last months are partial (dashed)." The
 * sparkline's own dates are said whenever they are not the KPI's window (a result stored before the
 * sparkline bound it), so that a trend over other days is never taken for the figure's. */
function trendNote(line, result, grain, partial, partialFirst) {
  const own = line.window && typeof line.window === "object" ? line.window : null;
  const kpi = result.window && typeof result.window === "object" ? result.window : null;
  const same = own && kpi && own.start === kpi.start && own.end === kpi.end;
  const dates = own && own.start && own.end && !same ? `, ${windowText(own)} (not the figure's dates)` : "";
  const cut = partialFirst && partial ? `; the first and last ${grain}s are partial (dashed)`
    : partialFirst ? `; the first ${grain} is partial (dashed)` : partial ? `; the last ${grain} is partial (dashed)` : "";
  return `Trend by ${grain}${dates}${cut}.`;
}

/** Returns "1 Jan – 2 Dec 2026" for a window {start, end} whose end is exclusive. */
function windowText(window) {
  const end = new Date(`${window.end}T00:00:00Z`);
  end.setUTCDate(end.getUTCDate() - 1);
  const last = end.toISOString().slice(0, 10);
  return `${bucketLabel(window.start, "day", { long: true })} – ${bucketLabel(last, "day", { long: true })}`;
}

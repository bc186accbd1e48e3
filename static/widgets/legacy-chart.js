// A stand-in for charts.js (ECharts) until it lands: the old SVG charts of chart.js, a classic script
// that hangs createWidgetChart on window, behind charts.js's interface. No sparkline is drawn.

import { el, svg } from "./dom.js";
import { formatValue, humanize, toNumber } from "./format.js";
import { metricsOf, resultOf } from "./states.js";

const MIDNIGHT = /^(\d{4}-\d{2}-\d{2})T00:00:00(\.0+)?(Z|[+-]00:?00)?$/;
const formatLabel = (v) => (v === null || v === undefined ? "—" : String(v).replace(MIDNIGHT, "$1"));

/** Draws the widget's chart into ``container``. */
export async function drawChart(container, widget, meta) {
  if (!window.createWidgetChart) return;
  const { chartView } = window.createWidgetChart({
    el, svg, formatLabel, humanize, toNumber,
    formatValue: (value, unit, compact) => formatValue(value, unit, meta, { compact }),
    metricOf: (w) => metricsOf(w)[0] || {},
    unitOf: (w) => (metricsOf(w)[0] || {}).unit || "count",
  });
  container.append(chartView(widget, resultOf(widget)));
}

/** Draws nothing: the old charts had no sparkline. */
export async function drawSparkline() {
  throw new Error("no sparkline without charts.js");
}

export function disposeChart() {}

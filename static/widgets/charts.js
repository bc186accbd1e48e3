// Widget charts drawn by Apache ECharts (vendored from npm, served as static/vendor/echarts/...).
// The page's policy refuses inline styles, so only the canvas renderer and rich-text tooltips are used:
// ECharts' HTML tooltips and SVG renderer write `style` attributes. Unit formats and the palette come
// from the server's #ui-meta. After each render a chart's container says what was drawn:
// data-chart-kind, data-drawn-series ("line,line"), data-drawn-points ("12,12") and data-drawn="true".
import * as echarts from "../vendor/echarts/echarts.esm.min.js";
import { CARTESIAN, chartModel } from "./chart-model.js";
import { axisTitle, chartText, formatValue, humanize, toNumber, unitLabel } from "./format.js";

const charts = new Map(); // container -> {chart, resize}
const PARTIAL_ID = "partial:"; // helper series that draw a partial bucket's dashed segment; not data
const TEXT = "#5b6675";
const MUTED = "#9aa4b2";
const OTHERS = "#c3cad4"; // a ranking's "all others" bar or slice: grey, whatever the palette
// ECharts' own colours, used only when the server sent no palette.
const DEFAULT_PALETTE = ["#5470c6", "#91cc75", "#fac858", "#ee6666", "#73c0de", "#3ba272", "#fc8452", "#9a60b4", "#ea7ccc"];

const reducedMotion = () => window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
const palette = (meta) => (meta && Array.isArray(meta.palette) && meta.palette.length ? meta.palette : undefined);

function kindLabel(kind, meta) {
  const label = (meta && meta.chart_kinds && meta.chart_kinds[kind]) || humanize(kind);
  return /chart$/i.test(label) ? label : `${label} chart`;
}

/** Returns the value axes: one per distinct unit of the drawn metrics; a third unit's sits beside the second. */
function valueAxes(metrics, meta, horizontal) {
  const units = [...new Set(metrics.map((m) => m.unit || "count"))];
  const axes = units.map((unit, i) => ({
    type: "value",
    // One axis names its metrics; beside others an axis names only its unit (the legend names the series).
    name: chartText(units.length > 1 && i > 0 ? unitLabel(unit, meta)
      : axisTitle(metrics.filter((m) => (m.unit || "count") === unit).map((m) => m.name).join(", "), unit, meta)),
    // A vertical axis's name sits above it, where a long name has room; a horizontal one's below.
    nameLocation: horizontal ? "middle" : "end", nameGap: horizontal ? 28 : 14,
    nameTextStyle: { color: TEXT, align: horizontal ? "center" : (i ? "right" : "left") },
    position: horizontal ? (i ? "top" : "bottom") : (i ? "right" : "left"), offset: i === 2 ? 64 : 0,
    axisLabel: { color: TEXT, formatter: (v) => formatValue(v, unit, meta, { compact: true }) },
    splitLine: { show: i === 0 },
  }));
  const axisOf = (metric) => Math.max(units.indexOf(metric.unit || "count"), 0);
  return { axes, axisOf };
}

function categoryAxis(model, horizontal) {
  const many = model.x.labels.length > 8;
  return {
    // Labels come cut to a readable length (chart-model.js); "truncate" keeps each on one line, so that no
    // label covers its neighbours. The tooltip shows the whole label.
    type: "category", data: model.x.labels.map(chartText), inverse: horizontal,
    axisLabel: horizontal
      ? { color: TEXT, width: 150, overflow: "truncate" }
      : { color: TEXT, hideOverlap: true, rotate: many && !model.x.time ? 30 : 0, width: many ? 110 : 140, overflow: "truncate" },
    axisTick: { alignWithLabel: true },
  };
}

/** Returns a cartesian series' data items; a partial bucket's bar is hatched, its point hollow. */
function dataItems(values, model, bar) {
  return values.map((v, i) => {
    if (v === null) return "-";
    if (i === model.others) return bar ? { value: v, itemStyle: { color: OTHERS } } : { value: v, symbol: "diamond", symbolSize: 8 };
    if (i !== model.partial) return v;
    return bar
      ? { value: v, itemStyle: { opacity: 0.55, decal: { symbol: "rect", symbolSize: 1, dashArrayX: [1, 0], dashArrayY: [3, 5], rotation: -Math.PI / 4, color: "rgba(255,255,255,0.7)" } } }
      : { value: v, symbol: "emptyCircle", symbolSize: 8 };
  });
}

function cartesianSeries(model, axisOf, horizontal) {
  const bar = model.kind.includes("bar");
  const stack = model.kind.startsWith("stacked") ? "total" : undefined;
  const axisKey = horizontal ? "xAxisIndex" : "yAxisIndex";
  const out = [];
  model.series.forEach((s, i) => {
    const dashed = !bar && !stack && model.partial !== null && model.partial > 0;
    const values = s.values.map((v, j) => (dashed && j === model.partial ? null : v));
    out.push({
      id: `s${i}`, name: chartText(s.name), type: bar ? "bar" : "line", stack, [axisKey]: axisOf(s.metric),
      data: dataItems(bar ? s.values : values, model, bar), showSymbol: model.x.keys.length <= 40,
      areaStyle: model.kind.includes("area") ? { opacity: stack ? 0.75 : 0.25 } : undefined,
      label: bar && model.series.length === 1 && model.x.keys.length <= 12
        ? { show: true, position: horizontal ? "right" : "top", color: TEXT, formatter: (p) => formatValue(p.value, s.metric.unit, model.meta, { compact: true }) }
        : undefined,
      emphasis: { focus: "series" }, barMaxWidth: 48,
    });
    if (dashed) {
      // The partial bucket's segment, dashed: same name (one legend entry), drawn from the bucket before.
      // Stacked series keep their solid line (a helper would stack on top of them) and show the band.
      const data = s.values.map((v, j) => (j === model.partial - 1 || j === model.partial ? (v === null ? "-" : v) : "-"));
      out.push({ id: `${PARTIAL_ID}s${i}`, name: chartText(s.name), type: "line", [axisKey]: axisOf(s.metric), data: dataItems(data, model, false),
        lineStyle: { type: "dashed" }, areaStyle: model.kind.includes("area") ? { opacity: 0.12 } : undefined, tooltip: { show: false },
        z: 3 }); // ECharts gives a series name its colour, so the helper matches the series
    }
  });
  model.compare.forEach((s, i) => {
    // The earlier period in its current series' colour, muted and dashed.
    const current = model.series.findIndex((c) => String(c.split) === String(s.split) && c.metric.key === s.metric.key);
    const color = model.colors[Math.max(current, 0) % model.colors.length];
    out.push({
      id: `c${i}`, name: chartText(s.name), type: bar ? "bar" : "line", [axisKey]: axisOf(s.metric), data: s.values.map((v) => (v === null ? "-" : v)),
      itemStyle: { color, opacity: 0.4 }, lineStyle: { color, type: "dashed", width: 1.5, opacity: 0.8 }, showSymbol: false, z: 1, barMaxWidth: 48,
    });
  });
  return out;
}

/** Returns the rich-text tooltip of one x position: its long label, then each series' exact figure. */
function axisTooltip(model, meta) {
  return (params) => {
    const list = Array.isArray(params) ? params : [params];
    const i = list.length ? list[0].dataIndex : 0;
    // Every text from the data goes through chartText: rich-text markup or a newline in a label never
    // restyles the tooltip nor starts a line of its own.
    const lines = [`${chartText(model.x.longLabels[i])}${i === model.partial ? " (partial)" : ""}`];
    for (const s of [...model.series, ...model.compare]) {
      lines.push(`${chartText(s.name)}: ${formatValue(s.values[i], s.metric.unit, meta)}`);
    }
    return lines.join("\n");
  };
}

function cartesianOption(model, meta) {
  const horizontal = model.horizontal;
  const { axes, axisOf } = valueAxes(model.metrics, meta, horizontal);
  const category = categoryAxis(model, horizontal);
  return {
    xAxis: horizontal ? axes : category,
    yAxis: horizontal ? category : axes,
    series: cartesianSeries({ ...model, meta, colors: palette(meta) || DEFAULT_PALETTE }, axisOf, horizontal),
    tooltip: { trigger: "axis", formatter: axisTooltip(model, meta), axisPointer: { type: model.kind.includes("bar") ? "shadow" : "line" } },
    markPartial: model.partial,
  };
}

function pieOption(model, meta) {
  const metric = model.metrics[0];
  // A share of what the model says (all, from the query's totals; or the top N / the slices shown, said).
  const { total, words } = model.share;
  const share = (v) => (total ? formatValue(v / total, "percent", meta) : "—");
  const label = (p) => chartText(model.x.labels[p.dataIndex]);
  return {
    series: [{
      id: "s0", name: chartText(metric.name), type: "pie", radius: model.kind === "donut" ? ["45%", "70%"] : [0, "70%"],
      center: ["50%", "46%"],
      data: model.slices.map((s) => ({ name: chartText(s.name), value: s.value, itemStyle: s.query ? { color: OTHERS } : undefined })),
      label: { color: TEXT, fontSize: 11, lineHeight: 14, formatter: (p) => `${label(p)}\n${share(p.value)}${words === "of all" ? "" : "*"}`,
        overflow: "truncate", width: 130 },
      labelLayout: { hideOverlap: true }, minShowLabelAngle: 6, avoidLabelOverlap: true,
    }],
    tooltip: { trigger: "item", formatter: (p) => `${p.name}\n${chartText(metric.name)}: ${formatValue(p.value, metric.unit, meta)} (${share(p.value)} ${words})` },
  };
}

function scatterOption(model, meta) {
  const [mx, my] = model.metrics;
  const axis = (metric) => ({
    type: "value", name: chartText(axisTitle(metric.name, metric.unit, meta)), nameLocation: "middle", nameGap: 40,
    nameTextStyle: { color: TEXT }, scale: true, axisLabel: { color: TEXT, formatter: (v) => formatValue(v, metric.unit, meta, { compact: true }) },
  });
  return {
    // Room outside the labels for the axes' names (ECharts' containLabel leaves the names out).
    grid: { left: 36, right: 16, top: 16, bottom: 40, containLabel: true },
    xAxis: axis(mx), yAxis: { ...axis(my), nameGap: 52 },
    series: model.series.map((s, i) => ({ id: `s${i}`, name: chartText(s.name), type: "scatter",
      data: s.points.map((pt) => ({ ...pt, name: chartText(pt.name) })), symbolSize: 9 })),
    tooltip: { trigger: "item", formatter: (p) => `${p.name}\n${chartText(mx.name)}: ${formatValue(p.value[0], mx.unit, meta)}\n${chartText(my.name)}: ${formatValue(p.value[1], my.unit, meta)}` },
  };
}

/** Returns the chart's accessible summary: kind, what is measured over what, the range and the notes. */
export function chartSummary(widget, model, meta) {
  const names = model.metrics.map((m) => m.name).join(", ");
  const count = model.kind === "pie" || model.kind === "donut" ? `${model.slices.length} slices`
    : `${model.series.length} series of ${model.x.keys.length || model.series.reduce((n, s) => n + s.values.length, 0)} points`;
  const range = model.x.time && model.x.keys.length ? `, ${model.x.longLabels[0]} to ${model.x.longLabels[model.x.keys.length - 1]}` : "";
  const compare = model.compare.length ? `, compared with the ${model.compare[0].name.replace(/.*\(|\)$/g, "")}` : "";
  return [`${kindLabel(model.kind, meta)}: ${names || widget.spec?.title || "no data"}, ${count}${range}${compare}.`, ...model.notes].join(" ");
}

function baseOption(widget, model, meta) {
  const option = model.kind === "pie" || model.kind === "donut" ? pieOption(model, meta)
    : model.kind === "scatter" ? scatterOption(model, meta) : cartesianOption(model, meta);
  // A pie's labels name its slices; other charts need a legend once there are two series.
  const legendShown = option.series.filter((s) => !String(s.id).startsWith(PARTIAL_ID)).length > 1;
  const thirdAxis = Array.isArray(option.yAxis) && option.yAxis.length > 2;
  const noteLines = model.notes.length;
  if (option.markPartial !== null && option.markPartial !== undefined) {
    const label = chartText(model.x.labels[option.markPartial]);
    const first = option.series[0];
    first.markArea = { silent: true, itemStyle: { color: "rgba(154,164,178,0.14)" }, label: { show: true, color: MUTED, position: "insideTop", formatter: "partial" },
      data: [[model.horizontal ? { yAxis: label } : { xAxis: label }, model.horizontal ? { yAxis: label } : { xAxis: label }]] };
  }
  delete option.markPartial;
  option.tooltip = { ...option.tooltip, renderMode: "richText", triggerOn: "mousemove|click", confine: true, textStyle: { fontSize: 12 } };
  return {
    ...option,
    color: palette(meta),
    animation: !reducedMotion(),
    textStyle: { fontFamily: "system-ui, -apple-system, Segoe UI, Roboto, sans-serif" },
    aria: { enabled: true, label: { description: chartSummary(widget, model, meta) } },
    legend: legendShown ? { type: "scroll", bottom: noteLines ? 4 + 16 * noteLines : 4, textStyle: { color: TEXT }, data: [...new Set(option.series.map((s) => s.name))] } : { show: false },
    grid: { left: 16, right: thirdAxis ? 88 : 24, top: 36, bottom: (legendShown ? 32 : 8) + (model.horizontal ? 24 : 0) + 16 * noteLines, containLabel: true },
    graphic: noteLines ? [{ type: "text", left: 12, bottom: 6, silent: true, style: { text: model.notes.map(chartText).join("\n"), fill: TEXT, fontSize: 12, lineHeight: 16 } }] : [],
  };
}

const present = (d) => {
  const v = d && typeof d === "object" && !Array.isArray(d) ? d.value : d;
  return Array.isArray(v) ? v.every((n) => toNumber(n) !== null) : toNumber(v) !== null;
};

/**
 * Sets what ECharts drew on the container, from the options it holds (not from the data given). A
 * partial bucket's dashed helper is not a series of its own: its point counts for the series it ends.
 */
function observe(container, chart, kind) {
  const all = chart.getOption().series || [];
  const drawn = all.filter((s) => !String(s.id).startsWith(PARTIAL_ID));
  const points = drawn.map((s) => {
    const helper = all.find((h) => h.id === `${PARTIAL_ID}${s.id}`);
    return (s.data || []).filter((d, i) => present(d) || (helper && present(helper.data[i]))).length;
  });
  container.dataset.chartKind = kind;
  container.dataset.drawnSeries = drawn.map((s) => s.type).join(",");
  container.dataset.drawnPoints = points.join(",");
  container.dataset.drawn = "true";
}

function mount(container, option, kind, label) {
  disposeChart(container);
  container.classList.add(kind === "sparkline" ? "chart-sparkline" : "chart-box");
  container.setAttribute("role", "img");
  container.setAttribute("aria-label", label);
  const chart = echarts.init(container, null, { renderer: "canvas" });
  const finished = new Promise((resolve) => {
    chart.on("finished", () => { observe(container, chart, kind); resolve(); });
  });
  chart.setOption(option);
  container.setAttribute("aria-label", label); // ECharts' aria writes its own; ours names the widget
  const resize = new ResizeObserver(() => chart.resize());
  resize.observe(container);
  charts.set(container, { chart, resize });
  watchRemoval();
  return { chart, finished };
}

/**
 * Draws a widget's chart into `container` (any element with a size; it gets the class `chart-box`).
 * Returns {chart, summary, notes} once ECharts has finished its first render (or after 3 s).
 */
export async function drawChart(container, widget, meta) {
  const model = chartModel(widget);
  const kind = CARTESIAN.has(model.kind) || ["pie", "donut", "scatter"].includes(model.kind) ? model.kind : "bar";
  const summary = `${widget.title || (widget.spec && widget.spec.title) || "Chart"}. ${chartSummary(widget, model, meta)}`;
  const { chart, finished } = mount(container, baseOption(widget, model, meta), kind, summary);
  container.dataset.chartNotes = model.notes.join(" ");
  await Promise.race([finished, new Promise((resolve) => setTimeout(resolve, 3000))]);
  return { chart, summary, notes: model.notes };
}

/**
 * Draws a KPI's trend: `points` are numbers, [period, value] pairs or {period, value} objects; with
 * `partial` (`partialFirst`), the last (first) point is hollow and its segment dashed. Returns a promise of {chart}.
 */
export async function drawSparkline(container, points, meta, { unit = "count", partial = false, partialFirst = false } = {}) {
  const values = (points || []).map((p) => toNumber(Array.isArray(p) ? p[1] : p && typeof p === "object" ? p.value : p));
  const labels = (points || []).map((p, i) => (Array.isArray(p) ? p[0] : p && typeof p === "object" ? p.period : i));
  const last = values.length - 1;
  const cutLast = partial && last > 0;
  const cutFirst = partialFirst && last > 0;
  const solid = values.map((v, i) => (v === null || (cutLast && i === last) || (cutFirst && i === 0) ? "-" : v));
  const series = [{ id: "s0", type: "line", data: solid, showSymbol: false, lineStyle: { width: 1.5 }, areaStyle: { opacity: 0.12 } }];
  const dashed = (id, from, to) => series.push({ id: `${PARTIAL_ID}${id}`, type: "line", lineStyle: { type: "dashed", width: 1.5 },
    showSymbol: true, symbol: "emptyCircle", symbolSize: 4, data: values.map((v, i) => (i >= from && i <= to && v !== null ? v : "-")) });
  if (cutLast) dashed("s0", last - 1, last);
  if (cutFirst) dashed("first:s0", 0, 1);
  const first = labels.find((l) => typeof l === "string");
  const text = `Trend of ${values.filter((v) => v !== null).length} points, ending at ${formatValue(values[last], unit, meta)}${partial ? " (partial)" : ""}${first ? ` from ${first}${partialFirst ? " (partial)" : ""}` : ""}`;
  const option = {
    color: palette(meta), animation: !reducedMotion(), series,
    grid: { left: 2, right: 2, top: 4, bottom: 4 }, xAxis: { type: "category", show: false, data: labels, boundaryGap: false },
    yAxis: { type: "value", show: false, scale: true }, tooltip: { show: false }, aria: { enabled: true, label: { description: text } },
  };
  const { chart, finished } = mount(container, option, "sparkline", text);
  await Promise.race([finished, new Promise((resolve) => setTimeout(resolve, 3000))]);
  return { chart };
}

/** Disposes of the chart drawn in `container` (if any) and clears what it said was drawn. */
export function disposeChart(container) {
  const found = charts.get(container);
  if (!found) return;
  found.resize.disconnect();
  found.chart.dispose();
  charts.delete(container);
  for (const key of ["chartKind", "drawnSeries", "drawnPoints", "drawn", "chartNotes"]) delete container.dataset[key];
}

let removals = null;
/** Disposes of charts whose containers left the page: one observer for all of them. */
function watchRemoval() {
  if (removals || typeof MutationObserver === "undefined") return;
  removals = new MutationObserver(() => {
    for (const container of [...charts.keys()]) if (!container.isConnected) disposeChart(container);
  });
  removals.observe(document.body, { childList: true, subtree: true });
}

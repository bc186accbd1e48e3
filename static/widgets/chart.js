// Charts for the dashboard page, drawn as inline SVG: bars and lines, axes, legend.
// Loaded before dashboard.js, which passes in its DOM and formatting helpers. Plain ES2020.
"use strict";

/** Returns {chartView(w, result)} built over the page's helpers. */
window.createWidgetChart = ({ el, svg, formatValue, formatLabel, humanize, toNumber, metricOf, unitOf }) => {
  const MARGIN = { top: 12, right: 12, bottom: 46, left: 70 };
  const CHART_HEIGHT = 260;

  /** Month or day labels for ISO dates (read as UTC, as they were written); other values as text. */
  function formatX(value, grain) {
    const text = formatLabel(value);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return text;
    const options = grain === "month" ? { month: "short", year: "numeric" } : { month: "short", day: "numeric" };
    return new Date(`${text}T00:00:00Z`).toLocaleDateString(undefined, { timeZone: "UTC", ...options });
  }

  /** Returns {labels, series: [{name, values: Map(x index -> number)}]}; 3 columns are x, series, value. */
  function chartData(w, result) {
    const hasSeries = result.columns.length >= 3;
    const xIndex = new Map();
    const byName = new Map();
    for (const row of result.rows) {
      const key = String(row[0]);
      const name = hasSeries ? formatLabel(row[1]) : result.columns[result.columns.length - 1];
      if (!xIndex.has(key)) xIndex.set(key, xIndex.size);
      if (!byName.has(name)) byName.set(name, new Map());
      byName.get(name).set(xIndex.get(key), toNumber(row[row.length - 1]));
    }
    const labels = [...xIndex.keys()].map((key) => formatX(key, w.spec && w.spec.grain));
    return { labels, series: [...byName].map(([name, values]) => ({ name, values })), hasSeries };
  }

  function niceTicks(min, max, count = 4) {
    if (min === max) max = min + 1;
    const rough = (max - min) / count;
    const power = 10 ** Math.floor(Math.log10(rough));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= rough);
    const ticks = [];
    for (let t = Math.floor(min / step) * step; t <= max + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
    if (ticks[ticks.length - 1] < max) ticks.push(ticks[ticks.length - 1] + step);
    return ticks;
  }

  /** A figure that draws its chart at its own width, so text keeps its CSS size, and redraws on resize. */
  function chartView(w, result) {
    const figure = el("figure", { className: "chart-figure" });
    const data = chartData(w, result);
    let drawnWidth = 0;
    new ResizeObserver(() => {
      const width = Math.round(figure.clientWidth);
      if (!width || Math.abs(width - drawnWidth) < 8) return;
      drawnWidth = width;
      figure.replaceChildren(chartSvg(w, result, data, width), ...(data.hasSeries ? [legend(data.series)] : []));
    }).observe(figure);
    return figure;
  }

  function chartScale(labels, values, line, width) {
    // Bars are lengths and need zero on the axis; lines show change, so their axis fits the data.
    const ticks = line ? niceTicks(Math.min(...values), Math.max(...values))
      : niceTicks(Math.min(0, ...values), Math.max(0, ...values));
    const plotW = width - MARGIN.left - MARGIN.right;
    const plotH = CHART_HEIGHT - MARGIN.top - MARGIN.bottom;
    const box = { ...MARGIN, width, height: CHART_HEIGHT, plotW, plotH };
    const [low, high] = [ticks[0], ticks[ticks.length - 1]];
    const band = plotW / Math.max(labels.length, 1);
    return {
      box, labels, band, ticks,
      y: (v) => box.top + plotH - ((v - low) / (high - low)) * plotH,
      xCenter: (i) => box.left + band * (i + 0.5),
    };
  }

  function chartSvg(w, result, { labels, series }, width) {
    const line = w.spec && w.spec.chart_type === "line";
    const found = series.flatMap((s) => [...s.values.values()]).filter((v) => v !== null);
    const scale = { ...chartScale(labels, found.length ? found : [0], line, width), unit: unitOf(w) };
    const yLabel = metricOf(w).name || humanize(result.columns[result.columns.length - 1]);
    const { box } = scale;
    const props = { viewBox: `0 0 ${width} ${box.height}`, role: "img", "aria-label": `${w.title}: ${line ? "line" : "bar"} chart` };
    return svg("svg", { className: "chart", width, height: box.height, ...props },
      yAxis(scale, yLabel), xAxis(scale, humanize(result.columns[0])),
      line ? lineMarks(series, scale) : barMarks(series, scale));
  }

  function yAxis({ box, ticks, y, unit }, label) {
    const middle = box.top + box.plotH / 2;
    return svg("g", { className: "axis axis-y" },
      ticks.map((t) => svg("g", {},
        svg("line", { className: "gridline", x1: box.left, x2: box.width - box.right, y1: y(t), y2: y(t) }),
        svg("text", { x: box.left - 8, y: y(t), dy: "0.32em", "text-anchor": "end", text: formatValue(t, unit, true) }))),
      svg("text", { className: "axis-label", transform: `translate(14 ${middle}) rotate(-90)`, "text-anchor": "middle", text: label }));
  }

  function xAxis({ box, labels, band, xCenter }, label) {
    const every = Math.ceil(72 / band); // about 72px of room for each label shown
    const maxChars = Math.max(4, Math.floor((band * every) / 7));
    const shorten = (s) => (s.length > maxChars ? `${s.slice(0, maxChars - 1)}…` : s);
    const baseline = box.top + box.plotH;
    const tick = (x, i) => svg("text", { x: xCenter(i), y: baseline + 16, "text-anchor": "middle" },
      svg("title", { text: x }), shorten(x));
    return svg("g", { className: "axis axis-x" },
      svg("line", { className: "baseline", x1: box.left, x2: box.width - box.right, y1: baseline, y2: baseline }),
      labels.map((x, i) => (i % every === 0 ? tick(x, i) : null)),
      svg("text", { className: "axis-label", x: box.left + box.plotW / 2, y: box.height - 6, "text-anchor": "middle", text: label }));
  }

  const tip = (series, s, label, v, unit) =>
    svg("title", { text: `${label}${series.length > 1 ? ` · ${s.name}` : ""}: ${formatValue(v, unit)}` });
  const missing = (v) => v === null || v === undefined;

  function barMarks(series, { labels, y, band, xCenter, unit }) {
    const groupW = band * 0.72;
    const barW = groupW / series.length;
    const zero = y(0); // the bar scale always includes zero
    const bar = (s, si, label, i, v) => svg("rect", {
      className: "bar", x: xCenter(i) - groupW / 2 + si * barW, y: Math.min(y(v), zero),
      width: Math.max(barW - 1, 1), height: Math.max(Math.abs(zero - y(v)), 1),
    }, tip(series, s, label, v, unit));
    return series.map((s, si) => svg("g", { className: `series series-${si % 6}` },
      labels.map((label, i) => (missing(s.values.get(i)) ? null : bar(s, si, label, i, s.values.get(i))))));
  }

  function lineMarks(series, { labels, y, xCenter, unit }) {
    return series.map((s, si) => {
      let path = "";
      let pen = "M"; // a missing value lifts the pen, leaving a gap
      const points = labels.map((label, i) => {
        const v = s.values.get(i);
        if (missing(v)) { pen = "M"; return null; }
        path += `${pen}${xCenter(i).toFixed(1)},${y(v).toFixed(1)} `;
        pen = "L";
        const r = labels.length > 40 ? 2 : 3.5;
        return svg("circle", { className: "point", cx: xCenter(i), cy: y(v), r }, tip(series, s, label, v, unit));
      });
      return svg("g", { className: `series series-${si % 6}` }, svg("path", { className: "line", d: path.trim() }), points);
    });
  }

  function legend(series) {
    return el("ul", { className: "legend", "aria-label": "Legend" }, series.map((s, si) =>
      el("li", { className: `series-${si % 6}` }, el("span", { className: "swatch", "aria-hidden": "true" }), s.name)));
  }

  return { chartView };
};

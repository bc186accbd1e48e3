// static/widgets/kinds-model.js under Node's own test runner: which kinds a widget can switch to.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { kindChoices, kindOf, kindProblem, refineForKind, rowShape } from "../../static/widgets/kinds-model.js";

const CHART_KINDS = { line: "Line", area: "Area", stacked_area: "Stacked area", bar: "Bar",
                      horizontal_bar: "Horizontal bar", stacked_bar: "Stacked bar", pie: "Pie", donut: "Donut",
                      scatter: "Scatter" };
const PAID = { key: "total_paid", name: "Total paid", unit: "currency" };
const COUNT = { key: "claim_count", name: "Claims", unit: "count" };
const widget = (spec) => ({ kind: spec.kind, spec });
const fitting = (w) => kindChoices(w, CHART_KINDS).filter((c) => c.fits).map((c) => c.kind);

test("kindOf is a chart's chart type, else the widget's kind", () => {
  assert.equal(kindOf({ kind: "chart", spec: { chart_type: "bar" } }), "bar");
  assert.equal(kindOf({ kind: "table", spec: {} }), "table");
  assert.equal(kindOf({ kind: "chart", spec: {} }), "chart");
});

test("rowShape counts a KPI's sparkline grain as no grouping", () => {
  assert.equal(rowShape({ kind: "kpi", grain: "week", sparkline: true, dimensions: [] }).groups, 0);
  assert.equal(rowShape({ kind: "chart", grain: "month", dimensions: ["region"] }).groups, 2);
});

describe("kindChoices", () => {
  test("a bar chart by one dimension can be a table, a line, a pie…, not a KPI, a stack or a scatter", () => {
    const bar = widget({ kind: "chart", chart_type: "bar", metric: COUNT, dimensions: ["region"] });
    assert.deepEqual(fitting(bar), ["table", "line", "area", "horizontal_bar", "pie", "donut"]);
    const choices = kindChoices(bar, CHART_KINDS);
    assert.ok(!choices.some((c) => c.kind === "bar"), "the current kind is not offered");
    const kpi = choices.find((c) => c.kind === "kpi");
    assert.equal(kpi.fits, false);
    assert.match(kpi.reason, /one number/);
    assert.deepEqual(choices.slice(-4).map((c) => c.fits), [false, false, false, false], "the misfits come last");
  });

  test("a KPI can only be a table without new SQL", () => {
    const kpi = widget({ kind: "kpi", metric: PAID, dimensions: [], grain: "week", sparkline: true });
    assert.deepEqual(fitting(kpi), ["table"]);
    assert.match(kindChoices(kpi, CHART_KINDS).find((c) => c.kind === "line").reason, /x axis/);
  });

  test("a table by a dimension and a month can be stacked, not a pie", () => {
    const table = widget({ kind: "table", metric: PAID, dimensions: ["region"], grain: "month" });
    const fits = fitting(table);
    assert.ok(fits.includes("stacked_bar") && fits.includes("line"));
    assert.ok(!fits.includes("pie") && !fits.includes("table"));
  });

  test("two metrics by a dimension can be a scatter", () => {
    const table = widget({ kind: "table", metric: PAID, extra_metrics: [COUNT], dimensions: ["adjuster"] });
    assert.ok(fitting(table).includes("scatter"));
    assert.ok(!fitting(table).includes("kpi"));
  });

  test("a custom widget offers no direct switch", () => {
    assert.deepEqual(kindChoices(widget({ kind: "custom", metric: PAID }), CHART_KINDS), []);
  });

  test("the server's own list wins over the rules read here", () => {
    const w = { ...widget({ kind: "table", metric: PAID, dimensions: ["region"] }),
                kind_choices: [{ kind: "kpi", fits: true }, { kind: "line", fits: false, reason: "No." }] };
    assert.deepEqual(kindChoices(w, CHART_KINDS), [
      { kind: "kpi", label: "KPI", fits: true, reason: "" },
      { kind: "line", label: "Line", fits: false, reason: "No." },
    ]);
  });
});

test("kindProblem lets a table show any rows", () => {
  assert.equal(kindProblem("table", rowShape({ kind: "chart", dimensions: ["a", "b"], grain: "day" })), "");
});

test("refineForKind words the refinement to offer", () => {
  assert.equal(refineForKind({ kind: "line", label: "Line" }), "Show it as a line chart");
  assert.equal(refineForKind({ kind: "kpi", label: "KPI" }), "Show it as a single KPI number");
  assert.equal(refineForKind({ kind: "table", label: "Table" }), "Show it as a table");
  assert.equal(refineForKind(null), "");
});

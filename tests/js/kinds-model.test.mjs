// static/widgets/kinds-model.js under Node's own test runner: the kind menu reads the server's list.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { kindChoices, kindOf, refineForKind } from "../../static/widgets/kinds-model.js";

const CHART_KINDS = { line: "Line", bar: "Bar", pie: "Pie" };

test("kindOf is a chart's chart type, else the widget's kind", () => {
  assert.equal(kindOf({ kind: "chart", spec: { chart_type: "bar" } }), "bar");
  assert.equal(kindOf({ kind: "table", spec: {} }), "table");
  assert.equal(kindOf({ kind: "chart", spec: {} }), "chart");
});

describe("kindChoices", () => {
  const bar = {
    kind: "chart", spec: { chart_type: "bar" },
    kind_choices: [
      { kind: "kpi", fits: false, reason: "A KPI shows one number: no dimensions." },
      { kind: "table", fits: true, reason: "" },
      { kind: "bar", fits: true, reason: "" }, // the current kind, if a server ever lists it
      { kind: "line", fits: true, reason: "" },
      { kind: "scatter", fits: false, reason: "A scatter chart plots two metrics." },
    ],
  };

  test("the kinds that fit come first, with the page's labels; the current kind is not offered", () => {
    assert.deepEqual(kindChoices(bar, CHART_KINDS), [
      { kind: "table", label: "Table", fits: true, reason: "" },
      { kind: "line", label: "Line", fits: true, reason: "" },
      { kind: "kpi", label: "KPI", fits: false, reason: "A KPI shows one number: no dimensions." },
      { kind: "scatter", label: "scatter", fits: false, reason: "A scatter chart plots two metrics." },
    ]);
  });

  test("a widget without the server's list (a viewer's, a custom widget's) offers nothing", () => {
    assert.deepEqual(kindChoices({ kind: "table", spec: {} }, CHART_KINDS), []);
    assert.deepEqual(kindChoices({ kind: "custom", spec: {}, kind_choices: [] }, CHART_KINDS), []);
    assert.deepEqual(kindChoices(null, CHART_KINDS), []);
  });

  test("entries without a kind are skipped and a fitting kind carries no reason", () => {
    const w = { kind: "table", spec: {}, kind_choices: [null, { fits: true }, { kind: "pie", fits: true, reason: "x" }] };
    assert.deepEqual(kindChoices(w, CHART_KINDS), [{ kind: "pie", label: "Pie", fits: true, reason: "" }]);
  });
});

test("refineForKind words the refinement to offer", () => {
  assert.equal(refineForKind({ kind: "line", label: "Line" }), "Show it as a line chart");
  assert.equal(refineForKind({ kind: "kpi", label: "KPI" }), "Show it as a single KPI number");
  assert.equal(refineForKind({ kind: "table", label: "Table" }), "Show it as a table");
  assert.equal(refineForKind(null), "");
});

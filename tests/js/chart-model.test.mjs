// static/widgets/chart-model.js: what a chart shows, before ECharts draws it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { chartModel, MAX_CATEGORIES, MAX_SLICES, OTHERS_KEY } from "../../static/widgets/chart-model.js";

const COUNT = { key: "claim_count", name: "Claim count", unit: "count" };
const chart = (spec, result, extra = {}) => ({ spec: { kind: "chart", metric: COUNT, ...spec }, result: { truncated: false, ...result }, ...extra });

test("a comparison is laid over the current series bucket by bucket", () => {
  const model = chartModel(chart({ chart_type: "line", grain: "month", compare: { kind: "previous_period" } }, {
    columns: ["period", "claim_count"], rows: [["2026-01-01", 5], ["2026-02-01", 7], ["2026-03-01", 2]],
    partial_last: true, today: "2026-03-04",
    compare: { columns: ["period", "claim_count"], rows: [["2025-10-01", 4], ["2025-11-01", 6]] },
  }));
  assert.deepEqual(model.x.labels, ["Jan", "Feb", "Mar"]);
  assert.deepEqual(model.series.map((s) => s.values), [[5, 7, 2]]);
  assert.deepEqual(model.compare.map((s) => [s.name, s.values]), [["Claim count (previous period)", [4, 6, null]]]);
  assert.equal(model.partial, 2);
  assert.deepEqual(model.notes, ["Mar 2026 is not over yet: its figure is partial."]);
});

test("a dimension splits a time series into one series per value, by label, with gaps kept", () => {
  const model = chartModel(chart({ chart_type: "area", grain: "week", dimensions: ["status"] }, {
    columns: ["period", "status", "claim_count"],
    rows: [["2025-12-29", "open", 1], ["2025-12-29", "under_review", 2], ["2026-01-05", "open", 3]],
  }, { value_labels: { status: { open: "Open claims" } } }));
  assert.deepEqual(model.x.labels, ["29 Dec 2025", "5 Jan 2026"]);
  assert.deepEqual(model.series.map((s) => [s.name, s.values]), [["Open claims", [1, 3]], ["Under review", [2, null]]]);
  assert.equal(model.partial, null);
});

test("a breakdown compares each category with its own earlier value", () => {
  const model = chartModel(chart({ chart_type: "bar", dimensions: ["region"], compare: { kind: "previous_year" } }, {
    columns: ["region", "claim_count"], rows: [["West", 10], ["East", 20]],
    compare: { columns: ["region", "claim_count"], rows: [["East", 15], ["North", 1]] },
  }));
  assert.deepEqual(model.compare[0].values, [null, 15]);
});

test("a pie of an additive metric groups what is past its slices; another says what it left out", () => {
  const rows = Array.from({ length: 25 }, (_, i) => [`a${i}`, 100 - i]);
  const grouped = chartModel(chart({ chart_type: "pie", dimensions: ["adjuster"], metric: { ...COUNT, additive: true } },
    { columns: ["adjuster", "claim_count"], rows }, { metrics: [{ ...COUNT, additive: true }] }));
  assert.equal(grouped.slices.length, MAX_SLICES);
  assert.deepEqual(grouped.slices.at(-1), { name: "All others (6, added up here)", code: null, value: 81 + 80 + 79 + 78 + 77 + 76, others: true });
  const cut = chartModel(chart({ chart_type: "pie", dimensions: ["adjuster"] }, { columns: ["adjuster", "claim_count"], rows }));
  assert.equal(cut.slices.length, MAX_SLICES - 1);
  assert.deepEqual(cut.notes, ["The 19 largest of 25 slices are drawn; 6 are left out.",
    "Percentages are shares of the 19 slices shown, not of all Claim count: the rest is not in the result."]);
});

test("a truncated result says so, and a scatter pairs its two metrics", () => {
  const paid = { key: "total_paid", name: "Total paid", unit: "currency" };
  const model = chartModel(chart({ chart_type: "scatter", dimensions: ["adjuster"], extra_metrics: [paid] }, {
    columns: ["adjuster", "claim_count", "total_paid"], rows: [["a", 1, 10], ["b", 2, null], ["c", 3, 30]], truncated: true,
  }));
  assert.deepEqual(model.series[0].points, [{ name: "A", value: [1, 10] }, { name: "C", value: [3, 30] }]);
  assert.deepEqual(model.notes, ["Only the first 3 rows are drawn: the result was cut at the row cap."]);
});

test("a pie's browser-made \u201call others\u201d says so, and its shares are of all when nothing is left out", () => {
  const rows = Array.from({ length: 25 }, (_, i) => [`a${i}`, 100 - i]);
  const model = chartModel(chart({ chart_type: "pie", dimensions: ["adjuster"] }, { columns: ["adjuster", "claim_count"], rows },
    { metrics: [{ ...COUNT, additive: true }] }));
  assert.equal(model.share.words, "of all");
  assert.ok(model.notes.some((n) => n.includes("adds up the 6 smallest slices in the browser")));
});

test("a ranked pie's shares are of the top N, said; the query's totals make them of all", () => {
  const spec = { chart_type: "pie", dimensions: ["region"], ranking: { direction: "top", n: 3 } };
  const result = { columns: ["region", "claim_count"], rows: [["south", 50], ["west", 30], ["east", 20]] };
  const top = chartModel(chart(spec, result));
  assert.deepEqual([top.share.words, top.share.total], ["of the top 3", 100]);
  assert.ok(top.notes.includes("Percentages are shares of the top 3, not of all Claim count: the rest is not in the result."));
  const all = chartModel(chart(spec, { ...result, totals: { columns: ["claim_count"], rows: [[400]] } }));
  assert.deepEqual([all.share.words, all.share.total, all.notes], ["of all", 400, []]);
  const truncated = chartModel(chart({ ...spec, ranking: null }, { ...result, truncated: true }));
  assert.equal(truncated.share.words, "of the 3 slices shown");
});

test("a bar chart of many categories draws the largest 30, says so, and cuts long labels", () => {
  const rows = Array.from({ length: 109 }, (_, i) => [`region_${i}`, i]);
  rows[0] = ["A very long region name that would hide its neighbours on the axis", 1000];
  const model = chartModel(chart({ chart_type: "horizontal_bar", dimensions: ["region"] }, { columns: ["region", "claim_count"], rows }));
  assert.equal(model.x.keys.length, MAX_CATEGORIES);
  assert.deepEqual(model.series[0].values.slice(0, 2), [1000, 80]); // the largest, in their order
  assert.ok(model.notes.includes(`The 30 largest of 109 categories by Claim count are drawn; all 109 are in the table.`));
  assert.equal(model.x.labels[0], "A very long region name…");
  assert.equal(model.x.longLabels[0], rows[0][0]);
});

test("dimension labels are found by the spec's dimension key for a column named otherwise", () => {
  const model = chartModel(chart({ chart_type: "bar", dimensions: ["claims.status"] }, {
    columns: ["status", "claim_count"], rows: [["under_review", 2], ["CL", 3]],
  }, { value_labels: { "claims.status": { under_review: "Under review (pending)", CL: "Closed" } } }));
  assert.deepEqual(model.x.labels, ["Under review (pending)", "Closed"]);
});

test("the note on a split with two metrics names the dimension by its label, not its key", () => {
  const PAID = { key: "total_paid", name: "Total paid", unit: "currency" };
  const model = chartModel(chart({ chart_type: "line", grain: "week", dimensions: ["regions.name"], extra_metrics: [PAID],
    labels: { "regions.name": "region" } }, {
    columns: ["period", "region", "claim_count", "total_paid"], rows: [["2026-01-05", "West", 3, 10], ["2026-01-05", "East", 2, 5]],
  }, { dimension_labels: { "regions.name": "Region" } }));
  assert.ok(model.notes.includes("Split by Region: only Claim count is drawn."), model.notes.join(" / "));
});

test("a breakdown's bars come in the result's order: the spec's sort, not re-sorted", () => {
  const spec = { chart_type: "bar", dimensions: ["cause"], sort: { by: "cause", direction: "asc" } };
  const model = chartModel(chart(spec, {
    columns: ["cause", "claim_count"], rows: [["Fire", 3], ["Hail", 9], ["Theft", 1]],
  }));
  assert.deepEqual(model.x.keys, ["Fire", "Hail", "Theft"]);
  assert.deepEqual(model.series[0].values, [3, 9, 1]);
});

test("a ranking's 'all others' is its last bar, with its earlier value, as the query computed it", () => {
  const spec = { chart_type: "horizontal_bar", dimensions: ["region"], ranking: { direction: "top", n: 2, others: true },
    compare: { kind: "previous_period" }, labels: { region: "region" } };
  const model = chartModel(chart(spec, {
    columns: ["region", "claim_count"], rows: [["south", 50], ["west", 30]],
    compare: { columns: ["region", "claim_count"], rows: [["south", 40]] },
    others: { columns: ["claim_count"], rows: [[25]], groups: 3, compare: { columns: ["claim_count"], rows: [[20]] } },
  }));
  assert.deepEqual(model.x.keys, ["south", "west", OTHERS_KEY]);
  assert.equal(model.x.longLabels[2], "All others (3 regions)");
  assert.deepEqual(model.series[0].values, [50, 30, 25]);
  assert.deepEqual(model.compare[0].values, [40, null, 20]);
  assert.equal(model.others, 2);
  const none = chartModel(chart(spec, { columns: ["region", "claim_count"], rows: [["south", 50]],
    others: { columns: ["claim_count"], rows: [], groups: 0, note: "The only region is shown: there are no others." } }));
  assert.deepEqual([none.x.keys, none.others], [["south"], undefined]);
});

test("a ranked pie with the query's 'all others' slice shares of all, and draws it last", () => {
  const spec = { chart_type: "pie", dimensions: ["region"], ranking: { direction: "top", n: 2, others: true } };
  const model = chartModel(chart(spec, { columns: ["region", "claim_count"], rows: [["south", 10], ["west", 50]],
    others: { columns: ["claim_count"], rows: [[140]], groups: 4 } }));
  assert.deepEqual(model.slices.map((s) => [s.name, s.value]), [["West", 50], ["South", 10], ["All others (4 regions)", 140]]);
  assert.deepEqual([model.share.words, model.share.total, model.notes], ["of all", 200, []]);
});

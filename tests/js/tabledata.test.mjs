// static/widgets/tabledata.js under Node's own test runner: a table's columns, sorting and pages.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  CHANGE, PREVIOUS, clampPage, nextSort, othersRow, pageCount, pageRows, rangeText, sortNote, sortRows, tableColumns,
  totalsLabel, totalsRow, withComparison,
} from "../../static/widgets/tabledata.js";

const WIDGET = {
  spec: {
    kind: "table", metric: { key: "total_paid", name: "Total paid", unit: "currency" },
    extra_metrics: [{ key: "claim_count", name: "Claims", unit: "count" }], dimensions: ["status"],
    labels: { status: "Status" },
  },
};
const RESULT = {
  columns: ["status", "total_paid", "claim_count"],
  rows: [["open", 300, 3], ["closed", null, 9], ["under_review", 120.5, 1], ["appeal", 300, 2]],
  truncated: false,
};
const byIndex = (rows, i) => rows.map((row) => row[i]);

describe("tableColumns", () => {
  test("it names dimensions by their label and metrics by the spec, with their unit", () => {
    const columns = tableColumns(WIDGET, RESULT);
    assert.deepEqual(columns.map((c) => [c.role, c.label, c.unit, c.numeric]), [
      ["dimension", "Status", undefined, false], ["metric", "Total paid", "currency", true],
      ["metric", "Claims", "count", true]]);
  });

  test("it prefers the server's dimension labels and the server's metrics", () => {
    const widget = { ...WIDGET, dimension_labels: { status: "Claim status" },
      metrics: [{ key: "total_paid", name: "Paid (closed claims)", unit: "currency" }] };
    const columns = tableColumns(widget, RESULT);
    assert.equal(columns[0].label, "Claim status");
    assert.equal(columns[1].label, "Paid (closed claims)");
    assert.equal(columns[2].role, "other");
  });

  test("it reads the last column as the metric when no column is named by one", () => {
    const columns = tableColumns({ spec: { metric: { key: "x", name: "Open claims", unit: "count" } } },
      { columns: ["channel", "open_claims"], rows: [["agent", 1]] });
    assert.deepEqual(columns.map((c) => c.role), ["other", "metric"]);
    assert.equal(columns[1].label, "Open claims");
  });

  test("it finds the period column of a series", () => {
    const columns = tableColumns({ spec: { ...WIDGET.spec, grain: "month", dimensions: [] } },
      { columns: ["period", "total_paid"], rows: [["2026-01-01", 1], ["2026-02-01", 2]] });
    assert.deepEqual(columns.map((c) => c.role), ["period", "metric"]);
    assert.equal(columns[0].label, "Month");
  });
});

describe("sortRows", () => {
  test("it sorts numbers largest first and leaves empty values last, in either direction", () => {
    assert.deepEqual(byIndex(sortRows(RESULT.rows, { index: 1, direction: "descending" }), 0),
      ["open", "appeal", "under_review", "closed"]);
    assert.deepEqual(byIndex(sortRows(RESULT.rows, { index: 1, direction: "ascending" }), 0),
      ["under_review", "open", "appeal", "closed"]);
  });

  test("it keeps the order of equal rows", () => {
    const sorted = sortRows(RESULT.rows, { index: 1, direction: "descending" });
    assert.deepEqual(byIndex(sorted.slice(0, 2), 0), ["open", "appeal"]);
  });

  test("it sorts text by what is shown, A to Z, numbers within text in order", () => {
    const rows = [["b"], ["a10"], ["A2"], ["c"]];
    assert.deepEqual(byIndex(sortRows(rows, { index: 0, direction: "ascending" }), 0), ["A2", "a10", "b", "c"]);
    const labels = { b: "Zulu", c: "Alpha" };
    assert.deepEqual(byIndex(sortRows([["b"], ["c"]], { index: 0, direction: "ascending" }, (v) => labels[v]), 0),
      ["c", "b"]);
  });

  test("without a sort it returns the server's order, as a copy", () => {
    const rows = sortRows(RESULT.rows, null);
    assert.deepEqual(rows, RESULT.rows);
    assert.notEqual(rows, RESULT.rows);
  });
});

describe("nextSort", () => {
  test("a first click sorts numbers largest first and text A to Z; a second click turns it", () => {
    const number = { index: 1, numeric: true };
    const text = { index: 0, numeric: false };
    assert.deepEqual(nextSort(null, number), { index: 1, direction: "descending" });
    assert.deepEqual(nextSort(null, text), { index: 0, direction: "ascending" });
    assert.deepEqual(nextSort({ index: 1, direction: "descending" }, number), { index: 1, direction: "ascending" });
    assert.deepEqual(nextSort({ index: 1, direction: "descending" }, text), { index: 0, direction: "ascending" });
  });
});

describe("pages", () => {
  const rows = Array.from({ length: 60 }, (_, i) => [i]);

  test("it cuts rows into pages of 25 and says which rows are shown", () => {
    assert.equal(pageCount(60), 3);
    assert.equal(pageCount(0), 1);
    assert.deepEqual(byIndex(pageRows(rows, 2), 0), Array.from({ length: 10 }, (_, i) => 50 + i));
    assert.equal(rangeText(0, 60), "Rows 1–25 of 60");
    assert.equal(rangeText(2, 60), "Rows 51–60 of 60");
    assert.equal(rangeText(0, 0), "No rows");
  });

  test("it keeps a page within the pages there are", () => {
    assert.equal(clampPage(5, 60), 2);
    assert.equal(clampPage(-1, 60), 0);
    assert.deepEqual(byIndex(pageRows(rows, 9, 50), 0).length, 10);
  });
});

describe("sortNote", () => {
  test("a sorted truncated result says it is sorted within the rows shown", () => {
    assert.equal(sortNote({ index: 1, direction: "descending" }, { ...RESULT, truncated: true }),
      "Sorted within the 4 rows shown");
  });

  test("an unsorted or complete result says nothing", () => {
    assert.equal(sortNote(null, { ...RESULT, truncated: true }), "");
    assert.equal(sortNote({ index: 1, direction: "descending" }, RESULT), "");
  });
});

describe("totalsRow", () => {
  const columns = tableColumns(WIDGET, RESULT);

  test("it places the query's totals under their metric columns", () => {
    const result = { ...RESULT, totals: { columns: ["claim_count", "total_paid"], rows: [[15, 720.5]] } };
    assert.deepEqual(totalsRow(result, columns), [null, 720.5, 15]);
  });

  test("it gives no row when the query computed none, never a sum of its own", () => {
    assert.equal(totalsRow(RESULT, columns), null);
    assert.equal(totalsRow({ ...RESULT, totals: { columns: ["total_paid"], rows: [] } }, columns), null);
  });
});

describe("othersRow", () => {
  const ranked = { spec: { ...WIDGET.spec, ranking: { direction: "top", n: 4, others: true } } };
  const columns = tableColumns(ranked, RESULT);

  test("it places the query's figures under their metric columns, named by how many groups they add up", () => {
    const result = { ...RESULT, others: { columns: ["claim_count", "total_paid"], rows: [[7, 410]], groups: 3 } };
    const row = othersRow(ranked, result, columns);
    assert.deepEqual([row.label, row.cells], ["All others (3 statuses)", [null, 410, 7]]);
    assert.match(row.title, /outside the top 4, added up by the query/);
    const one = othersRow(ranked, { ...result, others: { ...result.others, groups: 1 } }, columns);
    assert.equal(one.label, "All others (1 status)");
  });

  test("under a comparison it has its earlier value and change", () => {
    const compared = { spec: { ...ranked.spec, extra_metrics: [], compare: { kind: "previous_period" } } };
    const result = withComparison(compared, {
      columns: ["status", "total_paid"], rows: [["open", 300]], compare: { columns: ["status", "total_paid"], rows: [] },
      deltas: [{ group: ["open"], current: 300, previous: null, abs: null, pct: null }],
      others: { columns: ["total_paid"], rows: [[50]], groups: 2, compare: { columns: ["total_paid"], rows: [[40]] },
        delta: { current: 50, previous: 40, abs: 10, pct: 0.25 } },
    });
    const row = othersRow(compared, result, tableColumns(compared, result));
    assert.deepEqual(row.cells, [null, 50, 40, { current: 50, previous: 40, abs: 10, pct: 0.25 }]);
  });

  test("it gives no row when every group is shown, the query failed, or its row cannot be read", () => {
    assert.equal(othersRow(ranked, RESULT, columns), null);
    assert.equal(othersRow(ranked, { ...RESULT, others: { columns: ["total_paid"], rows: [], groups: 0 } }, columns), null);
    assert.equal(othersRow(ranked, { ...RESULT, others_error: "refused" }, columns), null);
    assert.equal(othersRow(ranked, { ...RESULT, others: { columns: ["total_paid"], rows: [[1, 2]] } }, columns), null);
  });
});

describe("a dimension keyed by its table", () => {
  test("its column gets the server's label and value labels through the spec's key", () => {
    const widget = { spec: { ...WIDGET.spec, dimensions: ["claims.status"], labels: {} },
      dimension_labels: { "claims.status": "Claim status" } };
    const columns = tableColumns(widget, RESULT);
    assert.deepEqual([columns[0].role, columns[0].dimension, columns[0].label], ["dimension", "claims.status", "Claim status"]);
  });
});

describe("totalsLabel", () => {
  const additive = { ...WIDGET, metrics: [{ key: "total_paid", name: "Total paid", unit: "currency", additive: true },
    { key: "claim_count", name: "Claims", unit: "count", additive: true }] };
  const totals = [null, 1000, 15];
  test("a whole result of additive metrics has a Total", () => {
    assert.equal(totalsLabel(additive, RESULT, tableColumns(additive, RESULT), totals).label, "Total");
  });
  test("a ranked or truncated one has the whole window's figure, said", () => {
    const ranked = { ...additive, spec: { ...additive.spec, ranking: { direction: "top", n: 4 } } };
    assert.equal(totalsLabel(ranked, RESULT, tableColumns(ranked, RESULT), totals).label, "All statuses · whole window");
    const cut = { ...RESULT, truncated: true };
    assert.equal(totalsLabel(additive, cut, tableColumns(additive, cut), totals).label, "All statuses · whole window");
  });
  test("a metric that does not add up, or not known to, has an Overall figure", () => {
    const average = { ...additive, metrics: [{ ...additive.metrics[0], additive: false }, additive.metrics[1]] };
    assert.equal(totalsLabel(average, RESULT, tableColumns(average, RESULT), totals).label, "Overall");
    assert.equal(totalsLabel(WIDGET, RESULT, tableColumns(WIDGET, RESULT), totals).label, "Overall");
  });
  test("totals whose row is not a list are no totals", () => {
    assert.equal(totalsRow({ totals: { columns: ["claim_count"], rows: [null] } }, tableColumns(WIDGET, RESULT)), null);
  });
});

describe("withComparison", () => {
  const compared = { spec: { ...WIDGET.spec, extra_metrics: [], compare: { kind: "previous_year" } } };
  const result = {
    columns: ["status", "total_paid"], rows: [["open", 300], ["closed", 90]], truncated: false,
    compare: { columns: ["status", "total_paid"], rows: [["open", 200]], window: { start: "2025-01-01", end: "2025-02-01" } },
    deltas: [{ group: ["open"], current: 300, previous: 200, abs: 100, pct: 0.5 },
      { group: ["closed"], current: 90, previous: null, abs: null, pct: null }],
  };

  test("a table that compares shows the earlier figure and the change beside each row", () => {
    const out = withComparison(compared, result);
    assert.deepEqual(out.columns, ["status", "total_paid", PREVIOUS, CHANGE]);
    assert.deepEqual(out.rows.map((row) => row[2]), [200, null]);
    assert.equal(out.rows[0][3].pct, 0.5);
    const columns = tableColumns(compared, out);
    assert.deepEqual(columns.slice(2).map((c) => [c.role, c.label, c.unit]), [
      ["previous", "Total paid, same period last year", "currency"],
      ["change", "Change vs same period last year", "currency"]]);
    assert.deepEqual(totalsRow({ ...out, totals: { columns: ["total_paid"], rows: [[390]] } }, columns), [null, 390, null, null]);
  });

  test("without a comparison, or without a delta for every row, the result is as it was", () => {
    assert.equal(withComparison(WIDGET, result), result);
    const short = { ...result, deltas: result.deltas.slice(0, 1) };
    assert.equal(withComparison(compared, short), short);
  });
});

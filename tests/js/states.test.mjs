// static/widgets/states.js under Node's own test runner: which state a card is in and what it notes.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  bodyState, cardNotes, compareWords, deltaTone, emptyText, resultOf, unreadableReason,
} from "../../static/widgets/states.js";
import { metricsOf } from "../../static/widgets/format.js";

const SPEC = { kind: "table", metric: { key: "total_paid", name: "Total paid", unit: "currency" }, grain: "month" };
const widget = (fields = {}, result = { columns: ["total_paid"], rows: [[1]], truncated: false }) =>
  ({ kind: "table", spec: SPEC, result, can_retry: false, ...fields });
const kinds = (notes) => notes.map((n) => n.kind);

describe("bodyState", () => {
  test("a widget built without data that can be retried shows its failure", () => {
    assert.equal(bodyState(widget({ can_retry: true, result: {} })), "failure");
  });

  test("a custom widget needs its component and its props", () => {
    assert.equal(bodyState(widget({ kind: "custom", component_js: "x", props: {} })), "custom");
    assert.equal(bodyState(widget({ kind: "custom", component_js: "x", props: null })), "custom-failure");
    assert.equal(bodyState(widget({ kind: "custom", component_js: null, props: {} })), "custom-failure");
  });

  test("no rows is the empty state, whatever the kind", () => {
    for (const kind of ["kpi", "chart", "table"]) {
      assert.equal(bodyState(widget({ kind }, { columns: ["total_paid"], rows: [] })), "empty");
    }
    assert.equal(bodyState(widget({ result: null })), "empty");
  });

  test("rows are drawn by kind", () => {
    assert.equal(bodyState(widget({ kind: "kpi" })), "kpi");
    assert.equal(bodyState(widget({ kind: "chart" })), "chart");
    assert.equal(bodyState(widget({ kind: "table" })), "table");
  });
});

describe("cardNotes", () => {
  test("a truncated result says how many rows are shown", () => {
    const notes = cardNotes(widget({}, { columns: ["v"], rows: [[1], [2]], truncated: true }));
    assert.deepEqual(notes, [{ kind: "truncated", text: "Showing the first 2 rows; the query had more." }]);
  });

  test("a partial last period is noted, by its grain", () => {
    const notes = cardNotes(widget({ kind: "chart" }, { columns: ["v"], rows: [[1]], partial_last: true }));
    assert.deepEqual(kinds(notes), ["partial"]);
    assert.match(notes[0].text, /last month is not over yet/);
  });

  test("companion queries that failed are noted quietly", () => {
    const result = { columns: ["v"], rows: [[1]], sparkline_error: "timed out", totals_error: "refused" };
    assert.deepEqual(cardNotes(widget({}, result)).map((n) => [n.kind, n.text]), [
      ["companion", "No trend line: timed out"], ["companion", "No totals row: refused"]]);
  });

  test("an 'all others' row that is missing, or that every group is shown, is noted quietly", () => {
    const failed = { columns: ["v"], rows: [[1]], others_error: "The 'all others' row is left out: ties." };
    assert.deepEqual(cardNotes(widget({}, failed)).map((n) => [n.kind, n.text]), [
      ["companion", "The 'all others' row is left out: ties."]]);
    const all = { columns: ["v"], rows: [[1]], others: { columns: ["v"], rows: [], groups: 0, note: "All 3 regions are shown: there are no others." } };
    assert.deepEqual(cardNotes(widget({}, all)).map((n) => n.text), ["All 3 regions are shown: there are no others."]);
  });

  test("a failed widget carries no notes; its failure says why", () => {
    assert.deepEqual(cardNotes(widget({ can_retry: true }, { columns: ["v"], rows: [], truncated: true })), []);
  });

  test("a query written again for an edited dictionary says so", () => {
    const result = { columns: ["v"], rows: [[1]], dictionary_note: "Its query was written again" };
    assert.deepEqual(cardNotes(widget({}, result)), [{ kind: "dictionary", text: "Its query was written again" }]);
  });

  test("a complete result has none", () => {
    assert.deepEqual(cardNotes(widget()), []);
  });
});

describe("the rest", () => {
  test("an empty result names what has no rows", () => {
    assert.equal(emptyText(widget()), "No rows for Total paid in this window.");
  });

  test("the server's metrics are preferred to the spec's", () => {
    assert.equal(metricsOf(widget({ metrics: [{ key: "k", name: "Server" }] }))[0].name, "Server");
    assert.equal(metricsOf(widget())[0].name, "Total paid");
  });

  test("a result without columns reads as no rows", () => {
    assert.deepEqual(resultOf({ result: {} }), { columns: [], rows: [] });
  });

  test("a change is good or bad by whether up is good, neutral when unknown or flat", () => {
    assert.equal(deltaTone("up", true), "good");
    assert.equal(deltaTone("down", true), "bad");
    assert.equal(deltaTone("up", false), "bad");
    assert.equal(deltaTone("down", false), "good");
    assert.equal(deltaTone("up", null), "neutral");
    assert.equal(deltaTone("flat", true), "neutral");
  });

  test("the comparison period is said in words, from the reading or the spec", () => {
    assert.equal(compareWords({ interpretation: { reading: "last quarter vs the quarter before" } }), "the quarter before");
    assert.equal(compareWords({ spec: { compare: { kind: "previous_year" } } }), "the same period last year");
  });
});

describe("a result that cannot be read", () => {
  for (const [name, result] of [["a string", "garbage"], ["columns that are not a list", { columns: { a: 1 }, rows: [] }],
    ["a null row", { columns: ["total_paid"], rows: [null] }], ["a row of objects", { columns: ["total_paid"], rows: [{ total_paid: 5 }] }],
    ["a short row", { columns: ["a", "b"], rows: [[1]] }]]) {
    test(`with ${name} is unreadable, not "No rows"`, () => {
      const w = widget({}, result);
      assert.equal(bodyState(w), "unreadable");
      assert.match(unreadableReason(w), /^This widget's data could not be read/);
      assert.deepEqual(resultOf(w).rows, []);
      assert.deepEqual(cardNotes(w), []);
    });
  }
  test("the server's flag is the reason shown", () => {
    const w = widget({ result: null, result_error: "This widget's data could not be read: row 1 is not a list of values." });
    assert.equal(bodyState(w), "unreadable");
    assert.equal(unreadableReason(w), w.result_error);
  });
  test("a widget built without data is not unreadable", () => {
    assert.equal(unreadableReason(widget({}, null)), "");
    assert.equal(unreadableReason(widget({}, {})), "");
  });
});

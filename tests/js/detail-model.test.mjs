// static/widgets/detail-model.js under Node's own test runner: the detail panel's words and figures.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  callRows, formatCost, formatLatency, interpretationText, specJson, totalCost,
} from "../../static/widgets/detail-model.js";

test("formatCost shows four decimals, and a dash when unknown", () => {
  assert.equal(formatCost("0.0012"), "$0.0012");
  assert.equal(formatCost(0.5), "$0.5000");
  assert.equal(formatCost("0.000012"), "$0.000012", "a tiny cost is not shown as nothing");
  assert.equal(formatCost("0.000000"), "$0.0000");
  assert.equal(formatCost(null), "—");
  assert.equal(formatCost("n/a"), "—");
});

test("formatLatency switches to seconds from one second", () => {
  assert.equal(formatLatency(840), "840 ms");
  assert.equal(formatLatency(2412), "2.4 s");
  assert.equal(formatLatency(undefined), "—");
});

test("callRows gives every call its step, tier, model, latency, tokens, cost and outcome", () => {
  const rows = callRows([
    { step: "clarify", tier: "fast", model: "offline", latency_ms: 12, input_tokens: 1834, output_tokens: 61,
      cost_usd: "0.0000", outcome: "ok", at: "2026-12-02T10:00:00Z" },
    { step: "sql", tier: "reasoning", model: "m", latency_ms: 3100, input_tokens: null, output_tokens: 5,
      cost_usd: "0.0210", outcome: "validation_failed" },
    "junk",
  ]);
  assert.equal(rows.length, 2);
  assert.deepEqual(rows[0], { step: "Clarify", tier: "fast", model: "offline", latency: "12 ms",
                              tokens: "1,834 in · 61 out", cost: "$0.0000", outcome: "ok", ok: true });
  assert.equal(rows[1].outcome, "validation failed");
  assert.equal(rows[1].tokens, "— in · 5 out");
  assert.equal(rows[1].ok, false);
});

test("totalCost is the server's, else the sum of the calls", () => {
  assert.equal(totalCost({ total_cost_usd: "0.0345", calls: [] }), "$0.0345");
  assert.equal(totalCost({ calls: [{ cost_usd: "0.01" }, { cost_usd: 0.0025 }] }), "$0.0125");
  assert.equal(totalCost({}), "$0.0000");
});

test("specJson indents the spec; interpretationText reads the line", () => {
  assert.equal(specJson({ kind: "kpi" }), '{\n  "kind": "kpi"\n}');
  assert.equal(specJson(null), "");
  assert.equal(interpretationText({ text: "Total paid · last 30 days" }), "Total paid · last 30 days");
  assert.equal(interpretationText("plain"), "plain");
  assert.equal(interpretationText({}), "");
});

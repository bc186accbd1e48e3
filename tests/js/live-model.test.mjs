import assert from "node:assert/strict";
import { test } from "node:test";

import { BUSY_MS, BUSY_POLLS, QUIET_MS, fingerprint, nextDelay, outOfDate } from "../../static/widgets/live-model.js";

const widget = { id: 1, result_at: "2026-12-02T06:00:00Z", source: "cached", source_reason: "", stale: true,
  title: "Claims", kind: "kpi", age_s: 4000 };

test("a landed refresh makes a card out of date; the data's age alone does not", () => {
  const shown = new Map([[1, widget]]);
  assert.deepEqual(outOfDate(shown, [{ ...widget, age_s: 4100 }]), []);
  const landed = { ...widget, result_at: "2026-12-02T07:00:00Z", source: "live", stale: false };
  assert.deepEqual(outOfDate(shown, [landed]), [landed]);
  assert.notEqual(fingerprint(widget), fingerprint({ ...widget, source_reason: "Query failed" }));
});

test("widgets the page does not show are left to their own path", () => {
  assert.deepEqual(outOfDate(new Map(), [widget]), []);
  assert.deepEqual(outOfDate(new Map([[1, widget]]), undefined), []);
});

test("the page polls often only while something is expected", () => {
  assert.equal(nextDelay({ busyLeft: 3, staleShown: false, quietPolls: 99 }), BUSY_MS);
  assert.equal(nextDelay({ busyLeft: 0, staleShown: true, quietPolls: 0 }), BUSY_MS);
  assert.equal(nextDelay({ busyLeft: 0, staleShown: true, quietPolls: BUSY_POLLS }), QUIET_MS);
  assert.equal(nextDelay({ busyLeft: 0, staleShown: false, quietPolls: 0 }), QUIET_MS);
});

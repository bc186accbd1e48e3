import assert from "node:assert/strict";
import { test } from "node:test";

import { stepParts, stepsText } from "../../static/widgets/progress.js";

const sql = { name: "sql", label: "Writing the SQL", state: "running", attempts: 1, elapsed_s: 3.6 };

test("a step says its label and the seconds spent in it, counted on from what the server said", () => {
  assert.equal(stepsText({ current_steps: [sql] }), "Writing the SQL · 4 s");
  assert.equal(stepsText({ current_steps: [sql] }, 2), "Writing the SQL · 6 s");
});

test("two steps side by side are joined, a queued one says it waits, a retried one its try", () => {
  const component = { label: "Writing the component", state: "queued", attempts: 0, elapsed_s: 1 };
  assert.equal(stepsText({ current_steps: [{ ...sql, attempts: 2 }, component] }),
    "Writing the SQL, try 2 · 4 s and Writing the component (waiting for a worker) · 1 s");
});

test("a step not yet timed has no seconds, and the seconds never go below zero", () => {
  assert.deepEqual(stepParts({ current_steps: [{ ...sql, elapsed_s: null }] }), [{ label: "Writing the SQL", seconds: null }]);
  assert.equal(stepParts({ current_steps: [{ ...sql, elapsed_s: -5 }] })[0].seconds, 0);
  assert.deepEqual(stepParts({}), []);
});

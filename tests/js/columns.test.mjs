// static/widgets/columns.js: which dictionary dimension each result column holds.
import assert from "node:assert/strict";
import { test } from "node:test";

import { dimensionKeys } from "../../static/widgets/columns.js";

const skip = new Set(["period", "claim_count"]);

test("a column is matched to its dimension by the key's last part, its label's slug or the key itself", () => {
  const widget = { spec: { dimensions: ["claims.status", "regions.name", "channel"] }, dimension_labels: { "regions.name": "Region" } };
  assert.deepEqual(dimensionKeys(widget, ["channel", "region", "status", "claim_count"], skip),
    ["channel", "regions.name", "claims.status", null]);
});

test("columns named otherwise are matched in order with the keys left", () => {
  const widget = { spec: { dimensions: ["claims.status", "adjusters.full_name"] } };
  assert.deepEqual(dimensionKeys(widget, ["period", "status", "adjuster", "claim_count"], skip),
    [null, "claims.status", "adjusters.full_name", null]);
});

test("a spec without dimensions matches none", () => {
  assert.deepEqual(dimensionKeys({ spec: {} }, ["status", "claim_count"], skip), [null, null]);
  assert.deepEqual(dimensionKeys({ spec: { dimensions: "x" } }, ["status"], skip), [null]);
});

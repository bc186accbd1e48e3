// static/widgets/versions-model.js under Node's own test runner: what a widget's history says.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  canUndo, refinedWidgetId, relativeTime, versionBadge, versionLine, versionLines,
} from "../../static/widgets/versions-model.js";

const NOW = Date.parse("2026-12-02T12:00:00Z");
const ago = (seconds) => new Date(NOW - seconds * 1000).toISOString();

describe("relativeTime", () => {
  test("says how long ago, in the largest unit that fits", () => {
    assert.equal(relativeTime(ago(10), NOW), "just now");
    assert.equal(relativeTime(ago(5 * 60), NOW), "5 min ago");
    assert.equal(relativeTime(ago(3 * 3600), NOW), "3 h ago");
    assert.equal(relativeTime(ago(2 * 86400), NOW), "2 d ago");
  });

  test("gives the date for anything older than a week, or from a clock ahead of ours", () => {
    assert.equal(relativeTime("2026-10-01T09:00:00Z", NOW), "1 Oct 2026");
    assert.equal(relativeTime("2026-12-03T12:00:00Z", NOW), "3 Dec 2026");
  });

  test("is empty for what is not a date", () => {
    assert.equal(relativeTime(null, NOW), "");
    assert.equal(relativeTime("yesterday", NOW), "");
  });
});

describe("versionLine", () => {
  test("says the number, what made it, what changed, who and when", () => {
    const line = versionLine({ id: 9, number: 3, source: "refine", change: "Chart kind: bar → line",
                               created_by: "erin", created_at: ago(120), is_current: true }, NOW);
    assert.deepEqual(line, { number: 3, label: "Version 3", source: "Refined", change: "Chart kind: bar → line",
                             who: "erin", when: "2 min ago", at: ago(120), current: true });
  });

  test("a first version with no words of change says it is the first", () => {
    const line = versionLine({ number: 1, source: "create", change: "", created_at: ago(60) }, NOW);
    assert.equal(line.change, "First version");
    assert.equal(line.source, "Built");
    assert.equal(line.current, false);
  });

  test("a partial or broken row still gives a line", () => {
    assert.equal(versionLine(null, NOW).label, "Version");
    assert.equal(versionLine({ number: "2", source: "merge" }, NOW).source, "merge");
  });
});

test("versionLines puts the newest first whatever the order received", () => {
  const lines = versionLines([{ number: 1, source: "create" }, { number: 3, source: "edit" }, null,
                              { number: 2, source: "refine" }], NOW);
  assert.deepEqual(lines.map((l) => l.number), [3, 2, 1]);
  assert.deepEqual(versionLines(undefined, NOW), []);
});

describe("canUndo", () => {
  test("an editor may undo past the first version", () => {
    assert.equal(canUndo({ version: 2, can_edit: true }), true);
  });

  test("not at the first version, nor for a viewer", () => {
    assert.equal(canUndo({ version: 1, can_edit: true }), false);
    assert.equal(canUndo({ version: 4, can_edit: false }), false);
    assert.equal(canUndo(null), false);
  });
});

test("versionBadge says the version shown and how many there are, nothing for a first version", () => {
  assert.equal(versionBadge({ version: 1, version_count: 1 }), "");
  assert.equal(versionBadge({ version: 3, version_count: 3 }), "v3");
  assert.equal(versionBadge({ version: 2, version_count: 4 }), "v2 of 4");
  assert.equal(versionBadge({}), "");
});

describe("refinedWidgetId", () => {
  test("a request that says it refines names its widget", () => {
    assert.equal(refinedWidgetId({ id: 5, widget_id: 7, kind: "refine" }), 7);
    assert.equal(refinedWidgetId({ id: 5, widget_id: 7, is_refinement: true }), 7);
  });

  test("a request that built its widget does not refine it", () => {
    assert.equal(refinedWidgetId({ id: 5, widget_id: 7, widget: { id: 7, request_id: 5 } }), null);
    assert.equal(refinedWidgetId({ id: 5, widget_id: 7, kind: "create" }), null);
    assert.equal(refinedWidgetId({ id: 8, widget_id: 7, is_refinement: false, widget: { id: 7, request_id: 5 } }), null);
    assert.equal(refinedWidgetId({ id: 5, widget_id: null }), null);
  });

  test("a request naming a widget another request built refines it", () => {
    assert.equal(refinedWidgetId({ id: 8, widget_id: 7, widget: { id: 7, request_id: 5 } }), 7);
    assert.equal(refinedWidgetId({ id: 8, widget_id: 7 }), 7);
  });
});

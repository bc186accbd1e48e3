import assert from "node:assert/strict";
import { test } from "node:test";

import {
  CUSTOM, OTHER, PRESETS, customWindow, formatDates, presetOf, sameWindow, windowFields, windowNote,
  windowOfPreset, windowWords,
} from "../../static/widgets/window-model.js";

test("every preset is its own TimeWindow, and a stored window reads back as the preset it came from", () => {
  const ids = PRESETS.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const preset of PRESETS) {
    const window = windowOfPreset(preset.id);
    // As the server sends it back: with the page's words beside the fields.
    const stored = window && { ...window, text: "words", dates: "dates" };
    assert.deepEqual(presetOf(stored), { id: preset.id }, preset.id);
  }
  const seen = PRESETS.filter((p) => p.window).map((p) => JSON.stringify(p.window));
  assert.equal(new Set(seen).size, seen.length, "two presets send the same window");
});

test("the presets send the spec's window shapes", () => {
  assert.equal(windowOfPreset("own"), null);
  assert.deepEqual(windowOfPreset("last-30-days"), { kind: "rolling", n: 30, unit: "day" });
  assert.deepEqual(windowOfPreset("last-month"), { kind: "previous", unit: "month" });
  assert.deepEqual(windowOfPreset("this-quarter"), { kind: "current", unit: "quarter" });
  assert.deepEqual(windowOfPreset("year-to-date"), { kind: "to_date", unit: "year" });
  assert.deepEqual(windowOfPreset("last-12-months"), { kind: "rolling", n: 12, unit: "month" });
  assert.throws(() => windowOfPreset("fortnight"));
  const sent = windowOfPreset("last-7-days");
  sent.n = 99; // a copy: the preset itself is not changed by its caller
  assert.equal(windowOfPreset("last-7-days").n, 7);
});

test("a range or a since date is the custom choice, with its dates; anything else is other", () => {
  assert.deepEqual(presetOf({ kind: "between", start: "2026-01-01", end: "2026-03-31", text: "x", dates: "x" }),
    { id: CUSTOM, start: "2026-01-01", end: "2026-03-31" });
  assert.deepEqual(presetOf({ kind: "since", start: "2026-05-01" }), { id: CUSTOM, start: "2026-05-01", end: "" });
  assert.deepEqual(presetOf({ kind: "period", unit: "quarter", year: 2026, quarter: 3 }), { id: OTHER });
  assert.deepEqual(presetOf({ kind: "rolling", n: 14, unit: "day" }), { id: OTHER });
  assert.deepEqual(presetOf(null), { id: "own" });
  assert.deepEqual(presetOf({}), { id: "own" });
});

test("two windows are the same reading whatever words come with them", () => {
  assert.ok(sameWindow({ kind: "previous", unit: "month", text: "last month" }, { kind: "previous", unit: "month" }));
  assert.ok(!sameWindow({ kind: "previous", unit: "month" }, { kind: "previous", unit: "quarter" }));
  assert.ok(!sameWindow({ kind: "rolling", n: 7, unit: "day" }, null));
  assert.ok(sameWindow(null, undefined));
  assert.deepEqual(windowFields({ kind: "all", text: "all time", dates: "all time", n: null }), { kind: "all" });
});

test("a custom range is between its two days, the last inclusive, or since the first", () => {
  assert.deepEqual(customWindow({ start: "2026-02-01", end: "2026-02-28" }),
    { window: { kind: "between", start: "2026-02-01", end: "2026-02-28" } });
  assert.deepEqual(customWindow({ start: "2026-02-01", end: "2026-02-01" }),
    { window: { kind: "between", start: "2026-02-01", end: "2026-02-01" } });
  assert.deepEqual(customWindow({ start: "2026-02-01", end: "" }), { window: { kind: "since", start: "2026-02-01" } });
});

test("a custom range that cannot be a window says why in words", () => {
  for (const [range, words] of [
    [{ start: "", end: "2026-02-28" }, /first day/],
    [{ start: "2026-03-01", end: "2026-02-28" }, /ends before it starts/],
    [{ start: "2026-02-30", end: "" }, /not a date/],
    [{ start: "01/02/2026", end: "" }, /not a date/],
    [{ start: "2026-02-01", end: "2026-13-01" }, /last day is not a date/],
  ]) {
    const out = customWindow(range);
    assert.equal(out.window, undefined, JSON.stringify(range));
    assert.match(out.error, words);
  }
});

test("dates read like the server's, the last day inclusive", () => {
  assert.equal(formatDates({ start: "2026-07-01", end: "2026-10-01" }), "1 Jul – 30 Sep 2026");
  assert.equal(formatDates({ start: "2026-11-03", end: "2026-11-10" }), "3–9 Nov 2026");
  assert.equal(formatDates({ start: "2025-12-15", end: "2026-01-15" }), "15 Dec 2025 – 14 Jan 2026");
  assert.equal(formatDates({ start: "2026-03-01", end: "2026-03-02" }), "1 Mar 2026");
  assert.equal(formatDates({ start: "2026-03-01", end: null }), "since 1 Mar 2026");
  assert.equal(formatDates({ start: null, end: "2026-03-01" }), "until 28 Feb 2026");
  assert.equal(formatDates({ start: null, end: null }), "all time");
  assert.equal(formatDates(null), "");
});

test("the header says the window's words and dates once each", () => {
  assert.equal(windowWords({ kind: "rolling", text: "the last 30 days", dates: "3 Nov – 2 Dec 2026" }),
    "the last 30 days (3 Nov – 2 Dec 2026)");
  assert.equal(windowWords({ kind: "between", text: "1–28 Feb 2026", dates: "1–28 Feb 2026" }), "1–28 Feb 2026");
  assert.equal(windowWords(null), "");
});

const DASHBOARD = { kind: "previous", unit: "quarter", text: "last quarter", dates: "1 Jul – 30 Sep 2026" };

test("a card under the dashboard's window says so, with the dates it was run for", () => {
  const w = { window_applied: true, window_own: "last quarter",
    interpretation: { window: { start: "2026-07-01", end: "2026-10-01" } } };
  assert.deepEqual(windowNote(w, DASHBOARD),
    { kind: "applied", label: "Dashboard window:", text: "last quarter (1 Jul – 30 Sep 2026)." });
  // A grain by week widened this widget's run to whole weeks: its own dates, not the dashboard's.
  const weekly = { ...w, interpretation: { window: { start: "2026-06-29", end: "2026-10-01" } } };
  assert.match(windowNote(weekly, DASHBOARD).text, /^last quarter \(29 Jun – 30 Sep 2026\)/);
});

test("a card whose own window differs says the dashboard's is shown, not its own", () => {
  const w = { window_applied: true, window_own: "the last 30 days", title: "Claims · last 30 days",
    interpretation: { window: { start: "2026-07-01", end: "2026-10-01" } } };
  const note = windowNote(w, DASHBOARD);
  assert.equal(note.kind, "applied");
  assert.equal(note.text, "last quarter (1 Jul – 30 Sep 2026), not this widget's own (the last 30 days).");
});

test("a custom range is said once, and a card without its run's dates takes the dashboard's", () => {
  const range = { kind: "between", start: "2026-02-01", end: "2026-02-28", text: "1–28 Feb 2026", dates: "1–28 Feb 2026" };
  const w = { window_applied: true, window_own: "all time", interpretation: { window: { start: "2026-02-01", end: "2026-03-01" } } };
  assert.equal(windowNote(w, range).text, "1–28 Feb 2026, not this widget's own (all time).");
  assert.equal(windowNote({ window_applied: true, interpretation: null }, DASHBOARD).text,
    "last quarter (1 Jul – 30 Sep 2026).");
});

test("a card the window cannot touch says why; one where it failed says its own figures are shown", () => {
  assert.deepEqual(windowNote({ window_applied: false, window_status: "not_affected",
    window_reason: "Adjusters has no date to filter on." }, DASHBOARD),
    { kind: "not-affected", label: "Not affected by the dashboard's window:", text: "Adjusters has no date to filter on." });
  const failed = windowNote({ window_applied: false, window_status: "failed",
    window_reason: "The dashboard's window could not be applied: The warehouse is away." }, DASHBOARD);
  assert.equal(failed.kind, "failed");
  assert.match(failed.label, /own window/);
  assert.match(failed.text, /The warehouse is away/);
  // Told apart by the status the server gives, not by the reason's words: a refused query is a failure too.
  const refused = windowNote({ window_applied: false, window_status: "failed",
    window_reason: "Its query is refused now: table secrets is not allowed." }, DASHBOARD);
  assert.equal(refused.kind, "failed");
});

test("without a dashboard window a card says nothing about one", () => {
  assert.equal(windowNote({ window_applied: null }, null), null);
  assert.equal(windowNote({}, DASHBOARD), null);
  assert.equal(windowNote(null, DASHBOARD), null);
});

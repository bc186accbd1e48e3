// static/widgets/format.js under Node's own test runner: `node --test tests/js/` (make test-js).
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  axisTitle, bucketEnd, bucketLabel, chartText, formatDelta, formatValue, humanize, isBigInteger, isoWeek, labelFor, needsYear,
  partialIndex, periods, shorten, toNumber, unitLabel,
} from "../../static/widgets/format.js";

// What the server sends in #ui-meta (widgets' unit enum as data); en-US so the strings are exact.
const META = {
  locale: "en-US",
  units: {
    count: { label: "Count", intl: { maximumFractionDigits: 0 } },
    currency: { label: "Currency", intl: { style: "currency", currency: "USD", maximumFractionDigits: 0 } },
    days: { label: "Days", intl: { style: "unit", unit: "day", unitDisplay: "long", maximumFractionDigits: 1 } },
    percent: { label: "Percent", intl: { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 } },
  },
};

describe("formatValue", () => {
  const cases = [
    [1234567.4, "currency", {}, "$1,234,567"],
    [1234567.4, "currency", { compact: true }, "$1.2M"],
    [-1234567.4, "currency", { compact: true }, "-$1.2M"],
    [-98.6, "currency", {}, "-$99"],
    [-0.2, "currency", {}, "$0"], // rounds to zero: no "-$0"
    [0, "currency", {}, "$0"],
    [0.634, "percent", {}, "63.4%"],
    [-0.05, "percent", {}, "-5.0%"],
    [12.25, "days", {}, "12.3 days"],
    [1, "days", {}, "1 day"],
    [1520, "count", {}, "1,520"],
    [1520, "count", { compact: true }, "1.5K"],
    ["2284", "count", {}, "2,284"],
    [999, "count", { signed: true }, "+999"],
  ];
  for (const [value, unit, options, expected] of cases) {
    test(`${JSON.stringify(value)} ${unit} ${JSON.stringify(options)} is ${expected}`, () => {
      assert.equal(formatValue(value, unit, META, options), expected);
    });
  }

  for (const missing of [null, undefined, NaN, "", "n/a", Infinity]) {
    test(`${String(missing)} is a dash`, () => assert.equal(formatValue(missing, "currency", META), "—"));
  }

  test("a unit the server did not describe is a plain number", () => {
    assert.equal(formatValue(1234.5678, "furlongs", { locale: "en-US", units: {} }), "1,234.57");
    assert.equal(formatValue(3, "count", undefined).replace(/\D/g, ""), "3");
  });

  test("the unit's label is the server's", () => {
    assert.equal(unitLabel("currency", META), "Currency");
    assert.equal(unitLabel("claim_days", {}), "Claim days");
  });
});

describe("formatDelta", () => {
  test("a rise is signed, compact and up", () => {
    const delta = { group: [], current: 29_500_000, previous: 28_300_000, abs: 1_200_000, pct: 0.0432 };
    assert.deepEqual(formatDelta(delta, "currency", META), { abs: "+$1.2M", pct: "+4.3%", direction: "up" });
  });

  test("a small fall keeps its exact figure", () => {
    const delta = { group: ["agent"], current: 88, previous: 100, abs: -12, pct: -0.12 };
    assert.deepEqual(formatDelta(delta, "count", META), { abs: "-12", pct: "-12.0%", direction: "down" });
  });

  test("no change is flat, without a sign", () => {
    assert.deepEqual(formatDelta({ abs: 0, pct: 0 }, "count", META), { abs: "0", pct: "0.0%", direction: "flat" });
  });

  test("a percent metric changes in points", () => {
    assert.deepEqual(formatDelta({ abs: -0.025, pct: -0.04 }, "percent", META),
      { abs: "-2.5 pts", pct: "-4.0%", direction: "down" });
  });

  test("from zero there is no percent", () => {
    assert.deepEqual(formatDelta({ current: 5, previous: 0, abs: 5, pct: null }, "count", META),
      { abs: "+5", pct: null, direction: "up" });
  });

  test("with nothing to compare it is a dash", () => {
    assert.deepEqual(formatDelta({ current: 5, previous: null, abs: null, pct: null }, "count", META),
      { abs: "—", pct: null, direction: "flat" });
    assert.deepEqual(formatDelta(undefined, "count", META), { abs: "—", pct: null, direction: "flat" });
  });
});

describe("bucket labels", () => {
  const cases = [
    ["2026-01-05", "day", false, "5 Jan"],
    ["2026-01-05", "day", true, "5 Jan 2026"],
    ["2026-01-05", "week", false, "5 Jan"],
    ["2025-12-29", "week", true, "29 Dec 2025"],
    ["2026-01-01", "month", false, "Jan"],
    ["2026-01-01", "month", true, "Jan 2026"],
    ["2026-12-01T00:00:00Z", "month", true, "Dec 2026"],
    ["2026-07-01", "quarter", false, "Q3"],
    ["2026-10-01", "quarter", true, "Q4 2026"],
    ["2026-01-01", "year", false, "2026"],
  ];
  for (const [iso, grain, withYear, expected] of cases) {
    test(`${iso} by ${grain}${withYear ? " with year" : ""} is ${expected}`, () => {
      assert.equal(bucketLabel(iso, grain, { withYear }), expected);
    });
  }

  test("a week's long label is its ISO week, in the ISO week's year", () => {
    assert.equal(bucketLabel("2026-01-05", "week", { long: true }), "W2 2026 (from 5 Jan)");
    assert.equal(bucketLabel("2024-12-30", "week", { long: true }), "W1 2025 (from 30 Dec)");
  });

  test("text that is not a date is left as it is", () => {
    assert.equal(bucketLabel("Midwest", "month"), "Midwest");
    assert.equal(bucketLabel(null, "month"), "—");
    assert.equal(bucketLabel("2026-13-01", "month"), "2026-13-01");
  });

  const weeks = [
    ["2024-12-30", { year: 2025, week: 1 }],
    ["2021-01-03", { year: 2020, week: 53 }],
    ["2020-12-28", { year: 2020, week: 53 }],
    ["2026-01-01", { year: 2026, week: 1 }],
    ["2026-01-05", { year: 2026, week: 2 }],
    ["2026-12-28", { year: 2026, week: 53 }],
  ];
  for (const [iso, expected] of weeks) {
    test(`${iso} is ISO week ${expected.week} of ${expected.year}`, () => assert.deepEqual(isoWeek(iso), expected));
  }

  test("a series needs the year only when it spans years", () => {
    assert.equal(needsYear(["2025-11-01", "2025-12-01"]), false);
    assert.equal(needsYear(["2025-12-01", "2026-01-01"]), true);
    assert.equal(needsYear(["2025-12-29T00:00:00", "2026-01-05T00:00:00"]), true);
    assert.equal(needsYear([]), false);
    assert.equal(needsYear(["Midwest", "South"]), false);
  });

  test("a bucket ends where the next begins", () => {
    assert.equal(bucketEnd("2026-01-31", "day"), "2026-02-01");
    assert.equal(bucketEnd("2025-12-29", "week"), "2026-01-05");
    assert.equal(bucketEnd("2025-12-01", "month"), "2026-01-01");
    assert.equal(bucketEnd("2025-10-01", "quarter"), "2026-01-01");
    assert.equal(bucketEnd("2025-01-01", "year"), "2026-01-01");
  });
});

describe("labelFor", () => {
  const widget = { value_labels: { status: { under_review: "Under review (pending)", CL: "Closed" } } };

  test("the server's label wins", () => {
    assert.equal(labelFor("status", "under_review", widget), "Under review (pending)");
    assert.equal(labelFor("status", "CL", widget), "Closed");
  });

  test("without one the code is humanised", () => {
    assert.equal(labelFor("status", "re_opened", widget), "Re opened");
    assert.equal(labelFor("channel", "online", {}), "Online");
    assert.equal(labelFor("region", "CA", undefined), "CA");
    assert.equal(labelFor("band", 3, widget), "3");
    assert.equal(humanize("auto_standard"), "Auto standard");
  });

  test("a missing value is a dash", () => assert.equal(labelFor("status", null, widget), "—"));

  test("numbers are read from numeric strings only", () => {
    assert.equal(toNumber("12.5"), 12.5);
    assert.equal(toNumber("twelve"), null);
    assert.equal(toNumber(true), null);
  });
});

describe("partialIndex", () => {
  const monthly = (extra) => ({
    spec: { grain: "month" },
    result: {
      columns: ["period", "claim_count"],
      rows: [["2026-03-01", 10], ["2026-01-01", 12], ["2026-02-01", 11]],
      window: { start: "2026-01-01", end: "2026-04-01" },
      ...extra,
    },
  });

  test("the last bucket holding today is partial", () => {
    assert.equal(partialIndex(monthly({ partial_last: true, today: "2026-03-04" })), 2);
  });

  test("a complete series has none", () => {
    assert.equal(partialIndex(monthly({ partial_last: false, today: "2026-04-02" })), null);
  });

  test("a current bucket left out of the rows marks no earlier bucket", () => {
    const widget = monthly({ partial_last: true, today: "2026-04-03", window: { start: "2026-01-01", end: "2026-05-01" } });
    assert.equal(partialIndex(widget), null);
  });

  test("without today, the window's end decides", () => {
    assert.equal(partialIndex(monthly({ partial_last: true })), 2);
    const early = monthly({ partial_last: true, window: { start: "2026-01-01", end: "2026-05-01" } });
    assert.equal(partialIndex(early), null);
  });

  test("a split series counts buckets, not rows", () => {
    const widget = {
      spec: { grain: "week" },
      result: {
        columns: ["period", "channel", "claim_count"],
        rows: [["2025-12-29", "a", 1], ["2025-12-29", "b", 2], ["2026-01-05", "a", 3], ["2026-01-05", "b", 1]],
        partial_last: true, today: "2026-01-07",
      },
    };
    assert.deepEqual(periods(widget.result), ["2025-12-29", "2026-01-05"]);
    assert.equal(partialIndex(widget), 1);
  });

  test("a result without periods has none", () => {
    const widget = { spec: {}, result: { columns: ["region", "n"], rows: [["West", 1]], partial_last: true } };
    assert.equal(partialIndex(widget), null);
    assert.equal(partialIndex({}), null);
  });
});

describe("humanize follows the server's value_label rule", () => {
  test("only a lower-case code becomes words", () => {
    assert.equal(humanize("under_review"), "Under review");
    for (const kept of ["a_B", "North East", "iPhone_x", "A b", "x__y", "_lead", "ca-1"]) assert.equal(humanize(kept), kept);
  });
});

describe("chartText", () => {
  test("rich-text markup is inert and newlines are spaces", () => {
    const text = chartText("NE {a|RICH} {b} \n{c|x}|y");
    assert.equal(text.replaceAll("\u200b", ""), "NE {a|RICH} {b}  {c|x}|y");
    assert.doesNotMatch(text, /\{[a-zA-Z0-9_]+\|/); // what ECharts reads as a rich-text style
    assert.doesNotMatch(text, /[\r\n]/);
    assert.equal(chartText("a\r\nb\tc"), "a b c");
    assert.equal(chartText(null), "—");
  });
  test("plain text is unchanged", () => assert.equal(chartText("South (online) 12%"), "South (online) 12%"));
});

describe("shorten", () => {
  test("a long label is cut with an ellipsis, a short one kept", () => {
    assert.equal(shorten("Commercial auto standard policies", 12), "Commercial…");
    assert.equal(shorten("South", 12), "South");
  });
});

describe("big integers", () => {
  test("an integer past 2^53 sent as digits is shown exactly", () => {
    assert.equal(isBigInteger("9007199254740993"), true);
    assert.equal(isBigInteger("12"), false);
    assert.equal(formatValue("9007199254740993", "count", META), "9,007,199,254,740,993");
    assert.equal(formatValue("-12345678901234567890", "count", META), "-12,345,678,901,234,567,890");
  });
  test("NaN, Infinity and text give a dash", () => {
    for (const v of ["NaN", "Infinity", NaN, Infinity, null, "n/a"]) assert.equal(formatValue(v, "count", META), "—");
  });
});

describe("axisTitle", () => {
  test("names the measure with its unit's sign, not the unit's long label", () => {
    assert.equal(axisTitle("Total paid", "currency", META), "Total paid ($)");
    assert.equal(axisTitle("Loss ratio", "percent", META), "Loss ratio (%)");
    assert.equal(axisTitle("Average settlement", "days", META), "Average settlement (days)");
  });
  test("a plain count has no sign to add", () => {
    assert.equal(axisTitle("Claim count", "count", META), "Claim count");
  });
});

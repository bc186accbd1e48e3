// Formatting for widgets: values by unit, comparison deltas, time-bucket labels, dimension labels and the
// partial bucket. Pure functions, no DOM: the charts and the cards import them, and Node's test runner
// checks them (tests/js/format.test.mjs). Unit formats come from the server's `#ui-meta`
// (meta.units[unit].intl are Intl.NumberFormat options), never from constants here.

const DASH = "—";
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ]00:00(?::00(?:\.0+)?)?(?:Z|[+-]00:?00)?)?$/;
const DAY_MS = 86_400_000;

const DIGITS = /^-?\d+$/;

/** Returns whether ``value`` is an integer the server sent as its digits because a number would round it. */
export const isBigInteger = (value) => typeof value === "string" && DIGITS.test(value.trim())
  && !Number.isSafeInteger(Number(value));

/** Returns the number a value stands for (numbers, numeric strings), or null (null, "", NaN, text). */
export function toNumber(value) {
  if (value === null || value === undefined || value === "" || typeof value === "boolean") return null;
  const n = typeof value === "number" ? value : Number(value);
  return Number.isFinite(n) ? n : null;
}

// The server's rule (sql_gen.models.value_label): only a lower-case code is turned into words.
const CODE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;

/** Returns a lower-case code ("under_review") as words with a capital ("Under review"), any other value
 * ("a_B", "North East", "iPhone_x") exactly as stored; null as "—". The server's value_label rule. */
export function humanize(code) {
  if (code === null || code === undefined || code === "") return DASH;
  const text = String(code);
  if (!CODE.test(text)) return text;
  const words = text.replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * Returns ``text`` safe to hand to an ECharts text formatter (tooltips, axis labels, legends, pie labels):
 * rich-text markup is made inert ("{a|x}" would style and hide, "{b}" would be replaced) by a zero-width
 * space after each "{" and before each "|", which draws nothing, and newlines and tabs become spaces (an
 * embedded newline would start a line of its own in a tooltip). Null is "—".
 */
export function chartText(text) {
  if (text === null || text === undefined) return DASH;
  return String(text).replace(/[\r\n\t\u2028\u2029]+/g, " ").replaceAll("{", "{\u200b").replaceAll("|", "\u200b|");
}

/** Returns ``text`` cut to ``max`` characters with "…" (for an axis label; the tooltip has the whole). */
export function shorten(text, max = 24) {
  const chars = [...String(text)];
  return chars.length <= max ? String(text) : `${chars.slice(0, max - 1).join("").trimEnd()}…`;
}

/** Returns the Intl.NumberFormat options for a unit: the server's, or plain numbers when it sent none. */
export function unitOptions(unit, meta) {
  const found = meta && meta.units && meta.units[unit] && meta.units[unit].intl;
  return { maximumFractionDigits: 2, ...(found || {}) };
}

/** Returns a unit's display label from the server ("Currency"), or the unit humanised. */
export function unitLabel(unit, meta) {
  const found = meta && meta.units && meta.units[unit];
  return (found && found.label) || humanize(unit || "count");
}

const formatters = new Map();
function numberFormat(options, locale) {
  const key = JSON.stringify([locale || null, options]);
  if (!formatters.has(key)) formatters.set(key, new Intl.NumberFormat(locale || undefined, options));
  return formatters.get(key);
}

function compactOptions(options) {
  const { minimumFractionDigits, maximumFractionDigits, minimumSignificantDigits, maximumSignificantDigits,
    ...rest } = options;
  return { ...rest, notation: "compact", maximumFractionDigits: 1 };
}

/**
 * Returns a metric value formatted by its unit: "$1,234,567.00" (or "$1.2M" with compact, for axes),
 * "63.0%" for 0.63 (percent values are fractions). Null, NaN and text that is not a number give "—".
 */
export function formatValue(value, unit, meta, { compact = false, signed = false } = {}) {
  let n = toNumber(value);
  if (n === null) return DASH;
  if (Object.is(n, -0)) n = 0;
  const base = unitOptions(unit, meta);
  // "negative" keeps a value that rounds to zero from showing as "-$0".
  const options = { signDisplay: "negative", ...(compact ? compactOptions(base) : base) };
  if (signed) options.signDisplay = "exceptZero";
  // An integer past 2^53 is formatted from its digits, exactly (Intl formats a BigInt without rounding it).
  const exact = !compact && isBigInteger(value) ? BigInt(value.trim()) : n;
  return numberFormat(options, meta && meta.locale).format(exact);
}

/**
 * Returns one element of `result.deltas` ({current, previous, abs, pct}) for display:
 * {abs: "+$1.2M", pct: "+4.3%" | null, direction: "up" | "down" | "flat"}. A percent metric's change is
 * in points ("+2.5 pts"), not a percent of a percent. pct is null when the earlier value was zero or
 * missing; abs is "—" when there is nothing to compare.
 */
export function formatDelta(delta, unit, meta) {
  const change = toNumber(delta && delta.abs);
  if (change === null) return { abs: DASH, pct: null, direction: "flat" };
  const direction = change > 0 ? "up" : change < 0 ? "down" : "flat";
  const abs = unit === "percent"
    ? `${numberFormat({ maximumFractionDigits: 1, minimumFractionDigits: 1, signDisplay: "exceptZero" },
      meta && meta.locale).format(change * 100)} pts`
    : formatValue(change, unit, meta, { compact: Math.abs(change) >= 10_000, signed: true });
  const fraction = toNumber(delta.pct);
  const pct = fraction === null ? null : numberFormat(
    { style: "percent", maximumFractionDigits: 1, minimumFractionDigits: 1, signDisplay: "exceptZero" },
    meta && meta.locale).format(fraction);
  return { abs, pct, direction };
}

/** Returns {y, m, d} (m 1-12) of an ISO date or midnight timestamp, or null for anything else. */
export function parseIsoDate(value) {
  const match = ISO_DATE.exec(String(value === null || value === undefined ? "" : value));
  if (!match) return null;
  const [y, m, d] = match.slice(1).map(Number);
  return m >= 1 && m <= 12 && d >= 1 && d <= 31 ? { y, m, d } : null;
}

/** Returns the ISO-8601 week of an ISO date: {year, week}; 2024-12-30 is week 1 of 2025. */
export function isoWeek(isoDate) {
  const p = parseIsoDate(isoDate);
  if (!p) return null;
  const date = new Date(Date.UTC(p.y, p.m - 1, p.d));
  const weekday = (date.getUTCDay() + 6) % 7; // Monday 0
  const thursday = new Date(date.getTime() + (3 - weekday) * DAY_MS);
  const year = thursday.getUTCFullYear();
  const week = 1 + Math.floor((thursday - Date.UTC(year, 0, 1)) / DAY_MS / 7);
  return { year, week };
}

/** Returns whether a series of bucket dates spans more than one calendar year (its axis then shows years). */
export function needsYear(isoDates) {
  const years = new Set();
  for (const value of isoDates || []) {
    const p = parseIsoDate(value);
    if (p) years.add(p.y);
  }
  return years.size > 1;
}

/**
 * Returns a time bucket's axis label from its first day: "5 Jan" (day, and week by its Monday), "Jan",
 * "Q1", "2026", with the year appended when `withYear` ("Jan 2026", "Q1 2026"). With `long`, a week is
 * "W2 2026 (from 5 Jan)" and every label carries its year, for tooltips. A value that is not an ISO date is returned as text.
 */
export function bucketLabel(isoDate, grain, { withYear = false, long = false } = {}) {
  const p = parseIsoDate(isoDate);
  if (!p) return isoDate === null || isoDate === undefined ? DASH : String(isoDate);
  const year = withYear || long ? ` ${p.y}` : "";
  const dayMonth = `${p.d} ${MONTHS[p.m - 1]}`;
  switch (grain) {
    case "year": return String(p.y);
    case "quarter": return `Q${Math.ceil(p.m / 3)}${year}`;
    case "month": return `${MONTHS[p.m - 1]}${year}`;
    case "week": {
      if (!long) return `${dayMonth}${year}`;
      const { year: wy, week } = isoWeek(isoDate);
      return `W${week} ${wy} (from ${dayMonth})`;
    }
    default: return `${dayMonth}${year}`;
  }
}

/** Returns the first day after the bucket that starts on isoDate, as an ISO date. */
export function bucketEnd(isoDate, grain) {
  const p = parseIsoDate(isoDate);
  if (!p) return null;
  const months = { month: 1, quarter: 3, year: 12 }[grain];
  const start = Date.UTC(p.y, p.m - 1, p.d);
  const end = months ? Date.UTC(p.y, p.m - 1 + months, p.d) : start + (grain === "week" ? 7 : 1) * DAY_MS;
  return new Date(end).toISOString().slice(0, 10);
}

/**
 * Returns a dimension value's display label: `widget.value_labels[dimension][code]` when the server sent
 * one, else the code humanised ("under_review" → "Under review"); null is "—".
 */
export function labelFor(dimension, code, widget) {
  if (code === null || code === undefined) return DASH;
  const labels = widget && widget.value_labels && widget.value_labels[dimension];
  const found = labels && labels[String(code)];
  return found === undefined || found === null || found === "" ? humanize(code) : String(found);
}

/** Returns the distinct `period` values of a result in time order (ISO dates sort as text). */
export function periods(result) {
  const at = result && result.columns ? result.columns.indexOf("period") : -1;
  if (at < 0) return [];
  return [...new Set(result.rows.map((row) => row[at]).filter((v) => v !== null && v !== undefined))].sort();
}

/**
 * Returns the index (among `periods(result)`) of the partial bucket, or null when none is drawn: the
 * result says `partial_last`, and its last bucket has not ended by `result.today` (or by the window's
 * end, when no today is given). A current bucket left out of the rows is not marked on an earlier one.
 */
export function partialIndex(widget) {
  const result = widget && widget.result;
  if (!result || !result.partial_last) return null;
  const buckets = periods(result);
  if (!buckets.length) return null;
  const last = buckets[buckets.length - 1];
  const grain = widget.spec && widget.spec.grain;
  const end = bucketEnd(last, grain);
  const today = parseIsoDate(result.today) ? String(result.today).slice(0, 10) : null;
  const windowEnd = result.window && parseIsoDate(result.window.end) ? String(result.window.end).slice(0, 10) : null;
  if (end && today && end <= today) return null; // the last bucket drawn is complete
  if (end && !today && windowEnd && end < windowEnd) return null;
  return buckets.length - 1;
}

/**
 * Returns the short sign of a unit as its format shows it, for column headers: "$" (currency), "%"
 * (percent), "days"; an empty string for plain numbers. Read from the server's Intl options.
 */
export function unitSymbol(unit, meta) {
  const options = unitOptions(unit, meta);
  const parts = numberFormat(options, meta && meta.locale).formatToParts(2);
  return parts.filter((p) => ["currency", "percentSign", "unit"].includes(p.type)).map((p) => p.value).join("").trim();
}

/** Returns the widget's metrics in spec order: the server's definitions when sent, else the spec's own. */
export function metricsOf(widget) {
  if (Array.isArray(widget.metrics) && widget.metrics.length) return widget.metrics;
  const spec = widget.spec || {};
  return [spec.metric, ...(spec.extra_metrics || [])].filter(Boolean);
}

/** Returns an axis title: the measure's name with its unit's sign ("Total paid ($)", "Loss ratio (%)"), or the
 * name alone for a plain count ("Claim count"). */
export function axisTitle(name, unit, meta) {
  const symbol = unitSymbol(unit, meta);
  return symbol ? `${name} (${symbol})` : name;
}

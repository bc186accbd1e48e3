// The dashboard's time window, the pure part (no DOM): the presets the page offers and the TimeWindow each
// stands for (the spec's window shape, widgets/services/windows.py), which preset a stored window is, a
// custom range from two dates, and what a card says about the window. Tested by tests/js/window-model.test.mjs.

/** The presets, in the order the page offers them. ``window`` is what PATCH sends (null: none). */
export const PRESETS = [
  // Read after the control's label: "Time window: Each widget's own" (short, so the page head keeps one row).
  { id: "own", label: "Each widget's own", window: null },
  { id: "last-7-days", label: "Last 7 days", window: { kind: "rolling", n: 7, unit: "day" } },
  { id: "last-30-days", label: "Last 30 days", window: { kind: "rolling", n: 30, unit: "day" } },
  { id: "last-90-days", label: "Last 90 days", window: { kind: "rolling", n: 90, unit: "day" } },
  { id: "this-month", label: "This month", window: { kind: "current", unit: "month" } },
  { id: "last-month", label: "Last month", window: { kind: "previous", unit: "month" } },
  { id: "this-quarter", label: "This quarter", window: { kind: "current", unit: "quarter" } },
  { id: "last-quarter", label: "Last quarter", window: { kind: "previous", unit: "quarter" } },
  { id: "year-to-date", label: "Year to date", window: { kind: "to_date", unit: "year" } },
  { id: "last-12-months", label: "Last 12 months", window: { kind: "rolling", n: 12, unit: "month" } },
  { id: "all-time", label: "All time", window: { kind: "all" } },
];
export const CUSTOM = "custom"; // two dates: between (the end inclusive), or since when there is no end
export const OTHER = "other"; // a stored window no preset is (set through the API: "Q3 2026")

// The fields a TimeWindow may carry besides its kind; the server stores only those its kind uses.
const FIELDS = ["n", "unit", "year", "quarter", "month", "day", "start", "end"];
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Returns the TimeWindow of preset ``id`` (null for the widgets' own windows); throws for an unknown id. */
export function windowOfPreset(id) {
  const preset = PRESETS.find((p) => p.id === id);
  if (!preset) throw new Error(`no preset ${id}`);
  return preset.window && { ...preset.window };
}

/** Returns the window's own fields (kind and what it uses), without the page's ``text`` and ``dates``. */
export function windowFields(window) {
  if (!window || typeof window !== "object" || !window.kind) return null;
  const out = { kind: window.kind };
  for (const key of FIELDS) if (window[key] !== undefined && window[key] !== null) out[key] = window[key];
  return out;
}

/** Tells whether two windows are the same reading (the page's ``text``/``dates`` aside; null is none). */
export function sameWindow(a, b) {
  const [x, y] = [windowFields(a), windowFields(b)];
  if (!x || !y) return !x && !y;
  const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
  return [...keys].every((k) => x[k] === y[k]);
}

/** Returns which choice a stored window is: {id} of a preset, {id: CUSTOM, start, end} for a range
 * (``end`` "" for a since window), or {id: OTHER} for a window no preset is. */
export function presetOf(window) {
  const fields = windowFields(window);
  if (!fields) return { id: "own" };
  const preset = PRESETS.find((p) => p.window && sameWindow(p.window, fields));
  if (preset) return { id: preset.id };
  if (fields.kind === "between") return { id: CUSTOM, start: fields.start, end: fields.end };
  if (fields.kind === "since") return { id: CUSTOM, start: fields.start, end: "" };
  return { id: OTHER };
}

/** Returns {window} for a custom range from two <input type=date> values (``end`` inclusive, empty for
 * "since"), or {error} in words. Dates in the future are for the server to refuse (it knows the data's
 * today). */
export function customWindow({ start, end }) {
  const from = String(start || "").trim();
  const to = String(end || "").trim();
  if (!from) return { error: "Choose the first day of the range." };
  if (!ISO_DAY.test(from) || !validDay(from)) return { error: "The first day is not a date." };
  if (!to) return { window: { kind: "since", start: from } };
  if (!ISO_DAY.test(to) || !validDay(to)) return { error: "The last day is not a date." };
  if (to < from) return { error: "The range ends before it starts: choose a last day on or after the first." };
  return { window: { kind: "between", start: from, end: to } };
}

function validDay(iso) {
  const [y, m, d] = iso.split("-").map(Number);
  const day = new Date(Date.UTC(y, m - 1, d));
  return day.getUTCFullYear() === y && day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
}

/** Returns half-open ISO bounds as the analyst reads them, last day inclusive, like the server's
 * ``describe_dates``: "1 Jul – 30 Sep 2026", "3–9 Nov 2026", "since 1 Mar 2026", "all time"; "" for none. */
export function formatDates(bounds) {
  if (!bounds || typeof bounds !== "object") return "";
  const { start, end } = bounds;
  if (!start && !end) return "all time";
  if (!end) return `since ${dayWords(parse(start))}`;
  const last = parse(end);
  last.setUTCDate(last.getUTCDate() - 1);
  if (!start) return `until ${dayWords(last)}`;
  const first = parse(start);
  if (first.getTime() === last.getTime()) return dayWords(first);
  const [fy, fm, ly, lm] = [first.getUTCFullYear(), first.getUTCMonth(), last.getUTCFullYear(), last.getUTCMonth()];
  if (fy === ly && fm === lm) return `${first.getUTCDate()}–${last.getUTCDate()} ${MONTHS[lm]} ${ly}`;
  if (fy === ly) return `${first.getUTCDate()} ${MONTHS[fm]} – ${dayWords(last)}`;
  return `${dayWords(first)} – ${dayWords(last)}`;
}

const parse = (iso) => new Date(`${iso}T00:00:00Z`);
const dayWords = (d) => `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;

/** Returns the window as the header says it: "the last 30 days (3 Nov – 2 Dec 2026)", or its dates alone
 * when its words are its dates (a custom range); "" for none. */
export function windowWords(window) {
  if (!window) return "";
  const text = window.text || "";
  const dates = window.dates || "";
  if (!dates || dates === text) return text || dates;
  return text ? `${text} (${dates})` : dates;
}

/** Returns what card ``w`` says about the dashboard's ``window`` ({kind, label, text}), or null when the
 * dashboard has none (``window_applied`` null):
 * - "applied": the figures are under the dashboard's window, with the dates this widget was run for (a
 *   grain can widen them to whole periods) and, when its own window reads otherwise, that it is not shown;
 * - "failed" (``window_status``): the window could not be applied, so the figures are the widget's own
 *   (said loudly);
 * - "not-affected": its data has nothing the window could filter. */
export function windowNote(w, window) {
  if (!w || w.window_applied === null || w.window_applied === undefined) return null;
  if (w.window_applied) {
    const ran = formatDates((w.interpretation || {}).window) || (window && window.dates) || "";
    const words = window && window.text ? window.text : "";
    const shown = !ran || ran === words ? words || ran : words ? `${words} (${ran})` : ran;
    const own = w.window_own && (!window || !sameWords(w.window_own, window.text)) ? w.window_own : "";
    const tail = own ? `, not this widget's own (${own})` : "";
    return { kind: "applied", label: "Dashboard window:", text: `${shown || "set on the dashboard"}${tail}.` };
  }
  const reason = String(w.window_reason || "").trim();
  if (w.window_status === "failed") {
    return { kind: "failed", label: "Its own window shown:", text: reason || "the dashboard's window could not be applied." };
  }
  return { kind: "not-affected", label: "Not affected by the dashboard's window:",
           text: reason || "its data has no date to filter on." };
}

const sameWords = (a, b) => String(a || "").trim().toLowerCase() === String(b || "").trim().toLowerCase();

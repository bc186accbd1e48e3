// Keeping the open page current, the pure part (no DOM): what makes a widget's card out of date, and how
// long to wait before asking the server again. Tested by tests/js/live-model.test.mjs.

export const QUIET_MS = 60_000; // nothing expected: once a minute
export const BUSY_MS = 4_000; // a refresh is under way (a stale widget, Refresh all)
export const BUSY_POLLS = 30; // …for at most two minutes without news

/** Returns what, of a widget, its card shows: when a refresh lands (new data, a new badge or reason, a new
 * version or window) it changes; the age of the data alone does not. */
export function fingerprint(w) {
  if (!w) return "";
  return JSON.stringify([w.result_at, w.source, w.source_reason, w.stale, w.version ?? null, w.title, w.kind,
    w.result_error ?? null, w.window_applied ?? null, w.window_key ?? null]);
}

/** Returns the widgets of ``incoming`` (the dashboard as the server has it now) whose cards are out of date
 * against ``shown`` (id -> the widget as its card shows it); widgets not shown are left to their own path. */
export function outOfDate(shown, incoming) {
  return (incoming || []).filter((w) => w && shown.has(w.id) && fingerprint(shown.get(w.id)) !== fingerprint(w));
}

/** Returns the wait before the next poll: short while something is expected (``busyLeft`` polls of a
 * Refresh all, or a stale widget whose refresh has not landed in fewer than BUSY_POLLS polls). */
export function nextDelay({ busyLeft, staleShown, quietPolls }) {
  if (busyLeft > 0) return BUSY_MS;
  return staleShown && quietPolls < BUSY_POLLS ? BUSY_MS : QUIET_MS;
}

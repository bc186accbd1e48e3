// What a widget's history says: its versions as lines ("v3 · Refined · Chart kind: bar → line · by erin ·
// 5 min ago"), whether Undo is offered, and which request on the board refines a widget. Pure functions
// over the API's answers, checked by Node's test runner.

export const SOURCE_LABELS = { create: "Built", refine: "Refined", edit: "Edited", restore: "Restored" };

/** Returns "just now", "5 min ago", "3 h ago", "2 d ago", or the date for anything older than a week
 * (or in the future, a clock ahead of ours); "" when ``iso`` is not a date. */
export function relativeTime(iso, now = Date.now()) {
  const at = Date.parse(iso);
  if (!iso || Number.isNaN(at)) return "";
  const seconds = Math.round((now - at) / 1000);
  if (seconds < -60 || seconds >= 7 * 86400) {
    return new Date(at).toLocaleDateString("en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
  }
  if (seconds < 45) return "just now";
  if (seconds < 3600) return `${Math.max(1, Math.round(seconds / 60))} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

/** Returns what one version's line shows: {number, label ("Version 3"), source ("Refined"), change (the
 * server's words, or what the source implies), who, when (relative), at (the ISO time, for a title),
 * current}. Never throws on a partial row. */
export function versionLine(v, now = Date.now()) {
  const row = v && typeof v === "object" ? v : {};
  const number = Number.isInteger(row.number) ? row.number : null;
  const source = SOURCE_LABELS[row.source] || (row.source ? String(row.source) : "Changed");
  const fallback = row.source === "create" ? "First version" : row.source === "restore" ? "Restored an earlier version" : "";
  return {
    number,
    label: number === null ? "Version" : `Version ${number}`,
    source,
    change: typeof row.change === "string" && row.change.trim() ? row.change.trim() : fallback,
    who: row.created_by ? String(row.created_by) : "",
    when: relativeTime(row.created_at, now),
    at: row.created_at || "",
    current: row.is_current === true,
  };
}

/** Returns the versions newest first (the server's order, made sure of), each as ``versionLine``. */
export function versionLines(versions, now = Date.now()) {
  const list = Array.isArray(versions) ? versions.filter((v) => v && typeof v === "object") : [];
  return list.map((v) => versionLine(v, now)).sort((a, b) => (b.number ?? -1) - (a.number ?? -1));
}

/** Returns true when the viewer may undo the widget's last change: an editor, at a version past the first. */
export const canUndo = (w) => Boolean(w && w.can_edit !== false && Number(w.version) > 1);

/** Returns "v3 of 5" (the version shown, out of how many), "" for a widget that has only its first. */
export function versionBadge(w) {
  const number = Number(w && w.version);
  const count = Number(w && w.version_count);
  if (!Number.isInteger(number) || number < 1 || (count <= 1 && number <= 1)) return "";
  return count > number ? `v${number} of ${count}` : `v${number}`;
}

/** Returns the widget a request refines, or null for a request that builds a new widget. A request
 * refines when it says so (``is_refinement``; ``kind``/``source`` "refine"), or when it names a widget
 * other than the one it built (``widget_id`` set while the widget it carries, if any, was built by another
 * request). */
export function refinedWidgetId(r) {
  if (!r || typeof r !== "object") return null;
  const id = Number(r.widget_id);
  if (!Number.isInteger(id) || id <= 0) return null;
  if (r.is_refinement === false || r.kind === "create" || r.source === "create") return null;
  if (r.is_refinement === true || r.kind === "refine" || r.source === "refine") return id;
  if (r.widget && r.widget.request_id !== undefined) return r.widget.request_id === r.id ? null : id;
  return id;
}

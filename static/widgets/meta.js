// The enums the server owns (units, data-origin badges, palette, chart kinds, the catalog's address),
// read from the page's <script type="application/json" id="ui-meta">, never copied into JavaScript.

const EMPTY = { units: {}, badges: {}, palette: [], chart_kinds: {}, catalog_url: "" };

/** Returns the page's UI metadata, with empty defaults for a key (or the whole blob) that is missing. */
export function readMeta(doc = document) {
  const node = doc.getElementById("ui-meta");
  if (!node) return { ...EMPTY };
  try {
    const data = JSON.parse(node.textContent || "{}");
    return { ...EMPTY, ...(data && typeof data === "object" ? data : {}) };
  } catch {
    return { ...EMPTY };
  }
}

/** Returns the badge for a data origin ({label, tone}); the widget's own label when the page has none. */
export function badgeFor(meta, widget) {
  const badge = (meta.badges || {})[widget.source] || {};
  return { label: badge.label || widget.source_label || widget.source, tone: badge.tone || "" };
}

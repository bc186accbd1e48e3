// Which dictionary dimension each result column holds. A spec names its dimensions by key
// ("claims.status", "regions.name") while the statement names its columns as it likes ("status",
// "region"), so the table, the chart and "View as table" all ask here, once, and read the server's
// dimension_labels and value_labels by the key found. Pure, no DOM (tests/js/columns.test.mjs).

const slug = (text) => String(text).toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_+|_+$/g, "");

/** Returns the names a column holding dimension ``key`` may have: the key, its last part, the key with its
 * dot as an underscore, and its labels' slugs ("Claim status" -> "claim_status"). */
function namesOf(key, labels) {
  const last = key.split(".").pop();
  return new Set([key, last, key.replaceAll(".", "_"), ...labels.map((l) => l && l[key]).filter(Boolean).map(slug)]);
}

/**
 * Returns, per result column, the spec's dimension key it holds, or null (a metric, the period, or a
 * column no dimension names). ``skip`` is the set of columns that are not dimensions (metric keys,
 * "period"). A column is matched by name first; the columns left are matched in order with the keys left,
 * as the statement lists its groups in the spec's order.
 */
export function dimensionKeys(widget, columns, skip = new Set()) {
  const spec = (widget && widget.spec) || {};
  const keys = Array.isArray(spec.dimensions) ? spec.dimensions.filter((k) => typeof k === "string") : [];
  const labels = [widget && widget.dimension_labels, spec.labels];
  const out = columns.map(() => null);
  const free = new Set(keys);
  columns.forEach((column, i) => {
    if (skip.has(column)) return;
    const key = keys.find((k) => free.has(k) && namesOf(k, labels).has(column));
    if (key) { out[i] = key; free.delete(key); }
  });
  const left = keys.filter((k) => free.has(k));
  columns.forEach((column, i) => {
    if (out[i] === null && !skip.has(column) && left.length) out[i] = left.shift();
  });
  return out;
}

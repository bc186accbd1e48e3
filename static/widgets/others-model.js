// A ranking's "all others" row, as the query computed it (result.others): every group outside the top N,
// added up by the server's statement. Never added up here. Pure, no DOM (tests/js/others-model.test.mjs).

const plural = (word) => (/[sx]$/.test(word) ? `${word}es` : /[^aeiou]y$/.test(word) ? `${word.slice(0, -1)}ies` : `${word}s`);

const table = (part) => (part && Array.isArray(part.columns) && Array.isArray(part.rows) && Array.isArray(part.rows[0])
  && part.rows[0].length === part.columns.length ? part : null);

/**
 * Returns the result's "all others" row: {value(key), earlier(key), delta, groups}, or null when the result has
 * none (no row asked for, every group shown, or a row that could not be read). ``value`` and ``earlier`` give a
 * metric's figure by its key (null where the query gave none); ``delta`` is the server's {previous, abs, pct}.
 */
export function othersOf(result) {
  const others = result && result.others;
  const now = table(others);
  if (!now) return null;
  const before = table(others.compare);
  const pick = (part) => (key) => {
    const at = part ? part.columns.indexOf(key) : -1;
    return at >= 0 && part.rows[0][at] !== undefined ? part.rows[0][at] : null;
  };
  const delta = others.delta && typeof others.delta === "object" ? others.delta : null;
  return { value: pick(now), earlier: pick(before), delta, groups: Number.isInteger(others.groups) ? others.groups : null };
}

/** Returns the row's label: "All others (9 causes)", or "All others" when the count is unknown. ``label`` is the
 * ranked dimension's name ("cause"). */
export function othersLabel(others, label) {
  const n = others && others.groups;
  if (!Number.isInteger(n)) return "All others";
  const noun = String(label || "group").toLowerCase();
  return `All others (${n} ${n === 1 ? noun : plural(noun)})`;
}

/** Returns what the row is, in words, for a tooltip or a title. */
export function othersTitle(spec) {
  const ranking = (spec && spec.ranking) || {};
  const top = ranking.n ? `the ${ranking.direction || "top"} ${ranking.n}` : "the rows shown";
  return `Every group outside ${top}, added up by the query over the same window and filters.`;
}

// Which kinds a widget can be switched to without new SQL: the kinds that draw the same rows. The server
// decides, and says so on each widget it sends its owner (``kind_choices``: [{kind, fits, reason}], from
// widgets/services/widget_edits.py), so the menu can say beforehand which kinds need a refinement, and why.
// The rule is not repeated here.

const TABLE = "table";
const KPI = "kpi";

/** Returns the kind a widget is shown as: its chart type for a chart ("line", "bar"…), else its kind. */
export function kindOf(w) {
  const spec = (w && w.spec) || {};
  if (w && w.kind === "chart") return spec.chart_type || "chart";
  return (w && w.kind) || spec.kind || "";
}

/** Returns the server's kinds but the current one, as [{kind, label, fits, reason}]: those that fit first,
 * then those that need a refinement, each group in the server's order. ``chartKinds`` is the page's
 * {kind: label} (``ui-meta.chart_kinds``). A widget without the list (a viewer's) has no choices. */
export function kindChoices(w, chartKinds = {}) {
  if (!w || !Array.isArray(w.kind_choices)) return [];
  const current = kindOf(w);
  const labels = { [TABLE]: "Table", [KPI]: "KPI", ...chartKinds };
  const others = w.kind_choices.filter((c) => c && c.kind && c.kind !== current).map((c) => ({
    kind: String(c.kind), label: c.label || labels[c.kind] || String(c.kind),
    fits: c.fits !== false, reason: c.fits === false ? String(c.reason || "") : "",
  }));
  return [...others.filter((c) => c.fits), ...others.filter((c) => !c.fits)];
}

/** Returns the refinement to offer when a kind needs new SQL: "Show it as a line chart". */
export function refineForKind(choice) {
  const label = (choice && choice.label) || "";
  if (!label) return "";
  const kind = choice.kind;
  if (kind === TABLE) return "Show it as a table";
  if (kind === KPI) return "Show it as a single KPI number";
  return `Show it as a ${label.toLowerCase()}${/chart$/i.test(label) ? "" : " chart"}`;
}

// Which kinds a widget can be switched to without new SQL: the kinds that draw the same rows. The server
// decides (a PATCH of another kind is answered 400 ``kind_needs_refine``); this reads the same rules from
// the spec so the menu can say beforehand which kinds need a refinement, and why. A widget that carries
// the server's own list (``kind_choices``: [{kind, fits, reason}]) is shown that list.

const TABLE = "table";
const KPI = "kpi";

/** Returns the kind a widget is shown as: its chart type for a chart ("line", "bar"…), else its kind. */
export function kindOf(w) {
  const spec = (w && w.spec) || {};
  if (w && w.kind === "chart") return spec.chart_type || "chart";
  return (w && w.kind) || spec.kind || "";
}

/** Returns the shape of the spec's rows: {groups (dimensions + a time grain), dimensions, grain, metrics}. */
export function rowShape(spec) {
  const s = spec && typeof spec === "object" ? spec : {};
  const dimensions = Array.isArray(s.dimensions) ? s.dimensions.length : 0;
  const kpiGrain = s.kind === KPI; // a KPI's grain is its sparkline's, not its rows'
  const grain = s.grain && !kpiGrain ? 1 : 0;
  const metrics = 1 + (Array.isArray(s.extra_metrics) ? s.extra_metrics.length : 0);
  return { groups: dimensions + grain, dimensions, grain: Boolean(grain), metrics, ranked: Boolean(s.ranking) };
}

/** Returns "" when ``kind`` draws the rows of ``shape``, else why not (in words an analyst reads). */
export function kindProblem(kind, shape) {
  const { groups, dimensions, grain, metrics, ranked } = shape;
  if (kind === TABLE) return "";
  if (kind === KPI) {
    if (groups || metrics > 1 || ranked) return "A KPI shows one number: it needs a query without groups.";
    return "";
  }
  if (kind === "custom") return "A custom widget is drawn by generated code.";
  if (!groups) return "A chart needs a dimension or a time grain for its x axis.";
  if (groups > 2) return "A chart shows at most two groupings.";
  if (kind === "pie" || kind === "donut") {
    return groups === 1 && !grain && metrics === 1 ? "" : `A ${kind} chart shows one metric split by one dimension.`;
  }
  if (kind === "scatter") {
    return metrics === 2 && dimensions ? "" : "A scatter chart plots two metrics, one point per dimension value.";
  }
  if (kind === "stacked_bar" || kind === "stacked_area") {
    return groups === 2 ? "" : `A ${kind.replace("_", " ")} chart needs two groupings.`;
  }
  return "";
}

/** Returns every kind the menu lists but the current one, as [{kind, label, fits, reason}]: the kinds
 * that fit first (in ``chartKinds``' order after table and KPI), then those that need a refinement.
 * ``chartKinds`` is the page's {kind: label} (``ui-meta.chart_kinds``). */
export function kindChoices(w, chartKinds = {}) {
  const current = kindOf(w);
  const labels = { [TABLE]: "Table", [KPI]: "KPI", ...chartKinds };
  let choices;
  if (w && Array.isArray(w.kind_choices)) {
    choices = w.kind_choices.filter((c) => c && c.kind).map((c) => ({
      kind: String(c.kind), label: c.label || labels[c.kind] || String(c.kind),
      fits: c.fits !== false, reason: c.fits === false ? String(c.reason || "") : "",
    }));
  } else {
    if (!w || w.kind === "custom") return [];
    const shape = rowShape(w.spec);
    choices = [TABLE, KPI, ...Object.keys(chartKinds)].map((kind) => {
      const reason = kindProblem(kind, shape);
      return { kind, label: labels[kind] || kind, fits: !reason, reason };
    });
  }
  const others = choices.filter((c) => c.kind !== current);
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

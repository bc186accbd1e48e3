// What the detail panel says of a widget: the spec as JSON, and the ledger of its LLM calls as table rows
// with the total. Pure functions over ``GET /api/widgets/<id>/detail/``, checked by Node's test runner.

const STEP_LABELS = { clarify: "Clarify", spec: "Spec", component: "Component", sql: "SQL", fetch: "Fetch",
                      refine: "Refine" };

/** Returns "$0.0123" for a cost in US dollars (a number or a decimal string), to six places when four
 * would show a cost that is not nothing as $0.0000; "—" when unknown. */
export function formatCost(value) {
  const n = Number(value);
  if (value === null || value === undefined || value === "" || !Number.isFinite(n)) return "—";
  return `$${n !== 0 && Math.abs(n) < 0.00005 ? n.toFixed(6) : n.toFixed(4)}`;
}

/** Returns "840 ms" or "2.4 s"; "—" when unknown. */
export function formatLatency(ms) {
  const n = Number(ms);
  if (ms === null || ms === undefined || !Number.isFinite(n) || n < 0) return "—";
  return n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(1)} s`;
}

const count = (n) => (Number.isFinite(Number(n)) && n !== null ? Number(n).toLocaleString("en-US") : "—");

/** Returns one table row per call: {step, tier, model, latency, tokens, cost, outcome, ok}. */
export function callRows(calls) {
  return (Array.isArray(calls) ? calls : []).filter((c) => c && typeof c === "object").map((c) => ({
    step: STEP_LABELS[c.step] || (c.step ? String(c.step) : "—"),
    tier: c.tier ? String(c.tier) : "—",
    model: c.model ? String(c.model) : "—",
    latency: formatLatency(c.latency_ms),
    tokens: `${count(c.input_tokens)} in · ${count(c.output_tokens)} out`,
    cost: formatCost(c.cost_usd),
    outcome: c.outcome ? String(c.outcome).replaceAll("_", " ") : "—",
    ok: c.outcome === "ok" || c.outcome === "corrected" || c.outcome === "fell_back",
  }));
}

/** Returns the total cost as the server computed it, or the sum of the calls' costs when it gave none. */
export function totalCost(detail) {
  const d = detail || {};
  if (d.total_cost_usd !== undefined && d.total_cost_usd !== null) return formatCost(d.total_cost_usd);
  const calls = Array.isArray(d.calls) ? d.calls : [];
  if (!calls.length) return formatCost(0);
  return formatCost(calls.reduce((sum, c) => sum + (Number(c && c.cost_usd) || 0), 0));
}

/** Returns the spec as indented JSON, the server's fields in its order; "" for no spec. */
export function specJson(spec) {
  if (spec === null || spec === undefined) return "";
  try {
    return JSON.stringify(spec, null, 2);
  } catch {
    return String(spec);
  }
}

/** Returns the interpretation as one line: its ``text``, or the string itself. */
export function interpretationText(interpretation) {
  if (!interpretation) return "";
  if (typeof interpretation === "string") return interpretation;
  return typeof interpretation.text === "string" ? interpretation.text : "";
}

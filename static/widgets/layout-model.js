// The dashboard layout's pure rules (no DOM): moving a widget in the order, the width and height a drag
// reaches, and the body the layout endpoint takes. Tested by tests/js/layout-model.test.mjs.

export const HEIGHTS = ["S", "M", "L"];
export const HEIGHT_NAMES = { S: "Small", M: "Medium", L: "Large" };
export const MAX_WIDTH = 3;
/** The height each size gives a chart, in pixels: a drag lands on the size nearest to where it ends. */
export const HEIGHT_PX = { S: 200, M: 300, L: 460 };

const clamp = (value, low, high) => Math.min(high, Math.max(low, value));

/** Returns ``order`` (widget ids) with ``id`` moved ``delta`` places (clamped to the ends); the same array
 * when it cannot move. */
export function moveBy(order, id, delta) {
  const from = order.indexOf(id);
  if (from < 0) return order;
  const to = clamp(from + delta, 0, order.length - 1);
  if (to === from) return order;
  const next = order.filter((x) => x !== id);
  next.splice(to, 0, id);
  return next;
}

/** Returns ``order`` with ``id`` placed just before ``beforeId`` (null: at the end). */
export function moveBefore(order, id, beforeId) {
  if (id === beforeId || !order.includes(id)) return order;
  const next = order.filter((x) => x !== id);
  const at = beforeId === null ? next.length : next.indexOf(beforeId);
  next.splice(at < 0 ? next.length : at, 0, id);
  return next;
}

/** Returns the width (columns) a resize drag of ``dx`` pixels reaches from ``width``, over tracks of
 * ``track`` pixels with ``gap`` between them, at most ``columns`` (the grid's tracks now) and MAX_WIDTH. */
export function widthAfterDrag({ width, dx, track, gap = 0, columns = MAX_WIDTH }) {
  if (!(track > 0)) return width;
  const shown = Math.min(width, columns);
  const pixels = shown * track + (shown - 1) * gap + dx;
  return clamp(Math.round((pixels + gap) / (track + gap)), 1, Math.min(columns, MAX_WIDTH));
}

/** Returns the height (S/M/L) nearest to ``height``'s pixels plus a drag of ``dy``. */
export function heightAfterDrag({ height, dy }) {
  const target = (HEIGHT_PX[height] || HEIGHT_PX.M) + dy;
  return HEIGHTS.reduce((best, h) => (Math.abs(HEIGHT_PX[h] - target) < Math.abs(HEIGHT_PX[best] - target) ? h : best), "M");
}

/** Returns the layout endpoint's body for ``entries`` in their order: [{id, width, height}] -> positions 0… */
export function layoutBody(entries) {
  return { widgets: entries.map((e, position) => ({ id: e.id, position, width: e.width, height: e.height })) };
}

/** Returns the width to show: the saved one, else 2 for charts, custom widgets and wide tables. */
export function widthOf(widget) {
  const saved = widget && widget.layout && widget.layout.width;
  if (Number.isInteger(saved) && saved >= 1 && saved <= MAX_WIDTH) return saved;
  const columns = widget && widget.result && Array.isArray(widget.result.columns) ? widget.result.columns.length : 0;
  return widget && (widget.kind === "chart" || widget.kind === "custom" || columns > 3) ? 2 : 1;
}

/** Returns the height to show: the saved one, else M. */
export function heightOf(widget) {
  const saved = widget && widget.layout && widget.layout.height;
  return HEIGHTS.includes(saved) ? saved : "M";
}

/** What the live region says after a move: "Moved “Claims” to place 2 of 5." */
export const movedText = (title, index, count) => `Moved “${title}” to place ${index + 1} of ${count}.`;

/** What the live region says after a resize: "“Claims” is now 2 columns wide and Large." */
export const resizedText = (title, width, height) =>
  `“${title}” is now ${width} column${width === 1 ? "" : "s"} wide and ${HEIGHT_NAMES[height] || height}.`;

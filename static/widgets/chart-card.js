// A chart card's body: the chart (charts.js) and a "View as table" toggle, the accessible alternative,
// which shows the result's data (every row), not what was drawn.

import { el } from "./dom.js";
import { drawChart } from "./charts.js";
import { tableView } from "./table.js";

/** Returns the chart of widget ``w``, drawn once it is on the page, with its data table behind a toggle. */
export function chartView(w, result, meta) {
  const box = el("div", { className: "chart-box", "data-testid": "chart" });
  const failed = el("p", { className: "card-note note-companion", hidden: true, "data-testid": "chart-error" });
  requestAnimationFrame(() => {
    drawChart(box, w, meta).catch((error) => {
      failed.textContent = `The chart could not be drawn (${String(error && error.message || error)}); its data is in the table.`;
      failed.hidden = false;
    });
  });
  const tableId = `chart-table-${w.id}`;
  const tableBox = el("div", { className: "chart-table", id: tableId, hidden: true, "data-testid": "chart-table" });
  const toggle = el("button", { type: "button", className: "link-button view-table", "aria-expanded": "false",
    "aria-controls": tableId, "data-testid": "view-as-table", text: "View as table" });
  toggle.addEventListener("click", () => {
    const open = tableBox.hidden;
    if (open && !tableBox.firstChild) tableBox.append(tableView(w, result, meta, { caption: `${w.title}: data` }));
    tableBox.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    toggle.textContent = open ? "Hide table" : "View as table";
  });
  return el("figure", { className: "chart-figure", "aria-label": w.title },
    box, failed, el("div", { className: "chart-actions" }, toggle), tableBox);
}

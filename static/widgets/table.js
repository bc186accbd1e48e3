// A data table: the spec's columns with their labels and units, formatted values, sorting by a header
// button (aria-sort), client-side pages, and the totals row the query computed. Its first (key) column
// stays pinned when the table scrolls sideways, and the scroll shows.

import { el } from "./dom.js";
import { bucketLabel, formatDelta, formatValue, labelFor, needsYear, unitSymbol } from "./format.js";
import {
  PAGE_SIZE, clampPage, nextSort, othersRow, pageCount, pageRows, rangeText, sortNote, sortRows, tableColumns,
  totalsLabel, totalsRow, withComparison,
} from "./tabledata.js";

/** Returns a cell formatter per column: (value) -> text. */
function cellText(w, result, meta, columns) {
  const grain = (w.spec && w.spec.grain) || null;
  return columns.map((c) => {
    if (c.role === "metric" || c.role === "previous") return (v) => formatValue(v, c.unit, meta);
    if (c.role === "change") {
      return (v) => {
        const { abs, pct } = formatDelta(v, c.unit, meta);
        return pct ? `${abs} (${pct})` : abs;
      };
    }
    if (c.role === "period") {
      const withYear = needsYear(result.rows.map((row) => row[c.index]).filter((v) => v !== null));
      return (v) => (v === null || v === undefined ? "—" : bucketLabel(String(v), grain, { withYear }));
    }
    if (c.role === "dimension") return (v) => (v === null || v === undefined ? "—" : labelFor(c.dimension, v, w));
    return (v) => (v === null || v === undefined ? "—" : String(v));
  });
}

/** Returns the header text: the metric's name with its unit ("Total paid (USD)"), or the label. */
function headerText(c, meta) {
  const unit = c.role === "metric" || c.role === "previous" ? unitSymbol(c.unit, meta) : "";
  return unit ? `${c.label} (${unit})` : c.label;
}

/** Returns the table view of ``result`` for widget ``w``; ``caption`` names it for assistive technology. */
export function tableView(w, shown, meta, { caption = w.title, pageSize = PAGE_SIZE } = {}) {
  const result = withComparison(w, shown);
  const columns = tableColumns(w, result);
  const texts = cellText(w, result, meta, columns);
  const totals = totalsRow(result, columns);
  const others = othersRow(w, result, columns);
  const state = { sort: null, page: 0 };
  const sortKey = (index) => {
    const role = columns[index].role;
    if (role === "dimension") return (v) => texts[index](v);
    if (role === "change") return (v) => (v && typeof v.abs === "number" ? v.abs : null);
    return (v) => v;
  };

  const headCells = columns.map((c) => {
    const button = el("button", { type: "button", className: "sort-button", "data-testid": "sort-button",
      onclick: () => { state.sort = nextSort(state.sort, c); state.page = 0; draw(); } }, headerText(c, meta));
    return el("th", { scope: "col", className: c.numeric ? "num" : null, "aria-sort": "none", title: c.key }, button);
  });
  const tbody = el("tbody");
  const range = el("span", { className: "table-range", "data-testid": "table-range", "aria-live": "polite" });
  const note = el("span", { className: "sort-note", "data-testid": "sort-note", hidden: true });
  const prev = el("button", { type: "button", className: "button button-small", "data-testid": "table-prev",
    onclick: () => { state.page -= 1; draw(); } }, "Previous");
  const next = el("button", { type: "button", className: "button button-small", "data-testid": "table-next",
    onclick: () => { state.page += 1; draw(); } }, "Next");
  const pager = el("div", { className: "table-pager" }, prev, next);

  function draw() {
    const rows = sortRows(result.rows, state.sort, state.sort ? sortKey(state.sort.index) : undefined);
    state.page = clampPage(state.page, rows.length, pageSize);
    const last = state.page === pageCount(rows.length, pageSize) - 1;
    const shown = pageRows(rows, state.page, pageSize).map((row) => el("tr", {},
      columns.map((c, i) => (i === 0
        ? el("th", { scope: "row", className: c.numeric ? "num" : null },
          el("span", { className: "cell-key", text: texts[i](row[c.index]) }))
        : el("td", { className: c.numeric ? "num" : null, text: texts[i](row[c.index]) })))));
    tbody.replaceChildren(...shown, ...(others && last ? [othersLine()] : []));
    headCells.forEach((th, i) => {
      th.setAttribute("aria-sort", state.sort && state.sort.index === i ? state.sort.direction : "none");
    });
    range.textContent = rangeText(state.page, rows.length, pageSize);
    prev.disabled = state.page === 0;
    next.disabled = state.page >= pageCount(rows.length, pageSize) - 1;
    pager.hidden = rows.length <= pageSize;
    note.textContent = sortNote(state.sort, result);
    note.hidden = !note.textContent;
  }

  /** The "all others" row after the last ranked row: whatever the sort, on the last page. */
  function othersLine() {
    return el("tr", { className: "others-row", "data-testid": "others-row", title: others.title },
      columns.map((c, i) => {
        const cell = others.cells[i];
        if (i === 0) return el("th", { scope: "row" }, el("span", { className: "cell-key", text: others.label }));
        const text = cell === null && !["metric", "previous"].includes(c.role) ? "" : texts[i](cell);
        return el("td", { className: c.numeric ? "num" : null, text });
      }));
  }

  const what = totals ? totalsLabel(w, result, columns, totals) : null;
  const foot = totals ? el("tfoot", {}, el("tr", { className: "totals-row", "data-testid": "totals-row", title: what.title },
    columns.map((c, i) => el(i === 0 ? "th" : "td", { scope: i === 0 ? "row" : null, className: c.numeric ? "num" : null,
      text: i === 0 ? what.label : totals[i] === null ? "" : texts[i](totals[i]) })))) : null;
  const table = el("table", { className: "data-table", "data-testid": "data-table" },
    el("caption", { className: "visually-hidden", text: caption }),
    el("thead", {}, el("tr", {}, headCells)), tbody, foot);
  draw();
  const hint = el("p", { className: "table-hint", "data-testid": "table-hint", hidden: true,
    text: "Scroll sideways for more columns →" });
  return el("div", { className: "table-view" },
    scrollBox(table, caption, hint), hint,
    el("div", { className: "table-foot" }, range, note, pager),
    what && what.label !== "Total" ? el("p", { className: "table-totals-note", "data-testid": "totals-note", text: what.title }) : null);
}

/** Returns the table in a box that scrolls sideways, with a shadow on each side that has more to see and
 * ``hint`` shown while there is more to the right. */
function scrollBox(table, label, hint) {
  const box = el("div", { className: "table-scroll", tabindex: 0, role: "region", "aria-label": label,
    "data-testid": "table-scroll" }, table);
  const mark = () => {
    const more = box.scrollWidth - box.clientWidth;
    box.classList.toggle("scrolls", more > 1);
    box.classList.toggle("more-left", box.scrollLeft > 1);
    box.classList.toggle("more-right", box.scrollLeft < more - 1);
    hint.hidden = !(more > 1 && box.scrollLeft < more - 1);
  };
  box.addEventListener("scroll", mark, { passive: true });
  // Measured, never assumed: again whenever the box or the table changes size (a page drawn, a window resized).
  const resized = new ResizeObserver(mark);
  resized.observe(box);
  resized.observe(table);
  return box;
}

// The dashboard's layout on the page: each card's width (1–3 columns) and height (S/M/L), dragging a card
// by its handle to reorder it and by its corner to resize it, with buttons and menus that do the same from
// the keyboard. Every change is saved (POST dashboards/<id>/layout/) and said in the live region.

import { errorText } from "./api.js";
import { el } from "./dom.js";
import {
  HEIGHTS, HEIGHT_NAMES, MAX_WIDTH, heightAfterDrag, heightOf, layoutBody, moveBefore, moveBy, movedText,
  resizedText, widthAfterDrag, widthOf,
} from "./layout-model.js";

/** Returns {decorate(card, widget)} for the cards of ``grid``. ``say(text)`` speaks in the live region. */
export function layoutController({ api, grid, dashboardId, canEdit, say }) {
  let saving = Promise.resolve();
  const cards = () => [...grid.querySelectorAll(":scope > [data-widget-id]")];
  const titleOf = (card) => (card.querySelector(".widget-title") || {}).textContent || "widget";

  /** Sets the card's size from the widget's layout and, for the owner, adds its layout controls. A card
   * built again (a refresh landed) keeps the size it has on the page. */
  function decorate(card, widget, previous = null) {
    card.dataset.width = String(previous ? previous.dataset.width : widthOf(widget));
    card.dataset.height = previous ? previous.dataset.height : heightOf(widget);
    if (!canEdit) return card;
    card.prepend(tools(card));
    card.append(el("span", { className: "resize-grip", "data-testid": "resize-grip", "aria-hidden": "true",
      title: "Drag to resize" }));
    return card;
  }

  function tools(card) {
    const title = titleOf(card);
    const handle = el("span", { className: "drag-handle", draggable: "true", "data-testid": "drag-handle",
      title: "Drag to move", "aria-hidden": "true", text: "⠿" });
    const move = (delta, label, testid, glyph) => el("button", { type: "button", className: "layout-button",
      "data-testid": testid, "aria-label": `${label} “${title}”`, title: label, text: glyph,
      onclick: () => moveCard(card, delta) });
    const width = el("select", { className: "layout-select layout-width", "data-testid": "layout-width",
      "aria-label": `Width of “${title}”` },
      Array.from({ length: MAX_WIDTH }, (_, i) => el("option", { value: i + 1, text: `${i + 1} col` })));
    const height = el("select", { className: "layout-select", "data-testid": "layout-height",
      "aria-label": `Height of “${title}”` }, HEIGHTS.map((h) => el("option", { value: h, text: HEIGHT_NAMES[h] })));
    width.value = card.dataset.width;
    height.value = card.dataset.height;
    width.addEventListener("change", () => resize(card, Number(width.value), card.dataset.height));
    height.addEventListener("change", () => resize(card, Number(card.dataset.width), height.value));
    handle.addEventListener("dragstart", (event) => startDrag(event, card));
    return el("div", { className: "layout-tools", role: "group", "aria-label": `Layout of “${title}”` },
      handle, move(-1, "Move earlier", "move-earlier", "←"), move(1, "Move later", "move-later", "→"), width, height);
  }

  function moveCard(card, delta) {
    const ids = cards().map((c) => c.dataset.widgetId);
    const order = moveBy(ids, card.dataset.widgetId, delta);
    if (order === ids) return;
    arrange(order);
    const focused = card.querySelector(delta < 0 ? "[data-testid=move-earlier]" : "[data-testid=move-later]");
    if (focused) focused.focus(); // the card moved in the DOM: keep the focus on the button pressed
    saved(movedText(titleOf(card), order.indexOf(card.dataset.widgetId), order.length));
  }

  function resize(card, width, height) {
    if (String(width) === card.dataset.width && height === card.dataset.height) return;
    card.dataset.width = String(width);
    card.dataset.height = height;
    const selects = card.querySelectorAll(".layout-select");
    if (selects.length === 2) [selects[0].value, selects[1].value] = [String(width), height];
    saved(resizedText(titleOf(card), width, height));
  }

  function arrange(order) {
    const byId = new Map(cards().map((c) => [c.dataset.widgetId, c]));
    order.forEach((id) => grid.append(byId.get(id)));
  }

  /** Saves the page's layout, one save after another so the last change wins; says ``text`` once saved. */
  function saved(text) {
    const body = layoutBody(cards().map((c) => ({ id: Number(c.dataset.widgetId), width: Number(c.dataset.width),
      height: c.dataset.height })));
    saving = saving.then(async () => {
      const { ok, data } = await api(`dashboards/${dashboardId}/layout/`, body);
      grid.dataset.layoutSaved = ok ? "yes" : "no";
      say(ok ? text : `The layout could not be saved: ${errorText(data)}`);
    });
  }

  // Reordering by drag: the handle starts it, the card under the pointer shows where it lands.
  let dragged = null;
  function startDrag(event, card) {
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.widgetId);
    event.dataTransfer.setDragImage(card, 24, 24);
    card.classList.add("dragging");
  }
  const target = (event) => {
    const over = event.target instanceof Element ? event.target.closest("[data-widget-id]") : null;
    if (!over || over === dragged || over.parentElement !== grid) return null;
    const box = over.getBoundingClientRect();
    return { card: over, after: event.clientX > box.left + box.width / 2 };
  };
  const clearMarks = () => grid.querySelectorAll(".drop-before, .drop-after")
    .forEach((c) => c.classList.remove("drop-before", "drop-after"));
  grid.addEventListener("dragover", (event) => {
    if (!dragged) return;
    event.preventDefault();
    clearMarks();
    const found = target(event);
    if (found) found.card.classList.add(found.after ? "drop-after" : "drop-before");
  });
  grid.addEventListener("drop", (event) => {
    if (!dragged) return;
    event.preventDefault();
    const found = target(event);
    clearMarks();
    if (!found) return;
    const ids = cards().map((c) => c.dataset.widgetId);
    const next = found.after ? found.card.nextElementSibling : found.card;
    const order = moveBefore(ids, dragged.dataset.widgetId, next && next.dataset.widgetId ? next.dataset.widgetId : null);
    if (order === ids || order.join() === ids.join()) return;
    arrange(order);
    saved(movedText(titleOf(dragged), order.indexOf(dragged.dataset.widgetId), order.length));
  });
  grid.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    clearMarks();
  });

  // Resizing by drag: the corner grip, in whole columns and the three heights.
  grid.addEventListener("pointerdown", (event) => {
    const grip = event.target instanceof Element ? event.target.closest(".resize-grip") : null;
    if (!grip || event.button !== 0) return;
    event.preventDefault();
    const card = grip.closest("[data-widget-id]");
    const start = { x: event.clientX, y: event.clientY, width: Number(card.dataset.width), height: card.dataset.height };
    const tracks = gridTracks();
    card.classList.add("resizing");
    const sizeAt = (e) => ({
      width: widthAfterDrag({ width: start.width, dx: e.clientX - start.x, ...tracks }),
      height: heightAfterDrag({ height: start.height, dy: e.clientY - start.y }),
    });
    const onMove = (e) => { card.dataset.preview = `${sizeAt(e).width} × ${HEIGHT_NAMES[sizeAt(e).height]}`; };
    const onUp = (e) => {
      window.removeEventListener("pointermove", onMove);
      window.removeEventListener("pointerup", onUp);
      card.classList.remove("resizing");
      delete card.dataset.preview;
      const size = sizeAt(e);
      resize(card, size.width, size.height);
    };
    window.addEventListener("pointermove", onMove);
    window.addEventListener("pointerup", onUp);
  });

  function gridTracks() {
    const style = getComputedStyle(grid);
    const tracks = style.gridTemplateColumns.split(" ").filter(Boolean).map(parseFloat);
    return { track: tracks[0] || 0, gap: parseFloat(style.columnGap) || 0, columns: tracks.length || 1 };
  }

  return { decorate };
}

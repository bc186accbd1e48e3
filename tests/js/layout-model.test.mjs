import assert from "node:assert/strict";
import { test } from "node:test";

import {
  heightAfterDrag, heightOf, layoutBody, moveBefore, moveBy, movedText, resizedText, widthAfterDrag, widthOf,
} from "../../static/widgets/layout-model.js";

test("moveBy moves one place either way and stops at the ends", () => {
  assert.deepEqual(moveBy([1, 2, 3], 2, -1), [2, 1, 3]);
  assert.deepEqual(moveBy([1, 2, 3], 2, 1), [1, 3, 2]);
  const order = [1, 2, 3];
  assert.equal(moveBy(order, 1, -1), order);
  assert.equal(moveBy(order, 3, 1), order);
  assert.equal(moveBy(order, 9, 1), order);
});

test("moveBefore places a widget before another, or last", () => {
  assert.deepEqual(moveBefore([1, 2, 3, 4], 4, 2), [1, 4, 2, 3]);
  assert.deepEqual(moveBefore([1, 2, 3, 4], 1, null), [2, 3, 4, 1]);
  assert.deepEqual(moveBefore([1, 2, 3], 1, 3), [2, 1, 3]);
  const order = [1, 2];
  assert.equal(moveBefore(order, 2, 2), order);
});

test("a resize drag lands on the nearest whole number of columns within the grid", () => {
  const tracks = { track: 300, gap: 16, columns: 3 };
  assert.equal(widthAfterDrag({ width: 1, dx: 320, ...tracks }), 2);
  assert.equal(widthAfterDrag({ width: 1, dx: 100, ...tracks }), 1);
  assert.equal(widthAfterDrag({ width: 1, dx: 2000, ...tracks }), 3);
  assert.equal(widthAfterDrag({ width: 3, dx: -700, ...tracks }), 1);
  assert.equal(widthAfterDrag({ width: 1, dx: 2000, track: 300, gap: 16, columns: 2 }), 2);
  assert.equal(widthAfterDrag({ width: 2, dx: 50, track: 0 }), 2);
});

test("a height drag lands on the nearest size", () => {
  assert.equal(heightAfterDrag({ height: "M", dy: 0 }), "M");
  assert.equal(heightAfterDrag({ height: "M", dy: 120 }), "L");
  assert.equal(heightAfterDrag({ height: "M", dy: -80 }), "S");
  assert.equal(heightAfterDrag({ height: "S", dy: -500 }), "S");
});

test("the layout body numbers the widgets in order", () => {
  assert.deepEqual(layoutBody([{ id: 7, width: 2, height: "L" }, { id: 3, width: 1, height: "S" }]),
    { widgets: [{ id: 7, position: 0, width: 2, height: "L" }, { id: 3, position: 1, width: 1, height: "S" }] });
});

test("the width and height shown are the saved ones, else by kind", () => {
  assert.equal(widthOf({ kind: "kpi", layout: { width: 3 } }), 3);
  assert.equal(widthOf({ kind: "chart", layout: { width: null } }), 2);
  assert.equal(widthOf({ kind: "table", result: { columns: ["a", "b", "c", "d"] } }), 2);
  assert.equal(widthOf({ kind: "kpi", layout: { width: 9 } }), 1);
  assert.equal(heightOf({ layout: { height: "L" } }), "L");
  assert.equal(heightOf({ layout: { height: "XL" } }), "M");
  assert.equal(heightOf({}), "M");
});

test("what the live region says", () => {
  assert.equal(movedText("Claims", 1, 5), "Moved “Claims” to place 2 of 5.");
  assert.equal(resizedText("Claims", 1, "L"), "“Claims” is now 1 column wide and Large.");
  assert.equal(resizedText("Claims", 2, "S"), "“Claims” is now 2 columns wide and Small.");
});

// static/widgets/manage-model.js under Node's own test runner: the dashboard management controls' rules.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { deletedFromQuery, fieldError, insertIndex, listUrlAfterDelete, pageTitle, shareLabel }
  from "../../static/widgets/manage-model.js";

describe("shareLabel", () => {
  test("says what the button will do, not what the dashboard is", () => {
    assert.equal(shareLabel(true), "Share (everyone can view)");
    assert.equal(shareLabel(false), "Make private");
  });
});

describe("pageTitle", () => {
  test("replaces the name that leads the title and keeps the rest", () => {
    assert.equal(pageTitle("Claims · Widget Builder", "Claims", "Q3 claims"), "Q3 claims · Widget Builder");
  });
  test("a title that does not start with the old name becomes the new name", () => {
    assert.equal(pageTitle("Something else", "Claims", "Q3"), "Q3");
    assert.equal(pageTitle("Claims", "", "Q3"), "Q3");
  });
});

describe("fieldError", () => {
  const refused = { code: "invalid", message: "name: Give the dashboard a name of 1 to 120 characters.",
    extra: { fields: { name: ["Give the dashboard a name of 1 to 120 characters."] } } };
  test("prefers the field's own message to the prefixed one", () => {
    assert.equal(fieldError(refused, "name"), "Give the dashboard a name of 1 to 120 characters.");
  });
  test("falls back to the message, then to a generic one", () => {
    assert.equal(fieldError(refused, "is_private"), refused.message);
    assert.equal(fieldError({ code: "invalid_text", message: "Text in the request holds a NUL character.", extra: {} }, "name"),
      "Text in the request holds a NUL character.");
    assert.equal(fieldError({}, "name"), "Something went wrong. Please try again.");
    assert.equal(fieldError(null), "Something went wrong. Please try again.");
  });
});

describe("listUrlAfterDelete and deletedFromQuery", () => {
  test("round-trip the deleted dashboard's id", () => {
    const url = listUrlAfterDelete("/", 12);
    assert.equal(url, "/?deleted=12");
    assert.deepEqual(deletedFromQuery(url.slice(1)), { id: "12", rest: "" });
  });
  test("keep a script prefix and other parameters", () => {
    assert.equal(listUrlAfterDelete("/app/", 3), "/app/?deleted=3");
    assert.deepEqual(deletedFromQuery("?a=1&deleted=3&b=2"), { id: "3", rest: "?a=1&b=2" });
  });
  test("refuse anything but a positive integer, and drop it all the same", () => {
    for (const bad of ["", "0", "-1", "1e3", "abc", "3]", "1 OR 1", "99999999999999999999"]) {
      assert.deepEqual(deletedFromQuery(`?deleted=${encodeURIComponent(bad)}`), { id: null, rest: "" }, bad);
    }
    assert.deepEqual(deletedFromQuery(""), { id: null, rest: "" });
  });
});

describe("insertIndex", () => {
  test("finds the first name after it, in code unit order", () => {
    assert.equal(insertIndex(["Alpha", "Gamma"], "Beta"), 1);
    assert.equal(insertIndex(["Alpha", "Gamma"], "Zeta"), 2);
    assert.equal(insertIndex([], "Any"), 0);
    assert.equal(insertIndex(["Beta", "alpha"], "Gamma"), 1); // upper case sorts first, as SQLite does
  });
});

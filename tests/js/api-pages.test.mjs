// The paged-list readers of api.js over a fake ``api``: every page read whole, the cap, a failed page,
// and a reader that starts again or reads on.
import assert from "node:assert/strict";
import { test } from "node:test";

import { allPages, pageReader } from "../../static/widgets/api.js";

/** A fake ``api`` over ``total`` rows numbered from 1, paged as the server does; ``failOn`` fails a page. */
function fakeApi(total, { failOn = null } = {}) {
  const asked = [];
  const api = async (path) => {
    asked.push(path);
    const query = new URLSearchParams(path.split("?")[1]);
    const size = Number(query.get("page_size")), page = Number(query.get("page"));
    if (page === failOn) return { ok: false, status: 500, data: { message: "boom" } };
    const rows = Array.from({ length: total }, (_, i) => i + 1).slice((page - 1) * size, page * size);
    return { ok: true, status: 200, data: { count: total, results: rows, next: page * size < total ? "more" : null } };
  };
  return { api, asked };
}

test("allPages reads every page and keeps the path's own query", async () => {
  const { api, asked } = fakeApi(5);
  const answer = await allPages(api, "dashboards/?mine=true", { pageSize: 2 });
  assert.deepEqual(answer.rows, [1, 2, 3, 4, 5]);
  assert.equal(answer.more, false);
  assert.deepEqual(asked, ["dashboards/?mine=true&page_size=2&page=1", "dashboards/?mine=true&page_size=2&page=2",
    "dashboards/?mine=true&page_size=2&page=3"]);
});

test("allPages stops at its cap and says pages were left", async () => {
  const answer = await allPages(fakeApi(9).api, "x/", { pageSize: 2, maxPages: 2 });
  assert.deepEqual(answer.rows, [1, 2, 3, 4]);
  assert.equal(answer.more, true);
});

test("allPages stops at a failed page with its error", async () => {
  const answer = await allPages(fakeApi(9, { failOn: 2 }).api, "x/", { pageSize: 2 });
  assert.equal(answer.ok, false);
  assert.equal(answer.data.message, "boom");
  assert.deepEqual(answer.rows, [1, 2]);
});

test("pageReader reads on from the last page read, and first() starts again", async () => {
  const pages = pageReader(fakeApi(5).api, "v/", 2);
  assert.deepEqual(await pages.first().then((a) => [a.rows, a.more]), [[1, 2], true]);
  assert.deepEqual(await pages.next().then((a) => [a.rows, a.more]), [[3, 4], true]);
  assert.deepEqual(await pages.next().then((a) => [a.rows, a.more]), [[5], false]);
  assert.deepEqual(await pages.first().then((a) => a.rows), [1, 2]);
});

test("pageReader does not move on past a failed page", async () => {
  let fail = false;
  const { api } = fakeApi(5);
  const pages = pageReader(async (path) => (fail ? { ok: false, status: 0, data: {} } : api(path)), "v/", 2);
  await pages.first();
  fail = true;
  assert.equal((await pages.next()).ok, false);
  fail = false;
  assert.deepEqual((await pages.next()).rows, [3, 4]);
});

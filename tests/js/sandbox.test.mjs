// The custom-widget sandbox's pure parts: the host's guard on a frame's port (static/widgets/custom.js), and
// the renderer that runs inside the QuickJS VM (static/widgets/sandbox-vm.js), run here in the same VM build.
import assert from "node:assert/strict";
import fs from "node:fs";
import { test } from "node:test";

import { guarded, heightKeeper } from "../../static/widgets/custom.js";

// Built from the pinned npm packages by `make vendor` (widgets/tsx/vendor-quickjs.mjs), as the frame loads it.
const QUICKJS = "node_modules/.cache/widget-builder/quickjs.js";
const buffer = (value) => new TextEncoder().encode(typeof value === "string" ? value : JSON.stringify(value)).buffer;

test("the host reads only small ArrayBuffers of JSON objects from a frame's port", () => {
  const seen = [];
  const handle = guarded((message) => seen.push(message), () => seen.push("flooded"), () => 0);
  handle({ data: buffer({ type: "rendered", height: 120 }) });
  handle({ data: { type: "rendered", height: 1 } }); // structured data: never read
  handle({ data: "{\"type\":\"error\"}" });
  handle({ data: buffer({ type: "error", text: "x".repeat(5000) }) }); // too large: dropped before decoding
  handle({ data: buffer("not json") });
  handle({ data: buffer([1, 2]) });
  handle({ data: new Uint8Array([0xff, 0xfe]).buffer }); // not UTF-8
  assert.deepEqual(seen, [{ type: "rendered", height: 120 }]);
});

test("the host drops what a frame sends past its rate, and gives up on a flood", () => {
  let now = 0;
  let handled = 0;
  let flooded = 0;
  const handle = guarded(() => handled++, () => flooded++, () => now);
  for (let i = 0; i < 100; i++) handle({ data: buffer({ type: "rendered", height: i }) });
  assert.equal(handled, 30);
  now = 1000;
  for (let i = 0; i < 400; i++) handle({ data: buffer({ type: "rendered", height: i }) });
  assert.equal(handled, 60);
  assert.equal(flooded, 1);
  now = 5000;
  handle({ data: buffer({ type: "rendered", height: 1 }) });
  assert.equal(handled, 60); // closed for good
});

test("a frame's height follows its content a few times, then is pinned at the largest it reported", () => {
  let now = 0;
  const heightOf = heightKeeper(() => now);
  assert.equal(heightOf(300.2), 301);
  assert.equal(heightOf(301), 301); // no change, not counted
  assert.equal(heightOf(5000), 800); // within 80..800
  assert.equal(heightOf(10), 80);
  now = 1500;
  // A fourth change within 2 s: a feedback loop (the content follows the frame). Pinned at the largest.
  assert.equal(heightOf(120), 800);
  now = 60_000;
  assert.equal(heightOf(200), 800); // for good
  assert.equal(heightOf(900), 800);
});

test("changes spread out over time keep following the content", () => {
  let now = 0;
  const heightOf = heightKeeper(() => now);
  const seen = [];
  for (const height of [200, 400, 200, 400, 200, 400]) {
    seen.push(heightOf(height));
    now += 1000; // three changes in any two seconds, never four
  }
  assert.deepEqual(seen, [200, 400, 200, 400, 200, 400]);
});

async function vm() {
  globalThis.self = globalThis;
  (0, eval)(fs.readFileSync(QUICKJS, "utf8"));
  const source = fs.readFileSync("static/widgets/sandbox-vm.js", "utf8");
  const QuickJS = await globalThis.QuickJSVendor.newQuickJSWASMModuleFromVariant(globalThis.QuickJSVendor.variant);
  const context = QuickJS.newContext();
  const run = (code) => {
    const result = context.evalCode(code);
    if (result.error) {
      const error = context.dump(result.error);
      result.error.dispose();
      throw new Error(error.message);
    }
    const value = context.dump(result.value);
    result.value.dispose();
    context.runtime.executePendingJobs(-1);
    return value;
  };
  run(`${source}\nsandboxVmRuntime();`);
  return { run, start: (js, props) => JSON.parse(run(`${js}\n;__bridge.start(Widget, ${JSON.stringify(JSON.stringify(props))})`)) };
}

test("the VM's renderer turns hooks, keys and handlers into a plain tree, and events into re-renders", async () => {
  const { run, start } = await vm();
  const tree = start(`function Widget(props) {
    const [n, setN] = React.useState(0);
    const [seen, setSeen] = React.useState("");
    React.useEffect(() => { Promise.resolve().then(() => setSeen("effect")); }, []);
    return React.createElement(React.Fragment, null,
      React.createElement("p", { key: "a", style: { width: 10 }, onClick: (e) => setN(n + 1 + e.x), title: props.title }, n),
      seen);
  }`, { title: "T" });
  assert.deepEqual(tree, [{ t: "p", a: { "data-key": "a", title: "T" }, s: { width: 10 }, h: { click: 0 }, c: ["0"] }, ""]);
  assert.equal(JSON.parse(run("__bridge.flush()"))[1], "effect");
  const after = JSON.parse(run(`__bridge.event(0, ${JSON.stringify(JSON.stringify({ type: "click", x: 2 }))})`));
  assert.deepEqual(after[0].c, ["3"]);
});

test("what a component changes on the builtins cannot change the renderer", async () => {
  const { start } = await vm();
  const tree = start(`
    JSON.stringify = () => "[]"; Array.prototype.push = () => 0; Object.prototype.t = "iframe";
    function Widget() { return React.createElement("b", JSON.parse('{"constructor": "c", "__proto__": {"src": "x"}}'), "ok"); }`, {});
  assert.equal(tree.length, 1);
  assert.equal(tree[0].t, "b");
  assert.deepEqual(tree[0].c, ["ok"]);
  assert.equal(tree[0].a.constructor, "c");
  assert.equal(tree[0].a.src, undefined); // "__proto__" held an object, which is no attribute value
  assert.equal({}.src, undefined);
});

test("endless re-renders and huge trees are refused", async () => {
  const { start } = await vm();
  assert.throws(() => start(`function Widget() { const [n, set] = React.useState(0); set(n + 1); return null; }`, {}),
    /Too many re-renders/);
  const other = await vm();
  assert.throws(() => other.start(`function Widget() { return Array.from({ length: 5000 }, (_, i) => React.createElement("i", { key: i })); }`, {}),
    /more than 4000 elements/);
});

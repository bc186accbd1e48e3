// The custom widget's Worker (one per widget, made by static/widgets/sandbox.js from a blob: URL). It
// runs the compiled component inside a QuickJS VM (static/vendor/quickjs/quickjs.js, WebAssembly
// embedded in the script) whose only endowment is our renderer (static/widgets/sandbox-vm.js): no
// DOM, no window, no timers, no network, no postMessage. The VM's memory is capped and its CPU is
// budgeted per call and per second by QuickJS's interrupt handler; the frame's watchdog terminates
// this Worker if it stops answering all the same.
//
// Messages in (from the frame only): {type: "start", js, props} | {type: "event", gen, id, data}.
// Messages out: {type: "ready"} (the VM is up; the component runs next) | {type: "tree", gen, tree} |
// {type: "idle"} (the call is over) |
// {type: "error", kind: "component", text: the component's own message} |
// {type: "error", kind: "budget", text: "time" | "cpu" | "memory" | "output"} | {type: "error", kind: "sandbox", text}.
/* global QuickJSVendor, sandboxVmRuntime */
"use strict";

(() => {
  const MEMORY_BYTES = 32 * 1024 * 1024;
  const STACK_BYTES = 128 * 1024; // QuickJS's own limit: above ~200 KB deep recursion overflows a Worker's wasm stack first
  // Wall time, so generous for a busy machine. The first calls also pay for WebAssembly warming up (a
  // quarter of a second for our renderer's own source on a loaded machine), hence their larger budgets.
  const SETUP_MS = 5000; // evaluating our renderer (no component code yet)
  const FIRST_MS = 1500; // the component's script, then its first render
  const CALL_MS = 500; // each later render, event or batch of promise jobs
  const SECOND_MS = 800; // all of those within any one second
  const MAX_TREE_CHARS = 2_000_000;
  const MAX_ERROR = 300;

  // Nothing below needs the network; the component cannot reach this scope anyway. Most of these live on the
  // global scope's prototypes (WorkerGlobalScope.prototype holds fetch and importScripts), not on self.
  for (const name of ["fetch", "XMLHttpRequest", "WebSocket", "WebTransport", "EventSource", "importScripts",
    "indexedDB", "caches", "Request"]) {
    for (let scope = self; scope; scope = Object.getPrototypeOf(scope)) {
      try {
        delete scope[name];
      } catch {
        // A non-configurable global stays; the policy's connect-src 'none' still holds.
      }
    }
  }

  let vm = null; // {runtime, context}
  let dead = false;
  let gen = 0;
  let deadline = 0;
  let spent = []; // [start, end] of VM time in the last second

  const modulePromise = QuickJSVendor.newQuickJSWASMModuleFromVariant(QuickJSVendor.variant);

  function fail(kind, text) {
    if (dead) return;
    dead = true;
    postMessage({ type: "error", kind, text: String(text).slice(0, MAX_ERROR) });
    try {
      if (vm) {
        vm.context.dispose();
        vm.runtime.dispose();
      }
    } catch {
      // The VM may be broken after running out of memory; the frame terminates this Worker.
    }
    vm = null;
  }

  function usedThisSecond(now) {
    spent = spent.filter(([, end]) => end > now - 1000);
    return spent.reduce((sum, [start, end]) => sum + (end - Math.max(start, now - 1000)), 0);
  }

  /** Runs ``code`` in the VM under the budgets (``budget`` ms for this call, or the usual per call and per
   * second); returns its string result, or null after failing. */
  function run(code, budget = 0) {
    if (dead || !vm) return null;
    const start = Date.now();
    const left = budget || SECOND_MS - usedThisSecond(start);
    if (left <= 0) {
      fail("budget", "cpu");
      return null;
    }
    const allowed = budget || Math.min(CALL_MS, left);
    deadline = start + allowed;
    const { context, runtime } = vm;
    let out = null;
    let error = null;
    const result = context.evalCode(code, "widget.js");
    if (result.error) {
      error = context.dump(result.error);
      result.error.dispose();
    } else {
      out = context.getString(result.value);
      result.value.dispose();
      // Promise jobs (async work the component started) run now, under the same deadline.
      const jobs = runtime.executePendingJobs(-1);
      if (jobs.error) {
        error = context.dump(jobs.error);
        jobs.error.dispose();
      } else if (Date.now() > deadline) {
        // An interrupted job only rejects its own promise, and the loop goes on; it overran all the same.
        error = { message: "interrupted" };
      }
    }
    if (!budget) spent.push([start, Date.now()]);
    if (error !== null) {
      const overran = Date.now() - start >= allowed - 5;
      report(error, overran && !budget && allowed < CALL_MS ? "cpu" : "time");
      return null;
    }
    return out;
  }

  const RENDERER_LIMIT = /^The component (?:rendered more than \d+ elements|nested elements more than \d+ deep)\.$/;

  function report(error, interruptedBy) {
    const message = error && typeof error === "object" ? String(error.message || error.name || "") : String(error);
    if (message === "interrupted") {
      fail("budget", interruptedBy);
    } else if (/^out of memory$|^string too long$|stack overflow|call stack size/i.test(message)) {
      fail("budget", "memory");
    } else if (RENDERER_LIMIT.test(message)) {
      // Our renderer's size limits (sandbox-vm.js) are ours to say, in our words. A component that throws
      // the same text only gets itself stopped with that reason.
      fail("budget", "output");
    } else {
      fail("component", message || "Unknown error");
    }
  }

  function send(treeJson) {
    if (!treeJson) return;
    if (treeJson.length > MAX_TREE_CHARS) {
      fail("budget", "output");
      return;
    }
    gen += 1;
    postMessage({ type: "tree", gen, tree: JSON.parse(treeJson) });
  }

  async function start(js, props) {
    let module;
    try {
      module = await modulePromise;
    } catch (error) {
      fail("sandbox", `the sandbox could not start its VM (${error && error.message}).`);
      return;
    }
    const runtime = module.newRuntime();
    runtime.setMemoryLimit(MEMORY_BYTES);
    runtime.setMaxStackSize(STACK_BYTES);
    runtime.setInterruptHandler(() => Date.now() > deadline);
    const context = runtime.newContext();
    vm = { runtime, context };
    if (run(`(${sandboxVmRuntime.toString()})(); ""`, SETUP_MS) === null) return;
    postMessage({ type: "ready" });
    // The component is a script of its own, so it cannot see this one's names; it defines Widget.
    const first = Date.now() + FIRST_MS;
    if (run(`${js}\n;""`, FIRST_MS) === null) return;
    send(run(`__bridge.start(typeof Widget === "undefined" ? undefined : Widget, ${JSON.stringify(JSON.stringify(props))})`,
      Math.max(1, first - Date.now())));
    settle();
  }

  /** Sends what promise jobs changed, then tells the frame's watchdog this call is over. */
  function settle() {
    send(run("__bridge.flush()"));
    if (!dead) postMessage({ type: "idle" });
  }

  self.onmessage = (event) => {
    try {
      receive(event.data);
    } catch (error) {
      // A WebAssembly trap inside the VM: nothing of it can be trusted any more.
      fail("sandbox", `the VM stopped (${error && error.message}).`);
    }
  };

  function receive(data) {
    if (!data || typeof data !== "object" || dead) return;
    if (data.type === "start" && typeof data.js === "string" && !vm) {
      start(data.js, data.props && typeof data.props === "object" ? data.props : {})
        .catch((error) => fail("sandbox", `the VM stopped (${error && error.message}).`));
    } else if (data.type === "event" && (!vm || data.gen !== gen || !Number.isInteger(data.id))) {
      postMessage({ type: "idle" }); // an event for an earlier tree: its handlers are gone
    } else if (data.type === "event") {
      const plain = {
        type: String(data.data.type), key: data.data.key === null ? null : String(data.data.key),
        value: null, x: Number(data.data.x) || 0, y: Number(data.data.y) || 0, button: Number(data.data.button) || 0,
        shiftKey: data.data.shiftKey === true, altKey: data.data.altKey === true,
        ctrlKey: data.data.ctrlKey === true, metaKey: data.data.metaKey === true,
      };
      send(run(`__bridge.event(${data.id}, ${JSON.stringify(JSON.stringify(plain))})`));
      settle();
    }
  }
})();

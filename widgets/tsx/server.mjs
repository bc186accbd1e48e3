// The warm TypeScript checker: a long-lived Node process (one per app worker process, started by
// widgets/services/tsx_checker.py) that checks components one at a time in a worker thread
// (worker.mjs) which keeps the compiler and the typings loaded between checks.
//
// Each check runs under a deadline and the thread's heap cap (`resourceLimits`). A thread that runs
// past the deadline is terminated, one that runs out of heap or crashes is gone, and either way a
// fresh one is started at once and the check is answered as failed. A thread is also replaced after
// MAX_CHECKS checks, so that nothing it keeps between checks can grow without bound.
//
// stdin, one JSON object a line:  {"id": n, "props_ts": s, "tsx": s, "time_ms": n}   a check
//                                  {"cancel": n}                                      drop a check not yet started
// stdout, one JSON object a line: {"event": "ready"}                            a warm thread is ready
//                                  {"id": n, "event": "started"}                  the check went to the thread
//                                  {"id": n, "event": "done", "ok", "errors", "js"}
//                                  {"id": n, "event": "failed", "limit": "time" | "memory" | "crash", "detail"}
//                                  {"event": "fatal", "error": s}                 no thread could start; exiting
// The process exits when stdin ends (its app process closed the pipe, or died).
import process from "node:process";
import readline from "node:readline";
import { Worker } from "node:worker_threads";

const args = new Map(process.argv.slice(2).map((arg) => arg.replace(/^--/, "").split("=")));
const HEAP_MB = Number(args.get("heap-mb") || 1024);
const MAX_CHECKS = Number(args.get("max-checks") || 500);
const WORKER_URL = new URL("./worker.mjs", import.meta.url);

let thread = null; // {worker, ready, checks, gone}
let busy = null; // {id, timer}
const queue = [];

function send(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function fatal(error) {
  send({ event: "fatal", error: String(error).slice(0, 2000) });
  process.exit(1);
}

function startThread() {
  const worker = new Worker(WORKER_URL, {
    resourceLimits: { maxOldGenerationSizeMb: HEAP_MB, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 },
    env: {}, // a copy of nothing: the compiler needs no environment
    stdout: true, stderr: true, // its console, if any, must not mix into our protocol on stdout
  });
  worker.stdout.pipe(process.stderr);
  worker.stderr.pipe(process.stderr);
  const current = { worker, ready: false, checks: 0, gone: false };
  thread = current;
  worker.on("message", (message) => onMessage(current, message));
  worker.on("error", (error) => onGone(current, error));
  worker.on("exit", (code) => onGone(current, new Error(`the checker thread exited (code ${code})`)));
}

/** Stops ``current`` (if still running) and starts its successor. */
function replace(current) {
  current.gone = true;
  current.worker.terminate().catch(() => {});
  if (thread === current) startThread();
}

function finish(message) {
  clearTimeout(busy.timer);
  busy = null;
  send(message);
}

function onMessage(current, message) {
  if (current.gone) return;
  if (message.event === "ready") {
    current.ready = true;
    send({ event: "ready" });
  } else if (busy && message.id === busy.id) {
    current.checks += 1;
    if (message.fault !== undefined) {
      finish({ id: message.id, event: "failed", limit: "crash", detail: message.fault });
      replace(current); // its state after an internal fault is unknown
    } else {
      finish({ id: message.id, event: "done", ok: message.ok, errors: message.errors, js: message.js });
      if (current.checks >= MAX_CHECKS) replace(current);
    }
  }
  pump();
}

function onGone(current, error) {
  if (current.gone) return;
  if (!current.ready) fatal(`the checker thread could not start: ${error && error.message}`);
  if (busy) {
    const limit = error && error.code === "ERR_WORKER_OUT_OF_MEMORY" ? "memory" : "crash";
    finish({ id: busy.id, event: "failed", limit, detail: String(error && error.message) });
  }
  replace(current);
  pump();
}

function onDeadline(current, id) {
  if (!busy || busy.id !== id || current.gone) return;
  finish({ id, event: "failed", limit: "time", detail: "the check ran past its deadline" });
  replace(current);
  pump();
}

function pump() {
  if (busy || !thread || !thread.ready || thread.gone || queue.length === 0) return;
  const request = queue.shift();
  const current = thread;
  busy = { id: request.id, timer: setTimeout(() => onDeadline(current, request.id), request.time_ms) };
  send({ id: request.id, event: "started" });
  current.worker.postMessage({ id: request.id, input: { props_ts: request.props_ts, tsx: request.tsx } });
}

function onLine(line) {
  let request;
  try {
    request = JSON.parse(line);
  } catch {
    return; // not from our app process: nothing to answer
  }
  if (request.cancel !== undefined) {
    const at = queue.findIndex((r) => r.id === request.cancel);
    if (at >= 0) queue.splice(at, 1);
    return;
  }
  queue.push({ id: request.id, props_ts: request.props_ts, tsx: request.tsx,
    time_ms: Math.max(1, Number(request.time_ms) || 5000) });
  pump();
}

process.stdout.on("error", () => process.exit(0)); // the app process is gone
readline.createInterface({ input: process.stdin, crlfDelay: Infinity }).on("line", onLine).on("close", () => {
  if (thread) thread.worker.terminate().catch(() => {});
  process.exit(0);
});
startThread();

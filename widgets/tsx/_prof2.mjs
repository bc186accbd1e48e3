import fs from "node:fs";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { check } from "./check.mjs";
const comps = JSON.parse(fs.readFileSync("/tmp/components.json", "utf8"));
function run(label) {
  for (let i = 0; i < 3; i++) for (const c of comps) check(c);
  const t = performance.now(); const c0 = process.cpuUsage();
  for (let i = 0; i < 5; i++) for (const c of comps) check(c);
  const n = 5 * comps.length;
  return `${label}: ${((performance.now() - t) / n).toFixed(1)} ms/check`;
}
if (isMainThread) {
  console.log(run("main"));
  for (const rl of [{ maxOldGenerationSizeMb: 512, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 }, { maxOldGenerationSizeMb: 512, maxYoungGenerationSizeMb: 128, stackSizeMb: 4 }, {}]) {
    await new Promise((res) => { const w = new Worker(new URL(import.meta.url), { resourceLimits: rl, workerData: JSON.stringify(rl) }); w.on("message", (m) => { console.log(m); res(); }); });
  }
} else {
  parentPort.postMessage(run("worker " + workerData));
}

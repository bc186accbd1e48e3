// A request's progress while it is built: the step (or two, side by side) it is at and the time spent in
// it, ticking every second between polls. The seconds are counted from what the server last said (its
// ``elapsed_s``), never from this computer's clock against the server's, so a skewed clock cannot show
// minus three minutes. The time is a role=timer (not announced); a new step is.

import { el } from "./dom.js";

const TICK_MS = 1000;

/** Returns what a request's card says of its steps, ``addedS`` seconds after the server said it: a list
 * of {label, seconds} (seconds null when the step has not started waiting). */
export function stepParts(r, addedS = 0) {
  return (r.current_steps || []).map((s) => {
    const what = s.state === "queued" ? `${s.label} (waiting for a worker)` : s.label;
    const again = s.attempts > 1 && s.state === "running" ? `, try ${s.attempts}` : "";
    const seconds = s.elapsed_s == null ? null : Math.max(0, Math.round(s.elapsed_s + addedS));
    return { label: what + again, seconds };
  });
}

/** The same as one line: "Writing the SQL · 4 s", two steps joined by "and". */
export const stepsText = (r, addedS = 0) => stepParts(r, addedS)
  .map((p) => (p.seconds == null ? p.label : `${p.label} · ${p.seconds} s`)).join(" and ");

/** Fills ``node`` (the card's step line) with request ``r``'s steps, and keeps them for the ticker. */
export function fillProgress(node, r, settled) {
  if (!node) return;
  const steps = settled ? [] : (r.current_steps || []);
  node.dataset.steps = JSON.stringify(steps);
  node.dataset.said = String(Date.now());
  draw(node, { current_steps: steps }, 0);
}

function draw(node, r, addedS) {
  const parts = stepParts(r, addedS);
  const labels = parts.map((p) => p.label).join("|");
  if (node.dataset.labels === labels && node.children.length) {
    // Same steps: only the seconds change, in place (the live region hears no new words).
    node.querySelectorAll("[role=timer]").forEach((timer, i) => {
      if (parts[i] && parts[i].seconds != null) timer.textContent = `${parts[i].seconds} s`;
    });
    return;
  }
  node.dataset.labels = labels;
  node.replaceChildren(...parts.flatMap((p, i) => [
    i ? " and " : null,
    el("span", { className: "step-label", text: p.label }),
    p.seconds == null ? null : " · ",
    p.seconds == null ? null : el("span", { role: "timer", className: "step-elapsed", text: `${p.seconds} s` }),
  ]).filter((x) => x !== null));
}

/** Ticks every step line under ``box`` once a second; returns a function that stops it. */
export function startTicking(box) {
  const timer = setInterval(() => {
    box.querySelectorAll("[data-steps]").forEach((node) => {
      let steps = [];
      try { steps = JSON.parse(node.dataset.steps || "[]"); } catch { return; }
      if (!steps.length) return;
      draw(node, { current_steps: steps }, (Date.now() - Number(node.dataset.said || Date.now())) / 1000);
    });
  }, TICK_MS);
  return () => clearInterval(timer);
}

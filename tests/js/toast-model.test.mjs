// static/widgets/toast-model.js under Node's own test runner: the clock of a toast with Undo.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { toastRunner, undoClock, undoLabel } from "../../static/widgets/toast-model.js";

describe("undoClock", () => {
  test("counts down to zero and stays there", () => {
    const clock = undoClock({ ms: 10_000, now: 1000 });
    assert.equal(clock.remaining(1000), 10_000);
    assert.equal(clock.seconds(4500), 7);
    assert.equal(clock.expired(10_999), false);
    assert.equal(clock.expired(11_000), true);
    assert.equal(clock.remaining(50_000), 0);
  });

  test("stands still while paused and goes on from there when resumed", () => {
    const clock = undoClock({ ms: 10_000, now: 0 });
    clock.pause(3000);
    clock.pause(5000); // a second pause does not move the time left
    assert.equal(clock.remaining(60_000), 7000);
    assert.equal(clock.expired(60_000), false);
    clock.resume(60_000);
    clock.resume(61_000); // nor does resuming a running clock
    assert.equal(clock.remaining(62_000), 5000);
    assert.equal(clock.expired(67_000), true);
  });

  test("the label counts seconds, and stops counting while paused", () => {
    const clock = undoClock({ ms: 5000, now: 0 });
    assert.equal(undoLabel(clock, 100), "Undo (5 s)");
    clock.pause(2500);
    assert.equal(undoLabel(clock, 2500), "Undo");
  });
});

/** A fake clock with one interval timer. */
function fakeTimers() {
  const state = { t: 0, fn: null, cleared: false };
  return {
    state,
    now: () => state.t,
    setInterval: (fn) => { state.fn = fn; return 1; },
    clearInterval: () => { state.cleared = true; },
    advance(ms, step = 250) {
      for (let i = 0; i < ms; i += step) { state.t += step; if (state.fn && !state.cleared) state.fn(); }
    },
  };
}

describe("toastRunner", () => {
  test("expires once when its time is up", () => {
    const timers = fakeTimers();
    let expired = 0;
    const toast = toastRunner(timers).show({ ms: 1000, onExpire: () => { expired += 1; } });
    timers.advance(750);
    assert.equal(expired, 0);
    timers.advance(2000);
    assert.equal(expired, 1);
    assert.equal(toast.done(), true);
    assert.equal(timers.state.cleared, true);
  });

  test("never expires while the pointer or focus holds it", () => {
    const timers = fakeTimers();
    let expired = 0;
    const toast = toastRunner(timers).show({ ms: 1000, onExpire: () => { expired += 1; } });
    timers.advance(500);
    toast.pause();
    timers.advance(10_000);
    assert.equal(expired, 0);
    toast.resume();
    timers.advance(500);
    assert.equal(expired, 1);
  });

  test("a cancelled toast (Undo clicked) never expires", () => {
    const timers = fakeTimers();
    let expired = 0;
    const toast = toastRunner(timers).show({ ms: 1000, onExpire: () => { expired += 1; } });
    toast.cancel();
    timers.state.cleared = false; // even a tick already queued does nothing
    timers.advance(5000);
    assert.equal(expired, 0);
  });

  test("ticks with the clock, for the countdown label", () => {
    const timers = fakeTimers();
    const labels = [];
    toastRunner(timers).show({ ms: 2000, onTick: (clock) => labels.push(undoLabel(clock, timers.now())) });
    timers.advance(1500, 500);
    assert.deepEqual(labels, ["Undo (2 s)", "Undo (1 s)", "Undo (1 s)"]);
  });
});

// The clock of a toast that offers Undo for a while: it counts down, stands still while the pointer or
// the focus is on it (WCAG 2.2.1: the analyst reading or reaching it is given the time), and says how
// long is left. Pure: every method takes the time, so Node's test runner drives it without waiting.

export const UNDO_MS = 10_000;

/** Returns a countdown of ``ms`` from ``now``: {remaining(t), expired(t), pause(t), resume(t), paused(),
 * seconds(t)}. Pausing twice, or resuming a running clock, changes nothing. */
export function undoClock({ ms = UNDO_MS, now }) {
  let deadline = now + ms;
  let left = null; // ms left while paused, else null
  const remaining = (t) => Math.max(0, left !== null ? left : deadline - t);
  return {
    remaining,
    expired: (t) => remaining(t) === 0,
    paused: () => left !== null,
    pause(t) {
      if (left === null) left = Math.max(0, deadline - t);
    },
    resume(t) {
      if (left === null) return;
      deadline = t + left;
      left = null;
    },
    seconds: (t) => Math.ceil(remaining(t) / 1000),
  };
}

/** Returns the toast's countdown words: "Undo (8 s)", or "Undo" once paused (no number ticking under
 * a screen reader's cursor). */
export function undoLabel(clock, t) {
  return clock.paused() ? "Undo" : `Undo (${clock.seconds(t)} s)`;
}

/** Returns a toast runner over injected timers: ``show({ms, onExpire, onTick})`` starts a clock that
 * ticks every ``tickMs`` and calls ``onExpire`` once when it runs out (never after ``cancel()``); it
 * returns {clock, pause, resume, cancel}. ``timers`` = {now(), setInterval, clearInterval}. */
export function toastRunner({ now = () => Date.now(), setInterval = globalThis.setInterval,
                              clearInterval = globalThis.clearInterval, tickMs = 250 } = {}) {
  return {
    show({ ms = UNDO_MS, onExpire = () => {}, onTick = () => {} } = {}) {
      const clock = undoClock({ ms, now: now() });
      let done = false;
      const stop = () => {
        done = true;
        clearInterval(handle);
      };
      const handle = setInterval(() => {
        if (done) return;
        if (clock.expired(now())) {
          stop();
          onExpire();
        } else {
          onTick(clock);
        }
      }, tickMs);
      return {
        clock,
        pause: () => clock.pause(now()),
        resume: () => clock.resume(now()),
        cancel: stop,
        done: () => done,
      };
    },
  };
}

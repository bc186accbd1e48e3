// Keeping the open page current: when a cached widget's background refresh lands, its card is built again
// in place, without a reload; "Refresh all" asks the server to run every widget again. The dashboard is
// polled (modestly: every few seconds while a refresh is under way, else once a minute, never while the
// tab is hidden). A card being typed in is left for the next poll; the focus, the scroll position and the
// open disclosures of a card built again are kept.

import { errorText } from "./api.js";
import { BUSY_POLLS, nextDelay, outOfDate } from "./live-model.js";

/** Returns {soon(), refreshAll(button)}. ``shown`` maps widget ids to the widgets their cards show;
 * ``update(w)`` builds a widget's card again; ``say(text)`` speaks in the live region. */
export function liveUpdates({ api, dashboardId, shown, update, say, onDashboard = () => {} }) {
  let busyLeft = 0;
  let quietPolls = 0;
  let timer = null;
  let waitingFor = null; // ids a Refresh all is waiting for, with its button
  let button = null;

  function schedule(delay) {
    clearTimeout(timer);
    const stale = [...shown.values()].some((w) => w && w.stale);
    timer = setTimeout(tick, delay ?? nextDelay({ busyLeft, staleShown: stale, quietPolls }));
  }

  async function tick() {
    if (document.hidden) return schedule();
    const { ok, data } = await api(`dashboards/${dashboardId}/`);
    busyLeft = Math.max(0, busyLeft - 1);
    if (ok && Array.isArray(data.widgets)) {
      onDashboard(data);
      const changed = outOfDate(shown, data.widgets).filter((w) => update(w) !== false);
      quietPolls = changed.length ? 0 : quietPolls + 1;
      if (waitingFor) changed.forEach((w) => waitingFor.delete(w.id));
    }
    settleRefreshAll();
    schedule();
  }

  function settleRefreshAll() {
    if (!waitingFor || (waitingFor.size && busyLeft > 0)) return;
    say(waitingFor.size ? `${waitingFor.size} widget${waitingFor.size === 1 ? "" : "s"} not refreshed yet; they will update when ready.`
      : "All widgets refreshed.");
    waitingFor = null;
    if (button) {
      button.disabled = false;
      button.textContent = "Refresh all";
    }
  }

  /** Polls at the short interval for a while: something is expected to land. */
  function soon() {
    busyLeft = BUSY_POLLS;
    quietPolls = 0;
    schedule(1_000);
  }

  async function refreshAll(control) {
    button = control;
    control.disabled = true;
    control.textContent = "Refreshing…";
    const { ok, data } = await api(`dashboards/${dashboardId}/refresh/`, {});
    if (!ok) {
      control.disabled = false;
      control.textContent = "Refresh all";
      say(`Could not refresh: ${errorText(data)}`);
      return;
    }
    waitingFor = new Set(data.queued || []);
    say(waitingFor.size ? `Refreshing ${waitingFor.size} widget${waitingFor.size === 1 ? "" : "s"}…` : "Nothing to refresh.");
    if (!waitingFor.size) settleRefreshAll();
    soon();
  }

  schedule();
  return { soon, refreshAll };
}

/** Returns ``restore(fresh)``, which gives the card built again in the place of ``old`` what the analyst
 * had open on it: its open disclosures, the focus (by test id, else its title; the card's controls keep
 * their own) and the page's scroll position. Returns null while the analyst is typing in ``old``: then it
 * is left alone, and the next poll tries again. */
export function keepCardState(old) {
  const active = document.activeElement;
  const inside = active && old.contains(active);
  if (inside && (active.matches("input[type=text], input:not([type]), textarea, select") || active.isContentEditable)) {
    return null;
  }
  const focusKey = inside ? active.dataset.testid || "" : null;
  const open = [...old.querySelectorAll("details")].map((d) => d.open);
  const { scrollX, scrollY } = window;
  return (fresh) => {
    if (!fresh) return;
    fresh.querySelectorAll("details").forEach((d, i) => { if (open[i]) d.open = true; });
    if (focusKey !== null && !fresh.contains(document.activeElement)) {
      const target = (focusKey && fresh.querySelector(`[data-testid="${focusKey}"]`)) || fresh.querySelector(".widget-title");
      if (target) {
        if (!target.matches("a, button, input, select, textarea, summary, [tabindex]")) target.setAttribute("tabindex", "-1");
        target.focus({ preventScroll: true });
      }
    }
    if (window.scrollX !== scrollX || window.scrollY !== scrollY) window.scrollTo(scrollX, scrollY);
  };
}

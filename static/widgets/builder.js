// The builder (the prompt box) can be folded away to give the widgets the page; the choice is kept in
// this browser (localStorage). A prompt in the address (?prompt=… from the catalog) always opens it.

const KEY = "widget-builder:builder-collapsed";

const stored = () => {
  try { return window.localStorage.getItem(KEY) === "1"; } catch { return false; } // storage off: open
};
const store = (collapsed) => {
  try { window.localStorage.setItem(KEY, collapsed ? "1" : "0"); } catch { /* kept for this page only */ }
};

/** Wires the builder's toggle; returns {expand()} (no-op without a builder: a viewer's page). */
export function builderToggle() {
  const toggle = document.getElementById("builder-toggle");
  const form = document.getElementById("prompt-form");
  if (!toggle || !form) return { expand() {} };
  const input = document.getElementById("prompt-input");
  const card = toggle.closest(".prompt-card");

  function show(collapsed) {
    form.hidden = collapsed;
    card.classList.toggle("prompt-card-collapsed", collapsed);
    toggle.setAttribute("aria-expanded", String(!collapsed));
    toggle.textContent = collapsed ? "Describe a new widget…" : "Hide the builder";
  }
  toggle.addEventListener("click", () => {
    const collapsed = !form.hidden;
    show(collapsed);
    store(collapsed);
    if (!collapsed && input) input.focus();
  });
  show(stored() && !(input && input.value.trim()));
  return {
    expand() {
      if (!form.hidden) return;
      show(false);
      store(false);
    },
  };
}

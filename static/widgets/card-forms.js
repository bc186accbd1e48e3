// The small forms a card opens under its title: Refine… (a follow-up in words), Change kind, Rename and
// Move to another dashboard. Each is a <form> with a label, Esc or Cancel closes it, and a failure says
// why beside it with the typed text kept. They call ``act`` (the card's actions), never the page.

import { errorText } from "./api.js";
import { el, showError } from "./dom.js";
import { kindChoices, kindOf, refineForKind } from "./kinds-model.js";

let uid = 0;
const nextId = (what) => `${what}-${++uid}`;

/** Returns a form with ``fields``, a submit button labelled ``submitLabel`` and Cancel. ``onSubmit(form)``
 * resolves to {ok, data} (an API answer) or to true; a failure shows the API's message. */
function cardForm({ testid, fields, submitLabel, onSubmit, onCancel, extra = null }) {
  const error = el("p", { className: "form-error", role: "alert", hidden: true, "data-testid": `${testid}-error` });
  const submit = el("button", { type: "submit", className: "button button-primary button-small",
    "data-testid": `${testid}-submit` }, submitLabel);
  const form = el("form", { className: "card-form", "data-testid": testid, novalidate: true }, ...fields,
    el("div", { className: "card-form-actions" }, submit,
      el("button", { type: "button", className: "button button-small", "data-testid": `${testid}-cancel`, onclick: onCancel },
        "Cancel")),
    error, extra);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    showError(error, "");
    const answer = await onSubmit(form, error);
    submit.disabled = false;
    if (answer && answer.ok === false) showError(error, errorText(answer.data));
  });
  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.stopPropagation();
      onCancel();
    }
  });
  return form;
}

/** The Refine… box: a short prompt ("make it a line chart", "only motor claims", "undo that"). */
export function refineForm({ act, w, prompt = "", close }) {
  const id = nextId("refine");
  const input = el("textarea", { id, rows: 2, maxlength: 2000, "data-testid": "refine-input", required: true,
    placeholder: "e.g. make it a line chart · weekly instead · only motor claims · top 5" });
  input.value = prompt;
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey || !event.shiftKey)) {
      event.preventDefault();
      input.form.requestSubmit();
    }
  });
  return cardForm({
    testid: "refine-form", submitLabel: "Refine", onCancel: close,
    fields: [el("label", { for: id, text: `Refine “${w.title}”` }), input,
      el("p", { className: "muted card-form-hint", text: "Enter sends; Shift+Enter for a new line. The result is a new version you can undo." })],
    onSubmit: async () => {
      if (!input.value.trim()) return { ok: false, data: { message: "Say what to change." } };
      const answer = await act.refine(input.value.trim());
      if (answer.ok) close();
      return answer;
    },
  });
}

/** Change kind: the kinds that draw the same rows first; the others say why they need a refinement, and
 * the server's ``kind_needs_refine`` answer offers to refine instead. */
export function kindForm({ act, w, chartKinds, close, refineInstead }) {
  const choices = kindChoices(w, chartKinds);
  const name = nextId("kind");
  const radio = (c) => {
    const id = `${name}-${c.kind}`;
    const hint = c.reason ? el("span", { className: "muted kind-reason", id: `${id}-why`, text: c.reason }) : null;
    return el("div", { className: "kind-choice" },
      el("input", { type: "radio", name, id, value: c.kind, "data-testid": `kind-${c.kind}`, "data-fits": String(c.fits),
        "aria-describedby": hint ? `${id}-why` : null }),
      el("label", { for: id, text: c.label }), hint);
  };
  const fits = choices.filter((c) => c.fits);
  const misfits = choices.filter((c) => !c.fits);
  const offer = el("div", { className: "kind-offer", hidden: true });
  const form = cardForm({
    testid: "kind-form", submitLabel: "Change kind", onCancel: close, extra: offer,
    fields: [el("fieldset", { className: "kind-choices" },
      el("legend", { text: `Show as (now: ${(chartKinds[kindOf(w)] || kindOf(w) || "").toLowerCase()})` }),
      fits.length ? fits.map(radio) : el("p", { className: "muted", text: "No other kind draws the same rows." }),
      misfits.length ? el("p", { className: "muted kind-group", text: "Need new SQL (a refinement):" }) : null,
      misfits.map(radio))],
    onSubmit: async (node, error) => {
      offer.hidden = true;
      const picked = node.querySelector("input[type=radio]:checked");
      if (!picked) return { ok: false, data: { message: "Pick a kind." } };
      const choice = choices.find((c) => c.kind === picked.value);
      const answer = await act.patch({ kind: picked.value });
      if (answer.ok) {
        close();
        return answer;
      }
      if (answer.data && answer.data.code === "kind_needs_refine") {
        showError(error, errorText(answer.data));
        offer.replaceChildren(el("button", { type: "button", className: "button button-small", "data-testid": "kind-refine-instead",
          onclick: () => refineInstead(refineForKind(choice)) }, `Refine instead: “${refineForKind(choice)}”`));
        offer.hidden = false;
        return { ok: true };
      }
      return answer;
    },
  });
  return form;
}

/** Rename: the title, at most 120 characters (the spec's limit). */
export function renameForm({ act, w, close }) {
  const id = nextId("title");
  const input = el("input", { type: "text", id, maxlength: 120, required: true, "data-testid": "rename-input" });
  input.value = w.title || "";
  return cardForm({
    testid: "rename-form", submitLabel: "Rename", onCancel: close,
    fields: [el("label", { for: id, text: "Title" }), input],
    onSubmit: async () => {
      if (!input.value.trim()) return { ok: false, data: { message: "A widget needs a title." } };
      const answer = await act.patch({ title: input.value.trim() });
      if (answer.ok) close();
      return answer;
    },
  });
}

/** Move: the analyst's other dashboards (the ones they can edit), loaded when the form opens. */
export function moveForm({ act, close }) {
  const id = nextId("move");
  const select = el("select", { id, "data-testid": "move-select", disabled: true }, el("option", { value: "", text: "Loading…" }));
  const form = cardForm({
    testid: "move-form", submitLabel: "Move", onCancel: close,
    fields: [el("label", { for: id, text: "Move to dashboard" }), select],
    onSubmit: async () => {
      if (!select.value) return { ok: false, data: { message: "Pick a dashboard." } };
      const name = select.selectedOptions[0] ? select.selectedOptions[0].textContent : "";
      return act.move(Number(select.value), name);
    },
  });
  act.otherDashboards().then(({ ok, data, dashboards }) => {
    if (!ok) {
      showError(form.querySelector(".form-error"), errorText(data));
      return;
    }
    select.replaceChildren(...(dashboards.length
      ? dashboards.map((d) => el("option", { value: d.id, text: d.name }))
      : [el("option", { value: "", text: "You have no other dashboard" })]));
    select.disabled = !dashboards.length;
  });
  return form;
}

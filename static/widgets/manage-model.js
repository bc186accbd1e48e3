// The dashboard management controls' small rules, pure so that Node's test runner checks them: what the
// share button says, the page title after a rename, the message of a refused change, the list's Undo link
// after a delete, and where a restored dashboard goes back in the list.

import { errorText } from "./api.js";

/** Returns what the share button will do: a private dashboard can be shared, a shared one made private. */
export const shareLabel = (isPrivate) => (isPrivate ? "Share (everyone can view)" : "Make private");

/** Returns the document title once ``oldName`` is ``newName``: the name leads the title ("Claims · Widget
 * Builder"), the rest is kept; a title that does not start with the old name becomes the new name. */
export function pageTitle(title, oldName, newName) {
  return oldName && title.startsWith(oldName) ? newName + title.slice(oldName.length) : newName;
}

/** Returns the API's words for a refused change: the ``field``'s own message when the API names one (the
 * message itself is prefixed "name: ..."), else the message. */
export function fieldError(data, field = "") {
  const fields = data && data.extra && data.extra.fields;
  const own = field && fields && Array.isArray(fields[field]) ? fields[field][0] : null;
  return typeof own === "string" && own ? own : errorText(data);
}

/** Returns the dashboards list's URL that offers Undo for the dashboard ``id`` just deleted. */
export function listUrlAfterDelete(listUrl, id) {
  const url = new URL(listUrl, "http://x.invalid/");
  url.searchParams.set("deleted", String(id));
  return url.pathname + url.search;
}

/** Returns the id of the dashboard just deleted that a list URL's query names (``?deleted=12``), or null;
 * and the query without it, so that a reload does not offer Undo again. */
export function deletedFromQuery(search) {
  const params = new URLSearchParams(search);
  const raw = params.get("deleted");
  params.delete("deleted");
  const rest = params.toString();
  const id = raw !== null && /^[1-9][0-9]{0,17}$/.test(raw) ? raw : null;
  return { id, rest: rest ? `?${rest}` : "" };
}

/** Returns where ``name`` goes among ``names`` (a list sorted by name, as the server sorts it, by code
 * unit: SQLite's order): the index of the first name after it. */
export function insertIndex(names, name) {
  const at = names.findIndex((other) => other > name);
  return at === -1 ? names.length : at;
}

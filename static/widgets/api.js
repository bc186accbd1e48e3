// The JSON API, from the page: GET, or POST a JSON body, with Django's CSRF token.

// The page renders {% csrf_token %}; the csrftoken cookie is the fallback.
const csrfToken = () => (document.querySelector("input[name=csrfmiddlewaretoken]") || {}).value
  || decodeURIComponent((document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/) || [])[1] || "");

/** Returns ``api(path, body, method)`` for the API rooted at ``base``: it GETs, or POSTs ``body`` as JSON
 * (or sends it with ``method``: "PATCH", "DELETE"), and resolves to {ok, status, data}, status 0 when the
 * network failed. It never rejects. */
export function apiClient(base) {
  return async function api(path, body, method = body === undefined ? "GET" : "POST") {
    const headers = { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": csrfToken() };
    const options = { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) };
    try {
      const response = await fetch(base + path, { credentials: "same-origin", ...options });
      const data = await response.json().catch(() => ({}));
      return { ok: response.ok, status: response.status, data };
    } catch (error) {
      return { ok: false, status: 0, data: { message: "Could not reach the server. Check your connection." } };
    }
  };
}

/** Returns the API's message for a failed call, or a generic one. */
export const errorText = (data) => (data && data.message) || "Something went wrong. Please try again.";

/** Returns one paged list read whole: every row of ``path``'s pages (``{results, next}``), up to ``maxPages``
 * pages of ``pageSize``. Resolves to the last answer plus ``rows``, and ``more`` when pages were left unread.
 * A failed page stops the reading: {ok: false, status, data, rows so far}. */
export async function allPages(api, path, { pageSize = 200, maxPages = 50 } = {}) {
  const rows = [];
  const join = path.includes("?") ? "&" : "?";
  for (let page = 1; page <= maxPages; page += 1) {
    const answer = await api(`${path}${join}page_size=${pageSize}&page=${page}`);
    if (!answer.ok) return { ...answer, rows, more: false };
    const data = answer.data || {};
    rows.push(...(Array.isArray(data.results) ? data.results : []));
    if (!data.next) return { ...answer, rows, more: false };
  }
  return { ok: true, status: 200, data: {}, rows, more: true };
}

/** Returns a reader of a paged list one page at a time: ``first()`` starts again at page 1, ``next()`` reads
 * the page after the last one read; each resolves to the answer plus ``rows`` (that page's) and ``more``
 * (a later page exists). */
export function pageReader(api, path, pageSize = 50) {
  const join = path.includes("?") ? "&" : "?";
  let page = 0;
  async function read(n) {
    const answer = await api(`${path}${join}page_size=${pageSize}&page=${n}`);
    if (!answer.ok) return { ...answer, rows: [], more: false };
    page = n;
    const data = answer.data || {};
    return { ...answer, rows: Array.isArray(data.results) ? data.results : [], more: Boolean(data.next) };
  }
  return { first: () => read(1), next: () => read(page + 1) };
}

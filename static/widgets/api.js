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

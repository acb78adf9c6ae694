// Writes to the REST API (session auth + CSRF); reads come from the planner's api.js helpers.
import { ApiError, getAllFeatures, getJSON, withParams } from "../planner/api.js";

export { ApiError, getAllFeatures, getJSON, withParams };

function csrfToken() {
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (input) return input.value;
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

/** POST/PATCH JSON (or FormData); resolves with the JSON answer, rejects with an ApiError. */
export async function send(method, url, body = null) {
  const headers = { Accept: "application/json", "X-CSRFToken": csrfToken() };
  let payload = body;
  if (body !== null && !(body instanceof FormData)) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const response = await fetch(url, { method, credentials: "same-origin", headers, body: payload });
  let data = null;
  try { data = await response.json(); } catch { /* empty or not JSON */ }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export const post = (url, body = {}) => send("POST", url, body);
export const patch = (url, body = {}) => send("PATCH", url, body);

/** All results of a paginated DRF list ({count, next, results}) or a plain list. */
export async function getAll(url, { maxPages = 20 } = {}) {
  const out = [];
  let next = url;
  for (let page = 0; next && page < maxPages; page += 1) {
    const data = await getJSON(next);
    if (Array.isArray(data)) return data;
    out.push(...(data.results || []));
    next = data.next ? new URL(data.next, window.location.origin).pathname + new URL(data.next, window.location.origin).search : null;
  }
  return out;
}

/** The most useful sentence of an API refusal: the field's reason or the detail. */
export function errorText(error) {
  const body = error?.body;
  if (!body) return error?.message || String(error);
  if (typeof body.detail === "string") return body.field ? `${body.field}: ${body.detail}` : body.detail;
  if (body.detail && typeof body.detail === "object") return flatten(body.detail);
  return flatten(body);
}

function flatten(value, prefix = "") {
  if (Array.isArray(value)) return value.map((v) => flatten(v, prefix)).join("; ");
  if (value && typeof value === "object") {
    return Object.entries(value).map(([k, v]) => flatten(v, k === "non_field_errors" ? prefix : `${k}`)).join("; ");
  }
  return prefix ? `${prefix}: ${value}` : String(value);
}

// HTTP helpers of every page: reads through the platform's JSON APIs, and writes to the REST
// API (session auth + CSRF).

export class ApiError extends Error {
  constructor(status, body) {
    const detail = body && (body.detail || JSON.stringify(body));
    super(`HTTP ${status}${detail ? `: ${detail}` : ""}`);
    this.status = status;
    this.body = body;
  }
}

export async function getJSON(url, { signal } = {}) {
  const response = await fetch(url, {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
    signal,
  });
  if (!response.ok) {
    let body = null;
    try { body = await response.json(); } catch { /* not JSON */ }
    throw new ApiError(response.status, body);
  }
  return response.json();
}

/** `url` with the given query parameters set (null/undefined ones left out). */
export function withParams(url, params) {
  const u = new URL(url, window.location.origin);
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") u.searchParams.set(key, value);
  }
  return u.pathname + u.search;
}

/**
 * Every feature of a paginated GeoJSON FeatureCollection, following `next`.
 * `onPage(loaded, total)` reports progress after each page.
 */
export async function getAllFeatures(url, { signal, onPage, maxPages = 40 } = {}) {
  const features = [];
  let next = url;
  let pages = 0;
  while (next && pages < maxPages) {
    const page = await getJSON(next, { signal });
    features.push(...(page.features || []));
    pages += 1;
    onPage?.(features.length, page.count ?? features.length);
    next = page.next ? sameOrigin(page.next) : null;
  }
  return features;
}

// DRF builds absolute `next` links from the Host header; keep them on this origin.
function sameOrigin(link) {
  const u = new URL(link, window.location.origin);
  return u.pathname + u.search;
}

export function bboxParam(extent) {
  return extent.map((v) => v.toFixed(6)).join(",");
}

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
    next = data.next ? sameOrigin(data.next) : null;
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

/** The field an API refusal names (a domain error's ``field``, else the first invalid input), or "". */
export function errorField(error) {
  const body = error?.body;
  if (!body || typeof body !== "object") return "";
  if (typeof body.field === "string") return body.field;
  const detail = body.detail && typeof body.detail === "object" ? body.detail : body;
  return typeof body.detail === "string" ? "" : Object.keys(detail).find((k) => k !== "non_field_errors") || "";
}

function flatten(value, prefix = "") {
  if (Array.isArray(value)) return value.map((v) => flatten(v, prefix)).join("; ");
  if (value && typeof value === "object") {
    return Object.entries(value).map(([k, v]) => flatten(v, k === "non_field_errors" ? prefix : `${k}`)).join("; ");
  }
  return prefix ? `${prefix}: ${value}` : String(value);
}

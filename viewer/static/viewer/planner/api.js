// HTTP helpers: the page reads everything through the platform's JSON APIs.

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

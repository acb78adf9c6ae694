// Long work on the platform's workers, from any page: submit a job, follow it to its end with a
// progress indicator, cancel it.  The analyses and exports build on this:
//
//   import { runJob } from "../common/jobs.js";
//   const job = await runJob({ jobsUrl, kind: "plates.sheet", params: {...}, into: node, t });
//   if (job.status === "succeeded") location.href = job.result_url;
//
// A job is followed through its REST resource (`GET /api/jobs/{id}/`): read again at once when
// the jobs WebSocket (`/ws/jobs/`, see cim/consumers.py) says it changed, and otherwise polled,
// quickly while it moves and more slowly when nothing changes, so a page without the socket
// (behind a proxy that drops it) still follows its jobs.

import { el, fill } from "./dom.js";
import { errorText, getJSON, send } from "./http.js";

const FAST_MS = 500;
const SLOW_MS = 3000;
const RECONNECT_MS = 5000;

const listeners = new Set();
let socket = null;

function listen(wsBase) {
  if (socket || typeof WebSocket === "undefined") return;
  const origin = wsBase || `${window.location.protocol === "https:" ? "wss" : "ws"}://${window.location.host}`;
  try {
    socket = new WebSocket(`${origin}/ws/jobs/`);
  } catch {
    socket = null;
    return;
  }
  socket.addEventListener("message", (message) => {
    let data;
    try { data = JSON.parse(message.data); } catch { return; }
    if (data.type === "job") for (const fn of listeners) fn(data);
  });
  socket.addEventListener("close", (event) => {
    socket = null;
    if (event.code !== 4401 && event.code !== 4403 && listeners.size) {
      setTimeout(() => listen(wsBase), RECONNECT_MS);
    }
  });
}

/**
 * Call `fn({id, kind, status, progress, message})` whenever one of the user's jobs changes
 * (an administrator: any job); `wsBase` is the page's WebSocket origin ("" for its own).
 * Returns a function that stops listening.
 */
export function onJobEvent(wsBase, fn) {
  listeners.add(fn);
  listen(wsBase);
  return () => listeners.delete(fn);
}

/** Queue a job; resolves with the queued job (rejects with the API's ApiError). */
export function submitJob(jobsUrl, { kind, params = {}, file = null }) {
  if (file) {
    const form = new FormData();
    form.append("kind", kind);
    form.append("params", JSON.stringify(params));
    form.append("file", file);
    return send("POST", jobsUrl, form);
  }
  return send("POST", jobsUrl, { kind, params });
}

/** Ask a job to stop; resolves with the job as it then is. */
export function cancelJob(jobsUrl, id) {
  return send("POST", `${jobsUrl}${id}/cancel/`, null);
}

/**
 * Follow job `id` until it finishes; `onUpdate(job)` after every change.  Resolves with the
 * finished job.  `signal` (an AbortSignal) stops following (the job goes on); `wsBase` (the
 * page's WebSocket origin, "" for its own; null: poll only) reads the job again at each event.
 */
export async function followJob(jobsUrl, id, { onUpdate, signal, onError, wsBase = null } = {}) {
  let wake = null;
  const stop = wsBase === null ? () => {} : onJobEvent(wsBase, (event) => {
    if (event.id === id) wake?.();
  });
  const pause = (ms) => new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    wake = () => { clearTimeout(timer); wake = null; resolve(); };
  });
  let last = "";
  let wait = FAST_MS;
  try {
    for (;;) {
      if (signal?.aborted) throw new DOMException("stopped following", "AbortError");
      let job = null;
      try {
        job = await getJSON(`${jobsUrl}${id}/`, { signal });
      } catch (error) {
        if (error.name === "AbortError" || error.status === 404 || error.status === 403) throw error;
        onError?.(error);
      }
      if (job) {
        const state = `${job.status}|${job.progress}|${job.message}`;
        if (state !== last) {
          last = state;
          wait = FAST_MS;
          onUpdate?.(job);
        } else {
          wait = Math.min(SLOW_MS, wait * 1.5);
        }
        if (job.finished) return job;
      }
      await pause(wait);
    }
  } finally {
    stop();
  }
}

/**
 * A worker's step in the page's language: `t("step:<message>")` where the page's strings have it
 * ("reading <file>" and "loading <file>" too), else the message as the worker wrote it.
 */
export function stepText(message, t = (key) => key) {
  if (!message) return "";
  const [, verb, file] = message.match(/^(reading|loading) (.+)$/) || [];
  const key = verb ? `step:${verb}` : `step:${message}`;
  const text = t(key, { file });
  return text === key ? message : text;
}

/** A progress bar element for a job; call `.update(job)` on it. */
export function jobProgress(t = (key) => key) {
  const fill_ = el("span", { class: "job-bar-fill" });
  const bar = el("span", {
    class: "job-bar", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": "100",
  }, fill_);
  const text = el("span", { class: "job-bar-text" });
  const node = el("div", { class: "job-progress" }, bar, text);
  node.update = (job) => {
    const percent = Math.max(0, Math.min(100, job.progress || 0));
    node.dataset.status = job.status;
    bar.setAttribute("aria-valuenow", String(percent));
    fill_.style.width = `${percent}%`;
    let line = `${percent}%`;
    if (job.status === "queued") line = t("queued");
    else if (job.status === "running" && job.message) line = `${percent}% · ${stepText(job.message, t)}`;
    else if (job.status === "failed") line = job.error || job.status_label;
    else if (job.status === "cancelled") line = stepText(job.message, t) || job.status_label;
    else if (job.finished) line = `100% · ${t("done")}`;
    text.textContent = line;
  };
  return node;
}

/**
 * Submit a job and follow it with a progress bar shown in `into`; resolves with the finished
 * job, rejects with the submission's refusal (`errorText(error)` says why).
 */
export async function runJob({ jobsUrl, kind, params = {}, file = null, into = null, t, signal, wsBase = null }) {
  const job = await submitJob(jobsUrl, { kind, params, file });
  const progress = jobProgress(t);
  progress.update(job);
  if (into) fill(into, progress);
  return followJob(jobsUrl, job.id, { signal, wsBase, onUpdate: (j) => progress.update(j) });
}

export { errorText };

// Long work on the platform's workers, from any page: submit a job, follow it to its end with a
// progress indicator, cancel it.  The analyses and exports build on this:
//
//   import { runJob } from "../common/jobs.js";
//   const job = await runJob({ jobsUrl, kind: "plates.sheet", params: {...}, into: node, t });
//   if (job.status === "succeeded") location.href = job.result_url;
//
// A job is followed by polling its REST resource (`GET /api/jobs/{id}/`), quickly while it runs
// and more slowly when nothing changes, so a page behind any proxy keeps working.

import { el, fill } from "./dom.js";
import { errorText, getJSON, send } from "./http.js";

const FAST_MS = 500;
const SLOW_MS = 3000;

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
 * finished job.  `signal` (an AbortSignal) stops following (the job goes on).
 */
export async function followJob(jobsUrl, id, { onUpdate, signal, onError } = {}) {
  let last = "";
  let wait = FAST_MS;
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
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
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
    else if (job.status === "running" && job.message) line = `${percent}% · ${job.message}`;
    else if (job.status === "failed") line = job.error || job.status_label;
    else if (job.finished) line = job.status === "succeeded" ? `100% · ${t("done")}` : job.status_label;
    text.textContent = line;
  };
  return node;
}

/**
 * Submit a job and follow it with a progress bar shown in `into`; resolves with the finished
 * job, rejects with the submission's refusal (`errorText(error)` says why).
 */
export async function runJob({ jobsUrl, kind, params = {}, file = null, into = null, t, signal }) {
  const job = await submitJob(jobsUrl, { kind, params, file });
  const progress = jobProgress(t);
  progress.update(job);
  if (into) fill(into, progress);
  return followJob(jobsUrl, job.id, { signal, onUpdate: (j) => progress.update(j) });
}

export { errorText };

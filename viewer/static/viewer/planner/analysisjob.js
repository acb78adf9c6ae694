// An analysis run from a planner panel as a background job (/api/jobs/, kinds analysis.*):
// submitted, its progress bar shown in the panel, cancellable with the panel's button, and the
// saved run fetched once the job succeeded.

import { fill } from "../common/dom.js";
import { errorText, getJSON } from "../common/http.js";
import { cancelJob, followJob, jobProgress, submitJob } from "../common/jobs.js";
import { config, t } from "./i18n.js";

/**
 * Run `kind` with `params`; resolves with the saved run, or null when the job failed, was
 * cancelled or was refused (`toast` says why).
 */
export async function runAnalysis(kind, params, { progressNode, cancelButton, toast }) {
  const jobsUrl = config.analyses.jobsUrl;
  let jobId = null;
  const cancel = () => {
    if (jobId !== null) cancelJob(jobsUrl, jobId).catch((error) => toast(errorText(error)));
  };
  try {
    const job = await submitJob(jobsUrl, { kind, params });
    jobId = job.id;
    const progress = jobProgress(t);
    progress.update(job);
    fill(progressNode, progress);
    if (cancelButton) {
      cancelButton.hidden = false;
      cancelButton.addEventListener("click", cancel);
    }
    const done = await followJob(jobsUrl, job.id, { wsBase: "", onUpdate: (j) => progress.update(j) });
    if (done.status === "succeeded") return await getJSON(`${config.analyses.runsUrl}${done.result.run}/`);
    if (done.status === "failed") toast(done.error || t("jobFailed"));
    return null;
  } catch (error) {
    toast(errorText(error));
    return null;
  } finally {
    if (cancelButton) {
      cancelButton.hidden = true;
      cancelButton.removeEventListener("click", cancel);
    }
  }
}

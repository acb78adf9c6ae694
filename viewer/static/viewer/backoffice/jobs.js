// The jobs page (/backoffice/jobs/): the submit form (fields per kind from the page's
// configuration), and the list of jobs with live progress bars, cancel and download.

import { $, el, fill } from "../common/dom.js";
import { createI18n, readJSON } from "../common/i18n.js";
import { getJSON } from "../common/http.js";
import { cancelJob, errorText, jobProgress, onJobEvent, submitJob } from "../common/jobs.js";

const config = readJSON("jobs-config");
const { t } = createI18n({ catalogue: readJSON("jobs-i18n"), language: config.language });
const kinds = new Map(config.kinds.map((k) => [k.kind, k]));
const rows = new Map(); // job id → {row, progress, actions}
const FAST_MS = 800;
const IDLE_MS = 5000;

const form = $("#job-form");
const kindSelect = $("#job-kind");
const paramsBox = $("#job-params");
const fileLabel = $("#job-file-label");
const fileInput = $("#job-file");
const message = $("#job-form-message");

function say(text, kind = "info") {
  message.hidden = !text;
  message.textContent = text || "";
  message.className = `jobs-message ${kind}`;
}

function fieldInput(field) {
  if (field.type === "select") {
    return el("select", { name: field.name },
      field.choices.map(([value, label]) => el("option", { value }, label)));
  }
  if (field.type === "checkbox") return el("input", { type: "checkbox", name: field.name });
  return el("input", {
    type: field.type === "number" ? "number" : "text", name: field.name,
    placeholder: field.placeholder || null, min: field.min ?? null, max: field.max ?? null, step: field.step ?? null,
    value: field.value ?? null,
  });
}

function showKind() {
  const kind = kinds.get(kindSelect.value);
  fill(paramsBox, (kind?.fields || []).map((field) => (field.type === "checkbox"
    ? el("label", { class: "jobs-field jobs-check" }, fieldInput(field), field.label)
    : el("label", { class: "jobs-field" }, field.label, fieldInput(field)))));
  fileLabel.hidden = !kind?.needsFile;
  fileInput.required = Boolean(kind?.needsFile);
}

function params() {
  const out = {};
  const kind = kinds.get(kindSelect.value);
  for (const field of kind?.fields || []) {
    const input = paramsBox.querySelector(`[name="${field.name}"]`);
    if (field.type === "checkbox") out[field.name] = input.checked;
    else if (field.type === "number" && input.value !== "") out[field.name] = Number(input.value);
    else if (input.value.trim() !== "") out[field.name] = input.value.trim();
  }
  return out;
}

async function onSubmit(event) {
  event.preventDefault();
  const kind = kinds.get(kindSelect.value);
  if (kind.needsFile && !fileInput.files.length) {
    say(t("fileNeeded"), "error");
    return;
  }
  const button = $("#job-submit");
  button.disabled = true;
  try {
    const job = await submitJob(config.jobsUrl, {
      kind: kind.kind, params: params(), file: kind.needsFile ? fileInput.files[0] : null,
    });
    say(t("submitted", { id: job.id }), "ok");
    fileInput.value = "";
    upsert(job, true);
    schedule(FAST_MS);
  } catch (error) {
    say(t("submitFailed", { error: errorText(error) }), "error");
  } finally {
    button.disabled = false;
  }
}

function when(iso) {
  const locale = config.language?.startsWith("en") ? "en-GB" : "zh-CN";
  return new Date(iso).toLocaleString(locale, { hour12: false });
}

function describe(job) {
  const bits = Object.entries(job.params || {})
    .filter(([, v]) => v !== "" && v !== null && !(typeof v === "object" && !Object.keys(v).length))
    .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`);
  if (job.input_name) bits.unshift(job.input_name);
  return bits.join(" · ");
}

function actionsOf(job) {
  const out = [];
  if (!job.finished) {
    out.push(el("button", {
      type: "button", class: "jobs-cancel", disabled: job.cancel_requested || null,
      onclick: async (event) => {
        event.target.disabled = true;
        event.target.textContent = t("cancelling");
        try {
          upsert(await cancelJob(config.jobsUrl, job.id));
        } catch (error) {
          say(t("cancelFailed", { error: errorText(error) }), "error");
        }
        schedule(FAST_MS);
      },
    }, job.cancel_requested ? t("cancelling") : t("cancel")));
  }
  if (job.result_url) {
    out.push(el("a", { class: "button jobs-download", href: job.result_url, download: job.result_name || "" },
      t("download")));
  }
  return out;
}

function upsert(job, first = false) {
  let entry = rows.get(job.id);
  if (!entry) {
    const progress = jobProgress(t);
    const actions = el("td", { class: "jobs-actions" });
    const status = el("td", { class: "jobs-status" });
    const row = el("tr", { dataset: { job: job.id } },
      el("td", { class: "jobs-id" }, `#${job.id}`),
      el("td", {}, el("strong", {}, job.kind_label), el("div", { class: "jobs-sub" }, describe(job))),
      el("td", { class: "jobs-who" }, el("div", {}, job.created_by || "—"),
        el("div", { class: "jobs-sub" }, when(job.created_at))),
      status, el("td", {}, progress), actions);
    entry = { row, progress, actions, status };
    rows.set(job.id, entry);
    const body = $("#jobs-rows");
    if (body.querySelector(".jobs-empty")) body.replaceChildren();
    if (first) body.prepend(row);
    else body.append(row);
  }
  entry.job = job;
  entry.progress.update(job);
  fill(entry.status, el("span", { class: `jobs-badge ${job.status}` }, config.statusLabels[job.status] || job.status));
  fill(entry.actions, actionsOf(job));
  entry.row.dataset.status = job.status;
  return entry;
}

let timer = null;
function schedule(ms) {
  clearTimeout(timer);
  timer = setTimeout(refresh, ms);
}

async function refresh() {
  try {
    const page = await getJSON(config.jobsUrl);
    const jobs = page.results || [];
    if (!jobs.length && !rows.size) {
      fill($("#jobs-rows"), el("tr", {}, el("td", { colspan: "6", class: "jobs-empty" }, t("noJobs"))));
    }
    for (const job of jobs.slice().reverse()) upsert(job, true);
    schedule(jobs.some((j) => !j.finished) ? FAST_MS : IDLE_MS);
    document.body.dataset.jobsLoaded = "1";
  } catch (error) {
    say(t("lostConnection"), "error");
    schedule(IDLE_MS);
  }
}

// Live: a job's event updates its row at once (and a new or finished job reloads the list);
// the list is also read every few seconds, in case the socket is not there.
onJobEvent(config.wsUrl, (event) => {
  const entry = rows.get(event.id);
  if (!entry || event.status !== entry.row.dataset.status) {
    schedule(0);
    return;
  }
  entry.progress.update({ ...entry.job, ...event });
});

for (const kind of config.kinds) kindSelect.append(el("option", { value: kind.kind }, kind.label));
kindSelect.addEventListener("change", showKind);
form.addEventListener("submit", onSubmit);
showKind();
refresh();

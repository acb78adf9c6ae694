// One resident report in the back-office queue: claim, release, reply, status, escalate and
// the audited reveal of the reporter's contact, each through the REST API.  A refusal (409 when
// someone else holds the report or it is closed, 400 for bad input, 403 for the role) is shown
// in the page in words; a success reloads the page, which the server renders afresh.

import { getJSON, post } from "../common/http.js";
import { createI18n, readJSON } from "../common/i18n.js";

const config = readJSON("reports-config");
const { t } = createI18n({ catalogue: readJSON("reports-i18n") || {}, language: document.documentElement.lang });
const box = document.getElementById("rq-message");

function show(text, kind = "error", extra = "") {
  box.hidden = false;
  box.className = `rq-message ${kind}`;
  box.textContent = text;
  if (extra) {
    const small = document.createElement("small");
    small.textContent = extra;
    box.append(document.createElement("br"), small);
  }
}

/** The refusal in the user's words, with the server's own sentence beneath. */
function explain(error) {
  const body = error?.body || {};
  const detail = typeof body.detail === "string" ? body.detail : error?.message || "";
  if (error?.status === 409) {
    const key = `conflict_${body.error}`;
    const text = t(key) === key ? t("conflict") : t(key);
    show(text, "error", t("serverDetail", { detail }));
  } else if (error?.status === 400) {
    show(t("badInput", { field: body.field || "—", detail }));
  } else if (error?.status === 403) {
    show(t("forbidden"), "error", t("serverDetail", { detail }));
  } else {
    show(t("failed", { detail }));
  }
}

async function act(url, body, button) {
  const buttons = document.querySelectorAll("main button");
  buttons.forEach((b) => { b.disabled = true; });
  show(t("working"), "info");
  try {
    await post(url, body);
    show(t("done"), "ok");
    window.location.reload();
  } catch (error) {
    explain(error);
    buttons.forEach((b) => { b.disabled = false; });
    button?.focus();
  }
}

document.querySelectorAll("button[data-action]").forEach((button) => {
  button.addEventListener("click", () => act(config.api[button.dataset.action], {}, button));
});

document.getElementById("reply-form")?.addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  act(config.api.reply, { message: form.elements.message.value }, form.querySelector("button"));
});

document.getElementById("status-form")?.addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const status = form.elements.status.value;
  const note = form.elements.public_reply.value.trim();
  if (status !== "in_progress" && !note) {
    show(t("needReply"));
    form.elements.public_reply.focus();
    return;
  }
  act(config.api.status, { status, public_reply: note }, form.querySelector("button"));
});

document.getElementById("escalate-form")?.addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  act(config.api.escalate, { incident_type: form.elements.incident_type.value, level: form.elements.level.value },
    form.querySelector("button"));
});

document.getElementById("reveal")?.addEventListener("click", async (event) => {
  const button = event.currentTarget;
  try {
    const report = await getJSON(`${config.api.report}?reveal=contact`);
    document.getElementById("contact").textContent = `${report.reporter_name || "—"} ${report.reporter_phone || ""}`;
    button.hidden = true;
  } catch (error) {
    explain(error);
  }
});

// Joint action (联动) from the dispatch tab: a task for a partner department (公安, 交通, 卫健 …)
// with its text and deadline, posted to the agency-task API (the one the inbox and the
// escalation use). A refusal (400 naming the field, 403, 409 when the incident has ended) stays
// written in the form until the next attempt; the task then shows in the incident's task list
// and timeline with its state.
import { errorText, post } from "../common/http.js";
import { config, t } from "./i18n.js";
import { busy, el, heading, notify } from "./ui.js";

/** A `datetime-local` value (the browser's local time) as an ISO instant, or null when empty. */
function instant(value) {
  if (!value) return null;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? null : at.toISOString();
}

/** Now as a `datetime-local` value (the earliest deadline the picker offers). */
function localNow() {
  const now = new Date();
  now.setSeconds(0, 0);
  return new Date(now.getTime() - now.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
}

export class AgencyTaskForm {
  constructor(app) {
    this.app = app;
    this.error = null; // the last refusal, kept across re-renders of the tab
    this.forId = null;
  }

  /** The form under the incident's tasks, or null for roles that may not send tasks. */
  section(incident, finished) {
    if (!this.app.can.agencyTasks || finished || !config.api.agencyTasks) return null;
    if (this.forId !== incident.id) { this.error = null; this.forId = incident.id; }
    const departments = config.departments || [];
    if (!departments.length) {
      return el("section", { class: "agency-task" }, heading(t("agencyTaskTitle")),
        el("p", { class: "muted small" }, t("agencyTaskNoDepartments")));
    }
    const department = el("select", { name: "task_department", required: true, "aria-label": t("agencyTaskDepartment") },
      el("option", { value: "" }, t("agencyTaskChoose")),
      departments.map((d) => el("option", { value: d.code }, d.name)));
    const text = el("textarea", { name: "task_title", rows: 2, maxlength: 300, placeholder: t("agencyTaskTextPh"),
      "aria-label": t("agencyTaskText") });
    const deadline = el("input", { type: "datetime-local", name: "task_deadline", min: localNow(),
      "aria-label": t("agencyTaskDeadline") });
    const errorBox = el("p", { class: "form-error", id: "agency-task-error", role: "alert", hidden: !this.error },
      this.error || "");
    const submit = el("button", { type: "submit", class: "primary", id: "btn-agency-task" }, t("agencyTaskSend"));
    const show = (message) => {
      this.error = message;
      errorBox.textContent = message || "";
      errorBox.hidden = !message;
    };
    return el("form", { class: "agency-task", id: "agency-task-form", novalidate: true, onsubmit: async (e) => {
      e.preventDefault();
      if (!department.value) { show(t("agencyTaskNeedDepartment")); department.focus(); return; }
      if (!text.value.trim()) { show(t("agencyTaskNeedText")); text.focus(); return; }
      const body = { incident: incident.id, department: department.value, title: text.value.trim() };
      const due = instant(deadline.value);
      if (due) body.deadline = due;
      await busy(submit, async () => {
        try {
          const task = await post(config.api.agencyTasks, body);
          show(null);
          // cleared before the refresh, so the tab's re-render does not put the old values back
          department.value = ""; text.value = ""; deadline.value = "";
          notify(t("agencyTaskSent", { department: task.department_name }), { kind: "success", ms: 4000 });
          this.app.detail.refresh(["dispatch", "timeline"]);
        } catch (error) {
          // no re-render: nothing changed, and what is being corrected must not be put back
          show(t("agencyTaskRefused", { reason: errorText(error) }));
        }
      });
    } },
    heading(t("agencyTaskTitle")),
    el("div", { class: "grid2" },
      el("label", {}, t("agencyTaskDepartment"), department),
      el("label", {}, t("agencyTaskDeadline"), deadline, el("span", { class: "muted small" }, t("agencyTaskDeadlineHint")))),
    el("label", {}, t("agencyTaskText"), text),
    errorBox,
    el("div", { class: "form-actions" }, submit));
  }
}

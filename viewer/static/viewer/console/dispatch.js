// The dispatch tab: the matching plans (预案) and their activation, the plan's tasks, the
// recommended units per required type with their road ETAs, the assignment (a 409 when another
// console took a unit first is shown as such), the units already sent with their routes, and the
// tasks for partner departments (agency_tasks.js).
import { ApiError, errorText, getJSON, patch, post, withParams } from "../common/http.js";
import { config, fmtDistance, fmtDuration, fmtTime, label, t } from "./i18n.js";
import { AgencyTaskForm } from "./agency_tasks.js";
import { MutualAid, aidErrorText } from "./mutual_aid.js";
import { busy, el, fill, heading, loading, notify, select } from "./ui.js";

export class DispatchTab {
  constructor(app) {
    this.app = app;
    this.conflict = null; // the last 409, shown until the next successful assignment
    this.chosen = new Set();
    this.recommendation = null;
    this.extra = null; // {unit_type, count} asked for by hand
    this.aid = new MutualAid(app);
    this.agencyTask = new AgencyTaskForm(app);
    this.aidRequests = []; // the incident's mutual-aid requests (跨区支援)
  }

  reset() {
    this.shown = null;
    this.conflict = null;
    this.chosen = new Set();
    this.recommendation = null;
    this.extra = null;
    this.app.map.highlightUnits([]);
  }

  async render(incident, box) {
    const id = incident.id;
    if (!box.childElementCount) fill(box, loading(t("loadingDispatch")));
    const url = (part) => `${config.api.incidents}${id}/${part}/`;
    const [plans, tasks, assignments, aid] = await Promise.all([
      getJSON(url("plans")).catch((e) => e),
      getJSON(url("tasks")).catch((e) => e),
      getJSON(url("assignments")).catch((e) => e),
      this.aid.load(incident).catch((e) => e),
    ]);
    if (this.app.detail.id !== id) return;
    this.aidRequests = Array.isArray(aid) ? aid : [];
    const key = JSON.stringify([incident.status, this.conflict, plans, tasks, assignments, aid].map((v) => (v instanceof Error ? String(v) : v)));
    if (key === this.shown && box.childElementCount) {
      if (["verified", "dispatched", "on_scene", "contained"].includes(incident.status)) {
        await this.loadRecommendations(incident, box.querySelector("#recommend"), { quiet: true });
      }
      return;
    }
    this.shown = key;
    const dispatchable = ["verified", "dispatched", "on_scene", "contained"].includes(incident.status);
    const finished = ["closed", "cancelled", "merged"].includes(incident.status);
    const recBox = el("div", { class: "recommend", id: "recommend" });
    fill(box,
      this.planSection(incident, plans, tasks, finished),
      heading(t("recommendTitle"), dispatchable ? el("button", { type: "button", class: "small", id: "btn-recommend",
        onclick: (e) => busy(e.currentTarget, () => this.loadRecommendations(incident, recBox)) }, t("refresh")) : null),
      this.conflictBox(),
      this.aid.section(incident, aid),
      dispatchable ? recBox : el("p", { class: "muted" }, incident.status === "received" ? t("verifyFirst") : t("notDispatchable")),
      this.assignedSection(assignments),
      this.tasksSection(tasks),
      this.agencyTask.section(incident, finished),
    );
    if (dispatchable) await this.loadRecommendations(incident, recBox);
  }

  planSection(incident, plans, tasks, finished) {
    if (plans instanceof Error) return el("p", { class: "error" }, errorText(plans));
    const activated = Array.isArray(tasks) && tasks.length > 0;
    const row = (p, k) => el("li", { class: `plan ${k === 0 ? "best" : ""}` },
      el("div", { class: "plan-main" },
        el("div", {}, el("b", {}, p.name), el("span", { class: "muted small mono" }, ` ${p.code} · ${p.level_label}`)),
        el("div", {}, Object.entries(p.units).map(([type, n]) => el("span", { class: "need" }, `${label("unitType", type)} ×${n}`)))),
      this.app.can.activatePlan && !finished ? el("button", {
        type: "button", class: k === 0 && !activated ? "primary small" : "small", dataset: { plan: p.id },
        onclick: (e) => this.activate(incident, p, e.currentTarget) }, activated ? t("activateAgain") : t("activatePlan")) : null);
    if (!plans.length) return el("section", { class: "plans" }, heading(t("plansTitle")), el("p", { class: "muted" }, t("noPlan")));
    if (!activated) {
      return el("section", { class: "plans" }, heading(t("plansTitle")), el("ul", { class: "plan-list" }, plans.map(row)));
    }
    // Activated: one line for the plan in force; the others folded away (to add one more).
    return el("section", { class: "plans" }, heading(t("plansTitle")),
      el("div", { class: "plan-active" }, el("span", { class: "tag ok" }, t("planActive")), el("b", {}, plans[0].name),
        el("span", { class: "muted small mono" }, plans[0].code)),
      this.app.can.activatePlan && !finished
        ? el("details", { class: "more" }, el("summary", {}, t("morePlans")), el("ul", { class: "plan-list" }, plans.map(row)))
        : null);
  }

  async activate(incident, plan, button) {
    await busy(button, async () => {
      try {
        await post(`${config.api.incidents}${incident.id}/activate-plan/`, { plan: plan.id });
        notify(t("planActivated", { name: plan.name }), { kind: "success", ms: 3000 });
        this.recommendation = null;
        this.chosen = new Set();
        this.app.detail.refresh(["dispatch"]);
      } catch (error) {
        notify(errorText(error));
      }
    });
  }

  tasksSection(tasks) {
    if (!Array.isArray(tasks) || !tasks.length) return null;
    return el("section", { class: "tasks" }, heading(t("tasksTitle", { done: tasks.filter((x) => x.done).length, n: tasks.length })),
      el("ul", { class: "checklist" }, tasks.map((task) => el("li", { class: task.done ? "done" : "" },
        el("label", {}, el("input", { type: "checkbox", checked: task.done, disabled: !this.app.can.tasks,
          onchange: (e) => this.tick(task, e.currentTarget) }),
        el("span", { class: "tag" }, task.kind_label), " ", task.title,
        task.agency_name ? el("span", { class: "muted small" }, ` · ${task.agency_name}`) : null,
        task.department_name
          ? el("span", { class: `tag agency-state state-${task.state}`, title: task.department_name },
            `${task.department_name} · ${task.state_label}${task.progress ? ` ${task.progress}%` : ""}`)
          : null)))));
  }

  async tick(task, box) {
    box.disabled = true;
    try {
      await patch(`${config.api.tasks}${task.id}/`, { done: box.checked });
    } catch (error) {
      box.checked = !box.checked;
      notify(errorText(error));
    } finally {
      box.disabled = false;
    }
  }

  conflictBox() {
    if (!this.conflict) return null;
    return el("div", { class: "conflict", role: "alert", id: "assign-conflict" },
      el("b", {}, t("conflictTitle")), el("p", {}, this.conflict), el("p", { class: "small" }, t("conflictHint")));
  }

  async loadRecommendations(incident, box, { quiet = false } = {}) {
    if (!box) return;
    if (!quiet) fill(box, loading(t("computingEta")));
    const params = this.extra ? { unit_type: this.extra.unit_type, count: this.extra.count } : {};
    let rec;
    try {
      rec = await getJSON(withParams(`${config.api.incidents}${incident.id}/recommendations/`, params));
    } catch (error) {
      fill(box, el("p", { class: "error" }, errorText(error)));
      return;
    }
    if (this.app.detail.id !== incident.id) return;
    const pending = this.aidRequests.filter((r) => r.status === "pending");
    const recKey = JSON.stringify([this.extra, pending.map((r) => r.unit), rec.groups.map((g) => [g.unit_type, g.needed, g.assigned,
      [...g.candidates, ...(g.mutual_aid || [])].map((c) => [c.unit, Math.round(c.eta_s)])])]);
    if (quiet && recKey === this.recKey) return; // same units, same times: leave the choices alone
    this.recKey = recKey;
    this.recommendation = rec;
    const available = new Set(rec.groups.flatMap((g) => g.candidates.map((c) => c.unit)));
    this.chosen = new Set([...this.chosen].filter((u) => available.has(u)));
    if (!this.chosen.size) {
      for (const g of rec.groups) for (const c of g.candidates) if (c.recommended) this.chosen.add(c.unit);
    }
    this.app.map.highlightUnits([...available]);
    const groups = rec.groups.map((g) => el("div", { class: "rec-group", dataset: { type: g.unit_type } },
      el("div", { class: "rec-head" }, el("b", {}, g.label || label("unitType", g.unit_type)),
        el("span", { class: "muted small" }, t("needLine", { requested: g.requested, assigned: g.assigned, needed: g.needed })),
        g.shortfall ? el("span", { class: "tag warn" }, t("shortfall", { n: g.shortfall })) : null),
      g.candidates.length ? el("table", { class: "rec-table" },
        el("colgroup", {}, el("col", { class: "c-check" }), el("col", {}), el("col", { class: "c-eta" }), el("col", { class: "c-from" })),
        el("thead", {}, el("tr", {}, el("th", {}, ""), el("th", {}, t("unit")), el("th", {}, t("eta")), el("th", {}, t("from")))),
        el("tbody", {}, g.candidates.map((c) => el("tr", { class: c.recommended ? "recommended" : "", dataset: { unit: c.unit } },
          el("td", {}, el("input", { type: "checkbox", checked: this.chosen.has(c.unit), "aria-label": c.code,
            onchange: (e) => { if (e.currentTarget.checked) this.chosen.add(c.unit); else this.chosen.delete(c.unit); this.updateAssignButton(); } })),
          el("td", { title: `${c.name} · ${c.agency}` }, el("b", {}, c.code), el("div", { class: "muted small unit-name" }, c.name)),
          el("td", { class: "eta" }, fmtDuration(c.eta_s)),
          el("td", { class: "small" }, c.position_source === "avl" ? t("fromAvl") : t("fromStation"),
            c.recommended ? el("div", {}, el("span", { class: "tag ok" }, t("recommended"))) : null)))))
        : el("p", { class: "muted small" }, t("noCandidates")),
      this.aid.candidates(incident, g, pending)));
    const assign = el("button", { type: "button", class: "primary", id: "btn-assign",
      onclick: (e) => this.assign(incident, e.currentTarget) });
    this.assignButton = assign;
    this.updateAssignButton();
    fill(box, 
      el("p", { class: "muted small" }, t("recNote", { at: fmtTime(rec.computed_at), closures: rec.closures })),
      ...(groups.length ? groups : [el("p", { class: "muted" }, t("noRequests"))]),
      this.app.can.assign ? el("div", { class: "assign-bar" }, assign) : null,
      this.extraForm(incident, box));
  }

  updateAssignButton() {
    if (!this.assignButton) return;
    this.assignButton.textContent = t("assignSelected", { n: this.chosen.size });
    this.assignButton.disabled = this.chosen.size === 0;
  }

  extraForm(incident, box) {
    const type = select("unit_type", config.labels.unitType, this.extra?.unit_type || "fire_engine");
    const count = el("input", { type: "number", name: "count", min: 1, max: 20, value: this.extra?.count || 1 });
    return el("div", { class: "inline-form extra" }, el("span", { class: "muted small" }, t("askByType")), type, count,
      el("button", { type: "button", class: "small", onclick: (e) => busy(e.currentTarget, () => {
        this.extra = { unit_type: type.value, count: Number(count.value) || 1 };
        this.chosen = new Set();
        return this.loadRecommendations(incident, box);
      }) }, t("query")),
      this.extra ? el("button", { type: "button", class: "small ghost", onclick: () => {
        this.extra = null; this.chosen = new Set(); this.loadRecommendations(incident, box);
      } }, t("byPlan")) : null);
  }

  async assign(incident, button) {
    const units = [...this.chosen];
    if (!units.length) return;
    await busy(button, async () => {
      try {
        const created = await post(`${config.api.incidents}${incident.id}/assignments/`, { units });
        this.conflict = null;
        this.chosen = new Set();
        notify(t("assigned", { n: created.length }), { kind: "success", ms: 3000 });
        this.app.refreshAssignments();
        this.app.refreshIncident(incident.id);
      } catch (error) {
        if (error instanceof ApiError && error.status === 409) {
          this.conflict = errorText(error);
          this.chosen = new Set();
          notify(t("conflictTitle"), { ms: 8000 });
        } else {
          notify(aidErrorText(error), { ms: 8000 });
        }
      }
      this.app.detail.refresh(["dispatch"]);
    });
  }

  assignedSection(assignments) {
    if (assignments instanceof Error) return el("p", { class: "error" }, errorText(assignments));
    const active = assignments.filter((a) => a.active);
    return el("section", { class: "assigned" }, heading(t("assignedTitle", { n: active.length })),
      assignments.length ? el("table", { class: "assigned-table" },
        el("thead", {}, el("tr", {}, el("th", {}, t("unit")), el("th", {}, t("status")), el("th", {}, t("eta")), el("th", {}, t("distance")), el("th", {}, t("assignedAt")), el("th", {}, t("ackColumn")))),
        el("tbody", {}, assignments.map((a) => el("tr", { class: a.active ? "" : "released", dataset: { unit: a.unit, assignment: a.id } },
          el("td", {}, el("b", {}, a.unit_code), el("div", { class: "muted small" }, label("unitType", a.unit_type))),
          el("td", {}, el("span", { class: `status-badge us-${a.unit_status}` }, a.active ? label("unitStatus", a.unit_status) : t("released"))),
          el("td", {}, fmtDuration(a.eta_s)), el("td", {}, fmtDistance(a.distance_m)),
          el("td", { class: "small" }, fmtTime(a.assigned_at)),
          el("td", { class: "small ack-cell", dataset: a.active && !a.acknowledged_at ? { assignedAt: a.assigned_at } : {} },
            a.acknowledged_at ? t("ackedAt", { time: fmtTime(a.acknowledged_at) }) : (a.active ? t("ackWaiting") : "—"))))))
        : el("p", { class: "muted" }, t("noneAssigned")));
  }
}

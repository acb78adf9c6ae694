// Merge and split in the incident detail (control room).  "Merge into…" lists open incidents
// nearby (or found by number/title) and, after a confirmation that says what moves, merges this
// incident into the chosen one: its timeline, media, camera links and units go to the survivor.
// "Split…" moves the selected caller notes and media to a new incident that links back here.
import { errorText, getJSON, post, withParams } from "../common/http.js";
import { config, fmtDistance, fmtTime, label, t } from "./i18n.js";
import { busy, debounce, el, fill, heading, notify, select } from "./ui.js";

const FINISHED = ["closed", "cancelled", "merged"];
// The statuses from which the state machine allows a merge (emergency/states.py).
const MERGEABLE = ["received", "verified", "dispatched", "on_scene"];

export class IncidentTools {
  constructor(app) {
    this.app = app;
    this.mode = null; // "merge" | "split" | null
    this.forId = null;
  }

  /** The section under the overview: two buttons, and the open form. */
  box(incident) {
    if (!this.app.can.merge) return null;
    if (this.forId !== incident.id) { this.mode = null; this.forId = incident.id; }
    const links = [];
    if (incident.merged_into) links.push(this.link(t("mergedIntoNote", { id: this.ref(incident.merged_into) }), incident.merged_into));
    if (incident.split_from) links.push(this.link(t("splitFromNote", { id: this.ref(incident.split_from) }), incident.split_from));
    if (FINISHED.includes(incident.status)) return links.length ? el("div", { class: "incident-tools" }, links) : null;
    const body = el("div", { class: "tools-body", id: "incident-tools-body" });
    const merge = el("button", { type: "button", id: "btn-merge", class: this.mode === "merge" ? "on" : "",
      disabled: !MERGEABLE.includes(incident.status), title: MERGEABLE.includes(incident.status) ? t("mergeTip") : t("notAllowedNow", { status: incident.status_label }),
      onclick: () => this.toggle("merge", incident, body) }, `⇲ ${t("mergeInto")}`);
    const split = el("button", { type: "button", id: "btn-split", class: this.mode === "split" ? "on" : "",
      title: t("splitTip"), onclick: () => this.toggle("split", incident, body) }, `⇱ ${t("splitOff")}`);
    const box = el("div", { class: "incident-tools" }, heading(t("mergeSplitTitle"), merge, split), links, body);
    if (this.mode) queueMicrotask(() => this.render(incident, body));
    return box;
  }

  /** The incident's number as staff know it (its database id only when the console has not loaded it). */
  ref(id) {
    return this.app.incidents.get(id)?.number ?? id;
  }

  /** A line that selects the linked incident when clicked. */
  link(text, id) {
    return el("p", { class: "small" }, el("a", { href: "#", onclick: (e) => { e.preventDefault(); this.app.select(id); } }, text));
  }

  toggle(mode, incident, body) {
    this.mode = this.mode === mode ? null : mode;
    this.render(incident, body);
  }

  render(incident, body) {
    if (this.mode === "merge") this.mergeForm(incident, body);
    else if (this.mode === "split") this.splitForm(incident, body);
    else fill(body);
  }

  // --- merge ----------------------------------------------------------------------------------

  mergeForm(incident, body) {
    const q = el("input", { type: "search", name: "merge_q", placeholder: t("mergeSearch") });
    const results = el("ul", { class: "merge-candidates", id: "merge-candidates" }, el("li", { class: "muted" }, t("loading")));
    const reason = el("input", { type: "text", name: "merge_reason", maxlength: 500, placeholder: t("mergeReason") });
    const confirmBox = el("div", { class: "confirm-box", id: "merge-confirm", hidden: true });
    const load = async () => {
      try {
        const list = await getJSON(withParams(`${config.api.incidents}${incident.id}/merge-candidates/`, { q: q.value.trim() }));
        fill(results, ...(list.length ? list.map((c) => el("li", { dataset: { candidate: c.id },
          onclick: () => this.askMerge(incident, c, reason, confirmBox) },
        el("span", { class: `level-badge lv-${c.level}` }, label("level", c.level)),
        el("span", { class: "mono" }, c.number), el("b", {}, c.title),
        el("span", { class: `status-badge st-${c.status}` }, c.status_label),
        el("span", { class: "muted small" }, c.distance_m !== null ? fmtDistance(c.distance_m) : "", " · ", fmtTime(c.reported_at))))
          : [el("li", { class: "muted" }, q.value.trim() ? t("searchEmpty") : t("mergeNoneNearby"))]));
      } catch (error) {
        fill(results, el("li", { class: "error" }, errorText(error)));
      }
    };
    q.addEventListener("input", debounce(load, 250));
    fill(body, el("p", { class: "muted small" }, t("mergeExplain")), q, results, reason, confirmBox);
    load();
  }

  askMerge(incident, target, reason, confirmBox) {
    const go = el("button", { type: "button", class: "danger", id: "btn-merge-confirm" }, t("mergeConfirm"));
    go.addEventListener("click", () => busy(go, async () => {
      try {
        const merged = await post(`${config.api.incidents}${incident.id}/merge/`, { into: target.id, reason: reason.value.trim() });
        notify(t("mergeDone", { number: incident.number, into: target.number }), { kind: "success", ms: 5000 });
        this.mode = null;
        this.app.upsertIncident(merged);
        await this.app.refreshIncident(target.id);
        this.app.refreshAssignments();
        this.app.select(target.id);
      } catch (error) {
        notify(t("mergeRefused", { reason: errorText(error) }));
      }
    }));
    fill(confirmBox, el("p", {}, t("mergeQuestion", { number: incident.number, into: `${target.number} ${target.title}` })),
      el("p", { class: "muted small" }, t("mergeWhatMoves")),
      el("div", { class: "inline-form" }, go, el("button", { type: "button", onclick: () => { confirmBox.hidden = true; } }, t("cancel"))));
    confirmBox.hidden = false;
    confirmBox.scrollIntoView({ block: "nearest" });
  }

  // --- split ----------------------------------------------------------------------------------

  async splitForm(incident, body) {
    fill(body, el("p", { class: "muted" }, t("loading")));
    let timeline; let attachments;
    try {
      [timeline, attachments] = await Promise.all([
        getJSON(`${config.api.incidents}${incident.id}/timeline/`),
        getJSON(`${config.api.incidents}${incident.id}/attachments/`),
      ]);
    } catch (error) {
      fill(body, el("p", { class: "error" }, errorText(error)));
      return;
    }
    const notes = timeline.filter((e) => e.kind === "note");
    const title = el("input", { type: "text", name: "split_title", maxlength: 200, placeholder: t("splitTitle") });
    const type = select("split_type", config.labels.incidentType, incident.incident_type);
    const check = (name, value, text, sub) => el("label", { class: "check-row" },
      el("input", { type: "checkbox", name, value }), el("span", {}, text), sub ? el("span", { class: "muted small" }, sub) : null);
    const noteBoxes = notes.map((n) => check("split_note", n.id, n.text, `${fmtTime(n.at)} ${n.actor_label || ""}`));
    const fileBoxes = attachments.map((a) => check("split_attachment", a.id, a.original_name || `#${a.id}`, t(`att_${a.kind}`)));
    const confirmBox = el("div", { class: "confirm-box", id: "split-confirm", hidden: true });
    const go = el("button", { type: "button", class: "primary", id: "btn-split-go" }, t("splitGo"));
    go.addEventListener("click", () => {
      const chosenNotes = noteBoxes.map((b) => b.querySelector("input")).filter((i) => i.checked).map((i) => Number(i.value));
      const chosenFiles = fileBoxes.map((b) => b.querySelector("input")).filter((i) => i.checked).map((i) => Number(i.value));
      if (!chosenNotes.length && !chosenFiles.length) { notify(t("splitNeedItems")); return; }
      if (!title.value.trim()) { notify(t("needTitle")); title.focus(); return; }
      const yes = el("button", { type: "button", class: "danger", id: "btn-split-confirm" }, t("splitConfirm"));
      yes.addEventListener("click", () => busy(yes, async () => {
        try {
          const created = await post(`${config.api.incidents}${incident.id}/split/`, {
            title: title.value.trim(), incident_type: type.value, notes: chosenNotes, attachments: chosenFiles });
          notify(t("splitDone", { number: created.number }), { kind: "success", ms: 5000 });
          this.mode = null;
          this.app.upsertIncident(created);
          await this.app.refreshIncident(incident.id);
          this.app.select(created.id);
        } catch (error) {
          notify(t("splitRefused", { reason: errorText(error) }));
        }
      }));
      fill(confirmBox, el("p", {}, t("splitQuestion", { notes: chosenNotes.length, files: chosenFiles.length, title: title.value.trim() })),
        el("div", { class: "inline-form" }, yes, el("button", { type: "button", onclick: () => { confirmBox.hidden = true; } }, t("cancel"))));
      confirmBox.hidden = false;
      confirmBox.scrollIntoView({ block: "nearest" });
    });
    fill(body, el("p", { class: "muted small" }, t("splitExplain")),
      el("div", { class: "inline-form" }, title, type),
      el("h4", {}, t("splitNotes")), noteBoxes.length ? el("div", { class: "check-list" }, noteBoxes) : el("p", { class: "muted small" }, t("splitNoNotes")),
      el("h4", {}, t("splitFiles")), fileBoxes.length ? el("div", { class: "check-list" }, fileBoxes) : el("p", { class: "muted small" }, t("noAttachments")),
      el("div", { class: "inline-form" }, go), confirmBox);
  }
}

// The incident list: level counters, active/finished filter, text filter; newest first, the
// most severe level first among the active ones.  Clicking a row selects the incident.
import { fmtTime, label } from "./i18n.js";
import { $, $$, debounce, el, fill } from "./ui.js";

const ACTIVE = new Set(["received", "verified", "dispatched", "on_scene", "contained"]);
const LEVEL_RANK = { I: 1, II: 2, III: 3, IV: 4 };

export class IncidentList {
  constructor({ onSelect, onScope }) {
    this.box = $("#incident-list");
    this.empty = $("#list-empty");
    this.onSelect = onSelect;
    this.onScope = onScope;
    this.scope = "active";
    this.text = "";
    this.level = null;
    this.selected = null;
    this.flash = new Set();
    for (const radio of $$("input[name=scope]")) {
      radio.addEventListener("change", () => {
        this.scope = radio.value;
        this.onScope(this.scope);
        this.render();
      });
    }
    $("#list-filter").addEventListener("input", debounce((e) => { this.text = e.target.value.trim(); this.render(); }, 150));
    for (const chip of $$(".level-chip")) {
      chip.addEventListener("click", () => {
        this.level = this.level === chip.dataset.level ? null : chip.dataset.level;
        for (const c of $$(".level-chip")) c.classList.toggle("on", c.dataset.level === this.level);
        this.render();
      });
    }
    this.incidents = new Map();
  }

  setAll(map) {
    this.incidents = map;
    this.render();
  }

  /** Mark a row as just changed (a short highlight, for changes that came over the wire). */
  pulse(id) {
    this.flash.add(id);
    setTimeout(() => { this.flash.delete(id); this.box.querySelector(`[data-id="${id}"]`)?.classList.remove("flash"); }, 2500);
  }

  visible() {
    const text = this.text.toLowerCase();
    return [...this.incidents.values()].filter((i) => {
      const active = ACTIVE.has(i.status);
      if (this.scope === "active" && !active) return false;
      if (this.scope === "finished" && active) return false;
      if (this.level && i.level !== this.level) return false;
      if (text) {
        const hay = `${i.number} ${i.title} ${i.address?.full_name || ""} ${i.incident_type_label}`.toLowerCase();
        if (!hay.includes(text)) return false;
      }
      return true;
    }).sort((a, b) => {
      const aa = ACTIVE.has(a.status); const bb = ACTIVE.has(b.status);
      if (aa !== bb) return aa ? -1 : 1;
      if (aa && LEVEL_RANK[a.level] !== LEVEL_RANK[b.level]) return LEVEL_RANK[a.level] - LEVEL_RANK[b.level];
      return new Date(b.reported_at) - new Date(a.reported_at);
    });
  }

  render() {
    const counts = { I: 0, II: 0, III: 0, IV: 0 };
    for (const i of this.incidents.values()) if (ACTIVE.has(i.status)) counts[i.level] += 1;
    for (const chip of $$(".level-chip")) chip.querySelector("[data-count]").textContent = counts[chip.dataset.level] ?? 0;
    const rows = this.visible();
    fill(this.box, ...rows.map((i) => this.row(i)));
    this.empty.hidden = rows.length > 0;
  }

  row(i) {
    const classes = ["incident-row", `lv-${i.level}`];
    if (i.id === this.selected) classes.push("selected");
    if (this.flash.has(i.id)) classes.push("flash");
    if (!ACTIVE.has(i.status)) classes.push("finished");
    return el("li", { class: classes.join(" "), dataset: { id: i.id }, tabindex: 0,
      onclick: () => this.onSelect(i.id), onkeydown: (e) => { if (e.key === "Enter") this.onSelect(i.id); } },
    el("span", { class: "lv-bar" }),
    el("div", { class: "row-main" },
      el("div", { class: "row-top" },
        el("span", { class: "level-badge small" }, `${i.level}`),
        el("b", { class: "row-title" }, i.title),
        el("span", { class: `status-badge st-${i.status}` }, i.status_label || label("status", i.status))),
      el("div", { class: "row-sub muted" },
        el("span", { class: "mono" }, i.number), " · ", i.incident_type_label || label("incidentType", i.incident_type),
        " · ", fmtTime(i.reported_at, { seconds: false })),
      i.address?.full_name ? el("div", { class: "row-addr muted" }, i.address.full_name) : null));
  }

  select(id) {
    this.selected = id;
    for (const row of $$(".incident-row", this.box)) row.classList.toggle("selected", Number(row.dataset.id) === id);
  }
}

export { ACTIVE };

// The zones & alerts tab: control zones of the incident (drawn on the map or generated around an
// address: 封控区 / 管控区 / 防范区, names as configured) with the buildings, addresses and
// people inside; public alerts issued as CAP 1.2 (with a link to the XML), updated or cancelled
// (alert_followups.js).
import { AlertFollowups } from "./alert_followups.js";
import { errorText, getAll, getJSON, post, withParams } from "../common/http.js";
import { config, fmtInt, label, t } from "./i18n.js";
import { busy, debounce, el, fill, heading, loading, notify, select } from "./ui.js";

// The response level's warning colour and CAP severity (特别严重/严重/较重/一般).
const LEVEL_SEVERITY = { I: "Extreme", II: "Severe", III: "Moderate", IV: "Minor" };

export class ZonesTab {
  constructor(app) {
    this.app = app;
    this.generated = null; // address chosen for "generate around"
    this.lastAlert = null;
    this.followups = new AlertFollowups(app, this);
  }

  reset() {
    this.shown = null;
    this.generated = null;
    this.lastAlert = null;
    this.followups.reset();
  }

  /** Draw the tab again even though its data did not change (a form opened or closed). */
  rerender() {
    this.shown = null;
    this.app.detail.refresh(["zones"]);
  }

  async render(incident, box) {
    const id = incident.id;
    if (!box.childElementCount) fill(box, loading(t("loading")));
    const [zones, alerts] = await Promise.all([
      getJSON(withParams(config.api.zones, { incident: id, page_size: 200 })).catch((e) => e),
      getAll(config.api.alerts).catch((e) => e),
    ]);
    if (this.app.detail.id !== id) return;
    const key = JSON.stringify([incident.status, zones instanceof Error ? String(zones) : zones,
      Array.isArray(alerts) ? alerts.filter((a) => a.incident === id) : String(alerts)]);
    if (key === this.shown && box.childElementCount) return;
    this.shown = key;
    const mine = Array.isArray(alerts) ? alerts.filter((a) => a.incident === id) : alerts;
    const features = zones instanceof Error ? zones : zones.features || [];
    const finished = ["closed", "cancelled", "merged"].includes(incident.status);
    fill(box, 
      heading(t("zonesTitle")),
      features instanceof Error ? el("p", { class: "error" }, errorText(features)) : this.zoneList(features),
      this.app.can.zones && !finished ? this.zoneForm(incident) : null,
      heading(t("alertsTitle")),
      mine instanceof Error ? el("p", { class: "error" }, errorText(mine))
        : this.followups.list(mine, features instanceof Error ? [] : features, finished),
      this.app.can.alerts && !finished ? this.alertForm(incident, features instanceof Error ? [] : features) : null,
    );
  }

  zoneList(features) {
    if (!features.length) return el("p", { class: "muted" }, t("noZones"));
    return el("table", { class: "zone-table" },
      el("thead", {}, el("tr", {}, el("th", {}, t("zone")), el("th", {}, t("buildings")), el("th", {}, t("addresses")),
        el("th", {}, t("people")), el("th", {}, ""))),
      el("tbody", {}, features.map((f) => {
        const p = f.properties;
        return el("tr", { class: p.status === "lifted" ? "released" : "", dataset: { zone: f.id } },
          el("td", {}, el("i", { class: `sq zt-${p.tier}` }), el("b", {}, p.tier_label), p.name ? el("div", { class: "muted small" }, p.name) : null),
          el("td", { class: "num" }, fmtInt(p.buildings_count ?? 0)),
          el("td", { class: "num" }, fmtInt(p.addresses_count ?? 0)),
          el("td", { class: "num" }, el("b", {}, fmtInt(p.people_estimate ?? 0))),
          el("td", {}, p.status === "active" && this.app.can.zones
            ? el("button", { type: "button", class: "small", onclick: (e) => this.lift(f.id, e.currentTarget) }, t("lift"))
            : el("span", { class: "muted small" }, p.status === "active" ? t("active") : t("lifted"))));
      })));
  }

  async lift(id, button) {
    await busy(button, async () => {
      try {
        await post(`${config.api.zones}${id}/lift/`);
        this.app.refreshZones();
        this.app.detail.refresh(["zones"]);
      } catch (error) {
        notify(errorText(error));
      }
    });
  }

  zoneForm(incident) {
    const tier = select("tier", config.labels.zoneTier, "sealed");
    const name = el("input", { type: "text", name: "zone_name", maxlength: 200, placeholder: t("zoneName") });
    const draw = el("button", { type: "button", class: "primary small", id: "btn-draw-zone" }, t("drawZone"));
    draw.addEventListener("click", async () => {
      const css = label("zoneTierColour", tier.value);
      this.app.hint(t("drawZoneHint"));
      draw.disabled = true;
      const ring = await this.app.map.drawPolygon(css);
      draw.disabled = false;
      this.app.hint(null);
      if (!ring) return;
      await this.create(incident, { tier: tier.value, name: name.value, geometry: { type: "Polygon", coordinates: [ring] } }, draw);
    });
    const q = el("input", { type: "search", name: "zone_address", placeholder: t("zoneAddress") });
    const results = el("ul", { class: "search-results", hidden: true });
    const buffer = el("input", { type: "number", name: "buffer_m", min: 0, max: 5000, value: 100, title: t("bufferM") });
    const generate = el("button", { type: "button", class: "small", disabled: !this.generated }, t("generateZone"));
    q.addEventListener("input", debounce(async () => {
      if (!q.value.trim()) { results.hidden = true; return; }
      results.hidden = false;
      try {
        const data = await getJSON(withParams(config.api.search, { q: q.value, limit: 8, type: "address" }));
        fill(results, ...(data.results || []).map((hit) => el("li", { onclick: () => {
          this.generated = hit; q.value = hit.label; results.hidden = true; generate.disabled = false; } }, hit.label)));
        if (!(data.results || []).length) fill(results, el("li", { class: "muted" }, t("searchEmpty")));
      } catch (error) {
        fill(results, el("li", { class: "error" }, errorText(error)));
      }
    }, 250));
    generate.addEventListener("click", () => {
      if (!this.generated) return;
      this.create(incident, { tier: tier.value, name: name.value || this.generated.label,
        addresses: [this.generated.id], buffer_m: Number(buffer.value) || 0 }, generate);
    });
    return el("div", { class: "zone-form" },
      el("div", { class: "inline-form" }, tier, name, draw),
      el("div", { class: "inline-form" }, el("span", { class: "muted small" }, t("orAround")), q, buffer, el("span", { class: "muted small" }, t("metres")), generate),
      results);
  }

  async create(incident, body, button) {
    await busy(button, async () => {
      try {
        const zone = await post(config.api.zones, { ...body, incident: incident.id });
        const p = zone.properties;
        notify(t("zoneCreated", { tier: p.tier_label, people: fmtInt(p.people_estimate ?? 0), buildings: p.buildings_count }),
          { kind: "success", ms: 5000 });
        this.app.refreshZones();
        this.app.detail.refresh(["zones"]);
      } catch (error) {
        notify(errorText(error));
      }
    });
  }

  alertForm(incident, zones) {
    const active = zones.filter((z) => z.properties.status === "active");
    const headline = el("input", { type: "text", name: "headline", maxlength: 200,
      value: t("alertHeadline", { title: incident.title, level: label("level", incident.level) }) });
    const description = el("textarea", { name: "alert_description", rows: 2, maxlength: 5000 },
      incident.description || incident.title);
    const instruction = el("textarea", { name: "instruction", rows: 2, maxlength: 5000, placeholder: t("instructionHint") });
    const severity = select("severity", config.labels.capSeverity, LEVEL_SEVERITY[incident.level]);
    const urgency = select("urgency", config.labels.capUrgency, "Immediate");
    const certainty = select("certainty", config.labels.capCertainty, "Observed");
    const status = select("cap_status", config.labels.capStatus, "Actual");
    const area = el("select", { name: "area_zone" },
      el("option", { value: "" }, t("areaDefault")),
      active.map((z, k) => el("option", { value: z.id, selected: k === 0 }, `${z.properties.tier_label} ${z.properties.name || ""}`)));
    const submit = el("button", { type: "submit", class: "primary", id: "btn-issue-alert" }, t("issueAlert"));
    return el("form", { class: "alert-form", onsubmit: async (e) => {
      e.preventDefault();
      const body = {
        incident: incident.id, headline: headline.value.trim(), description: description.value.trim(),
        instruction: instruction.value.trim(), severity: severity.value, urgency: urgency.value,
        certainty: certainty.value, status: status.value,
      };
      const zone = active.find((z) => String(z.id) === area.value);
      if (zone) {
        body.area = zone.geometry;
        body.area_desc = `${zone.properties.tier_label}${zone.properties.name ? ` ${zone.properties.name}` : ""}`;
      }
      await busy(submit, async () => {
        try {
          const alert = await post(config.api.alerts, body);
          this.lastAlert = alert;
          notify(t("alertIssued", { id: alert.identifier }), { kind: "success", ms: 5000 });
          this.app.detail.refresh(["zones"]);
        } catch (error) {
          notify(errorText(error));
        }
      });
    } }, heading(t("newAlert")),
    el("label", {}, t("headline"), headline), el("label", {}, t("description"), description),
    el("label", {}, t("instruction"), instruction),
    el("div", { class: "grid2" }, el("label", {}, t("severity"), severity), el("label", {}, t("urgency"), urgency),
      el("label", {}, t("certainty"), certainty), el("label", {}, t("capStatus"), status)),
    el("label", {}, t("alertArea"), area), el("div", { class: "form-actions" }, submit));
  }
}

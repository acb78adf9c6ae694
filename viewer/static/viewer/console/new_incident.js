// The new-incident form: the place comes from a click on the map or from the address search
// (/api/cim/search/), the category follows the type, the caller's details go to the server
// (which masks them for every role that does not need them).
import { errorText, getJSON, post, withParams } from "../common/http.js";
import { config, label, t } from "./i18n.js";
import { $, busy, debounce, el, fill, notify } from "./ui.js";

export class NewIncidentForm {
  constructor({ map, onCreated, hint }) {
    this.form = $("#new-incident");
    this.map = map;
    this.onCreated = onCreated;
    this.hint = hint;
    this.location = null; // [lon, lat]
    this.address = null; // {id, label}
    if (!this.form) return;
    this.error = this.form.querySelector(".form-error");
    this.results = $("#ni-address-results");
    this.readout = $("#ni-location");
    for (const button of this.form.querySelectorAll("[data-action=close]")) button.addEventListener("click", () => this.close());
    $("#ni-pick").addEventListener("click", () => this.pick());
    const type = this.form.elements.incident_type;
    type.addEventListener("change", () => {
      const category = label("typeCategory", type.value);
      if (category && category !== type.value) this.form.elements.category.value = category;
    });
    type.dispatchEvent(new Event("change"));
    $("#ni-address-q").addEventListener("input", debounce((e) => this.search(e.target.value), 250));
    this.form.addEventListener("submit", (e) => { e.preventDefault(); this.submit(); });
  }

  get isOpen() {
    return this.form && !this.form.hidden;
  }

  open() {
    if (!this.form) return;
    this.form.hidden = false;
    this.error.hidden = true;
    this.form.elements.title.focus();
    if (!this.location) this.pick();
  }

  close() {
    if (!this.form) return;
    this.form.hidden = true;
    this.map.cancelTool();
    this.map.clearPickedPoint();
    this.hint(null);
    this.form.reset();
    this.form.elements.incident_type.dispatchEvent(new Event("change"));
    this.location = null;
    this.address = null;
    this.results.hidden = true;
    this.readout.textContent = t("noLocation");
  }

  async pick() {
    this.hint(t("pickIncidentHint"));
    const at = await this.map.pickLocation();
    this.hint(null);
    if (at) this.setLocation(at, null);
  }

  setLocation(at, address) {
    this.location = at;
    this.address = address;
    this.map.showPickedPoint(at);
    const where = `${at[0].toFixed(6)}, ${at[1].toFixed(6)}`;
    this.readout.textContent = address ? `${address.label}（${where}）` : t("pickedAt", { where });
    this.readout.classList.remove("muted");
  }

  async search(q) {
    if (!q.trim() || !config.api.search) {
      this.results.hidden = true;
      return;
    }
    this.results.hidden = false;
    fill(this.results, el("li", { class: "muted" }, t("searching")));
    try {
      const data = await getJSON(withParams(config.api.search, { q, limit: 8, type: "address,service_point,area" }));
      const hits = (data.results || []).filter((h) => h.lon !== null && h.lat !== null);
      fill(this.results, ...(hits.length ? hits.map((hit) => el("li", {
        onclick: () => this.choose(hit) },
      el("span", { class: "kind" }, t(`kind_${hit.type}`)), hit.label)) : [el("li", { class: "muted" }, t("searchEmpty"))]));
    } catch (error) {
      fill(this.results, el("li", { class: "error" }, errorText(error)));
    }
  }

  choose(hit) {
    this.results.hidden = true;
    $("#ni-address-q").value = hit.label;
    this.map.cancelTool();
    this.hint(null);
    this.setLocation([hit.lon, hit.lat], hit.type === "address" ? { id: hit.id, label: hit.label } : { id: null, label: hit.label });
    this.map.flyTo(hit.lon, hit.lat, { range: 900 });
  }

  async submit() {
    const f = this.form.elements;
    this.error.hidden = true;
    if (!this.location) {
      this.showError(t("needLocation"));
      return;
    }
    if (!f.title.value.trim()) {
      this.showError(t("needTitle"));
      f.title.focus();
      return;
    }
    const body = {
      title: f.title.value.trim(), incident_type: f.incident_type.value, category: f.category.value,
      level: f.level.value, source: f.source.value, description: f.description.value,
      caller_name: f.caller_name.value.trim(), caller_phone: f.caller_phone.value.trim(),
      lon: Number(this.location[0].toFixed(7)), lat: Number(this.location[1].toFixed(7)),
    };
    if (this.address?.id) body.address = this.address.id;
    await busy(this.form.querySelector("[type=submit]"), async () => {
      try {
        const incident = await post(config.api.incidents, body);
        notify(t("incidentCreated", { number: incident.number }), { kind: "success", ms: 4000 });
        this.close();
        this.onCreated(incident);
      } catch (error) {
        this.showError(errorText(error));
      }
    });
  }

  showError(text) {
    this.error.textContent = text;
    this.error.hidden = false;
  }
}

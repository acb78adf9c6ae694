// Click a building: highlight it and show its attributes (tile metadata, then the API record
// and its standard addresses).  Clicking a service point shows its details.
/* global Cesium */

import { getJSON } from "../common/http.js";
import { config, fmt, localName, t } from "./i18n.js";
import { PROP } from "./thematic.js";
import { $, el } from "./ui.js";

const HIGHLIGHT = Cesium.Color.fromCssColorString("#ffd400");

export class InfoPanel {
  constructor(viewer) {
    this.viewer = viewer;
    this.panel = $("#info-panel");
    this.title = $("#info-title");
    this.attrs = $("#info-attrs");
    this.addresses = $("#info-addresses");
    this.selected = null; // {feature, id, previousColor}
    this.selectedId = null;
    this.request = null;
    this.lastDetails = null; // promise of the API lookups, for tests
    this.listTitle = $("#info-list-title");
    this.listTitleText = this.listTitle.textContent;
    this.onElement = null; // (panel, props) => promise: a BIM element was picked (bim.js)
    $("#info-close").addEventListener("click", () => this.clear());
  }

  /** Handle a click in "select" mode; returns what was picked. */
  pickAt(windowPosition) {
    const picked = this.viewer.scene.pick(windowPosition);
    if (picked instanceof Cesium.Cesium3DTileFeature) {
      this.selectFeature(picked);
      const element = picked.getProperty("global_id");
      return element !== undefined ? { kind: "bim_element", id: element } : { kind: "building", id: this.selectedId };
    }
    if (picked?.id?.kind === "service_point") {
      this.showServicePoint(picked.id);
      return { kind: "service_point", id: picked.id.id };
    }
    const demolished = picked?.id?.properties?.demolished?.getValue();
    if (demolished) {
      this.showDemolished(demolished);
      return { kind: "demolished", id: demolished.id };
    }
    this.clear();
    return null;
  }

  unhighlight() {
    if (this.selected) {
      try {
        this.selected.feature.color = this.selected.previousColor;
      } catch { /* tile already unloaded */ }
    }
    this.selected = null;
  }

  clear() {
    this.unhighlight();
    this.selectedId = null;
    this.panel.hidden = true;
    this.viewer.scene.requestRender();
  }

  /** Re-apply the highlight after a new style has recoloured every feature. */
  reapplyHighlight() {
    if (!this.selected) return;
    const { feature } = this.selected;
    this.viewer.scene.postRender.addEventListener(function once() {
      this.viewer.scene.postRender.removeEventListener(once, this);
      if (this.selected?.feature === feature) {
        this.selected.previousColor = Cesium.Color.clone(feature.color);
        feature.color = HIGHLIGHT;
        this.viewer.scene.requestRender();
      }
    }, this);
    this.viewer.scene.requestRender();
  }

  selectFeature(feature) {
    this.unhighlight();
    this.selected = { feature, previousColor: Cesium.Color.clone(feature.color) };
    feature.color = HIGHLIGHT;
    const props = {};
    for (const name of feature.getPropertyIds()) props[name] = feature.getProperty(name);
    if (props.global_id !== undefined && this.onElement) {
      this.selectedId = null;
      this.lastDetails = this.onElement(this, props);
      this.viewer.scene.requestRender();
      return;
    }
    this.selectedId = String(props[PROP.id] ?? "");
    this.showBuilding(props);
    this.viewer.scene.requestRender();
  }

  row(label, value, attrs = {}) {
    if (value === undefined || value === null || value === "") return;
    this.attrs.append(el("dt", {}, label), el("dd", attrs, value));
  }

  showBuilding(props) {
    this.panel.hidden = false;
    this.panel.dataset.kind = "building";
    this.listTitle.textContent = this.listTitleText;
    this.title.textContent = props[PROP.name] || t("buildingInfo");
    this.attrs.replaceChildren();
    this.row(t("fieldId"), this.selectedId, { "data-field": "id", id: "info-building-id" });
    this.row(t("fieldName"), props[PROP.name] || t("unnamed"), { "data-field": "name" });
    if (props[PROP.height] !== undefined) this.row(t("fieldHeight"), t("metres", { value: fmt(props[PROP.height]) }), { "data-field": "height" });
    this.row(t("fieldFloors"), props[PROP.floors] || null, { "data-field": "floors" });
    const use = props[PROP.use];
    this.row(t("fieldUse"), use ? (config.useLabels[use] || use) : null, { "data-field": "use" });
    this.row(t("fieldYear"), props[PROP.year] > 0 ? props[PROP.year] : t("unknown"), { "data-field": "year" });
    const adminName = props.admin_name ?? props.admin_area_name;
    const adminCode = props.admin_code ?? props.admin_area_code;
    this.row(t("fieldAdmin"), adminName ? `${adminName}${adminCode ? ` (${adminCode})` : ""}` : null, { "data-field": "admin" });
    this.addresses.replaceChildren(el("li", { class: "muted" }, t("loadingDetails")));
    this.lastDetails = this.loadDetails(this.selectedId);
  }

  async loadDetails(id) {
    if (!id) return null;
    this.request?.abort();
    const controller = new AbortController();
    this.request = controller;
    const { signal } = controller;
    const [building, addresses] = await Promise.allSettled([
      getJSON(`${config.buildingsUrl}${encodeURIComponent(id)}/`, { signal }),
      getJSON(config.buildingAddressesUrl.replace("{id}", encodeURIComponent(id)), { signal }),
    ]);
    if (signal.aborted || this.selectedId !== id) return null;
    if (building.status === "fulfilled") {
      const b = building.value;
      this.row(t("fieldBase"), b.base_elevation != null ? t("metres", { value: fmt(b.base_elevation) }) : null, { "data-field": "base" });
      this.row(t("fieldHeightSource"), config.heightSourceLabels[b.height_source] || b.height_source, {});
      this.row(t("fieldLod"), b.lod != null ? `LoD${b.lod}` : null, {});
      this.row(t("fieldSource"), `${b.source}:${b.source_id}${b.synthetic ? ` · ${t("synthetic")}` : ""}`, { "data-field": "source" });
    } else {
      this.row(t("fieldSource"), t("detailsFailed", { error: building.reason.message }));
    }
    this.addresses.replaceChildren();
    const found = addresses.status === "fulfilled" ? addresses.value : null;
    const items = found ? found.addresses : [];
    for (const a of items) {
      this.addresses.append(el("li", { "data-field": "address", "data-code": a.code }, a.full_name));
    }
    if (found && (found.units || found.rooms)) {
      this.addresses.append(el("li", { class: "muted" }, t("unitsRooms", { units: found.units, rooms: found.rooms })));
    }
    if (!items.length) {
      this.addresses.append(el("li", { class: "muted" },
        addresses.status === "fulfilled" ? t("noAddress") : t("detailsFailed", { error: addresses.reason.message })));
    }
    return { building: building.value, addresses: items };
  }

  /** A demolished building drawn by the time slider: its version as it stood, and its deletion. */
  showDemolished(version) {
    this.unhighlight();
    this.selectedId = null;
    this.panel.hidden = false;
    this.panel.dataset.kind = "demolished";
    this.listTitle.textContent = this.listTitleText;
    this.title.textContent = t("hiDemolishedTitle", { name: version.name || t("unnamed") });
    this.attrs.replaceChildren();
    const when = (iso) => (iso ? iso.slice(0, 16).replace("T", " ") : "");
    this.row(t("fieldId"), String(version.id), { "data-field": "id" });
    this.row(t("fieldSource"), version.source_id, {});
    this.row(t("fieldHeight"), t("metres", { value: fmt(version.height) }), { "data-field": "height" });
    this.row(t("fieldFloors"), version.floors || null, { "data-field": "floors" });
    this.row(t("fieldUse"), version.use ? (config.useLabels[version.use] || version.use) : null, {});
    this.row(t("fieldYear"), version.year_built || t("unknown"), {});
    this.row(t("hiVersionValid"), `${when(version.valid_from)} – ${when(version.valid_to)}`, { "data-field": "valid" });
    this.row(t("hiDeletedAt"), when(version.deleted_at), { "data-field": "deleted-at" });
    this.row(t("hiDeleteReason"), version.reason || t("unknown"), { "data-field": "reason" });
    this.addresses.replaceChildren();
    this.viewer.scene.requestRender();
  }

  showServicePoint(record) {
    this.unhighlight();
    this.selectedId = null;
    this.panel.hidden = false;
    this.panel.dataset.kind = "service_point";
    this.listTitle.textContent = this.listTitleText;
    this.title.textContent = localName(record);
    this.attrs.replaceChildren();
    this.row(t("kind_service_point"), config.serviceLabels[record.category] || record.category);
    this.row(t("fieldAddress"), record.address);
    this.row(t("fieldPhone"), record.phone);
    this.row(t("fieldHours"), record.opening_hours);
    this.addresses.replaceChildren();
    this.lastDetails = Promise.resolve(null);
  }
}

// BIM buildings in the city tileset: the models (from /api/cim/bim/), one storey at a time,
// element classes on and off, the shell x-rayed, and a picked element's IFC properties.
// Element features carry global_id, ifc_class, storey, name and model (cim/bim/tiles.py); the
// filter is applied to the loaded BIM contents each frame they are drawn (whatever the theme's
// style did to them), and only where something changes.
/* global Cesium */

import { getJSON } from "../common/http.js";
import { config, fmt, t } from "./i18n.js";
import { $, $$, el } from "./ui.js";

const GROUPS = {
  walls: ["IfcWall", "IfcWallStandardCase", "IfcCurtainWall"],
  slabs: ["IfcSlab", "IfcRoof"],
  windows: ["IfcWindow"],
  doors: ["IfcDoor"],
  spaces: ["IfcSpace"],
};
const SHELL_CLASS = "IfcBuilding";
const ENVELOPE = new Set(["IfcWall", "IfcWallStandardCase", "IfcCurtainWall", "IfcRoof", "IfcWindow",
  "IfcCovering", "IfcPlate", "IfcMember", SHELL_CLASS]);
const COLOURS = {
  IfcWall: "#e9e4da", IfcWallStandardCase: "#e9e4da", IfcCurtainWall: "#9cc3d5", IfcSlab: "#b9b4ad",
  IfcRoof: "#a8544a", IfcWindow: "#8fc1e3", IfcDoor: "#9a6a3a", IfcSpace: "#7fd1a6", IfcColumn: "#c9c2b8",
  IfcBeam: "#c9c2b8", IfcStair: "#d8c7a8", [SHELL_CLASS]: "#e0dbd2",
};
const OTHER = "#cfc8bd";

function groupOf(ifcClass) {
  for (const [group, classes] of Object.entries(GROUPS)) if (classes.includes(ifcClass)) return group;
  return "other";
}

export class BimPanel {
  constructor(viewer, { getTileset, isSelected }) {
    this.viewer = viewer;
    this.getTileset = getTileset;
    this.isSelected = isSelected;
    this.models = [];
    this.storey = ""; // "" = every storey
    this.groups = new Set(["walls", "slabs", "windows", "doors", "other"]);
    this.xray = false;
    this.stats = { shown: 0, hidden: 0 };
    this.colours = new Map();
    this.loaded = null;
    this.hooked = null;
    $("#bim-model").addEventListener("change", () => this.chooseModel(Number($("#bim-model").value)));
    $("#bim-fly").addEventListener("click", () => this.flyTo());
    $("#bim-storey").addEventListener("change", () => this.setStorey($("#bim-storey").value));
    for (const box of $$("[data-bim-group]")) {
      box.addEventListener("change", () => this.setGroup(box.dataset.bimGroup, box.checked));
    }
    $("#bim-xray").addEventListener("change", (event) => this.setXray(event.target.checked));
  }

  async load() {
    if (!config.bimUrl) return [];
    this.models = await getJSON(config.bimUrl);
    $("#bim-count").textContent = this.models.length ? String(this.models.length) : "";
    $("#bim-empty").hidden = this.models.length > 0;
    $("#bim-body").hidden = this.models.length === 0;
    $("#bim-model").replaceChildren(...this.models.map((m) => el("option", { value: m.id }, m.name || m.file_name)));
    if (this.models.length) this.chooseModel(this.models[0].id);
    return this.models;
  }

  /** Hook the filter into the city tileset once it exists. */
  attach(tileset) {
    if (!tileset || this.hooked === tileset) return;
    this.hooked = tileset;
    tileset.tileVisible.addEventListener((tile) => this.applyTo(tile.content));
  }

  get model() {
    return this.models.find((m) => m.id === this.modelId) || null;
  }

  chooseModel(id) {
    this.modelId = id;
    const model = this.model;
    if (!model) return;
    const storeys = model.storeys || [];
    $("#bim-storey").replaceChildren(el("option", { value: "" }, t("bimAllStoreys")),
      ...storeys.map((s) => el("option", { value: s.name }, t("bimStoreyOption", { name: s.name, elevation: fmt(s.elevation) }))));
    this.storey = "";
    const p = model.placement || {};
    $("#bim-placement").textContent = t("bimPlacedBy", {
      source: (config.bimPlacementLabels || {})[model.placement_source] || model.placement_source,
      lon: Number(p.lon).toFixed(6), lat: Number(p.lat).toFixed(6),
    }) + (model.replaces ? ` · ${t("bimReplaces", { id: model.replaces })}` : "");
    this.refresh();
  }

  setStorey(name) { this.storey = name; $("#bim-storey").value = name; this.refresh(); }

  setGroup(group, on) {
    if (on) this.groups.add(group); else this.groups.delete(group);
    const box = document.querySelector(`[data-bim-group="${group}"]`);
    if (box) box.checked = on;
    this.refresh();
  }

  setXray(on) { this.xray = on; $("#bim-xray").checked = on; this.refresh(); }

  refresh() {
    this.version = (this.version || 0) + 1;
    this.viewer.scene.requestRender();
  }

  /** Whether a BIM feature is shown under the current filter. */
  visible(ifcClass, storey) {
    if (ifcClass === SHELL_CLASS) return !this.storey && this.groups.has("walls");
    if (this.storey && storey !== this.storey) return false;
    return this.groups.has(groupOf(ifcClass));
  }

  colour(ifcClass) {
    const key = `${ifcClass}|${this.xray && ENVELOPE.has(ifcClass)}`;
    if (!this.colours.has(key)) {
      const base = Cesium.Color.fromCssColorString(COLOURS[ifcClass] || OTHER);
      const alpha = ifcClass === "IfcWindow" ? 0.55 : 1.0;
      this.colours.set(key, base.withAlpha(this.xray && ENVELOPE.has(ifcClass) ? 0.18 : alpha));
    }
    return this.colours.get(key);
  }

  applyTo(content) {
    if (!content || !content.featuresLength) return;
    const first = content.getFeature(0);
    if (first.getProperty("global_id") === undefined) return; // a city tile
    let shown = 0;
    let hidden = 0;
    for (let i = 0; i < content.featuresLength; i += 1) {
      const feature = content.getFeature(i);
      const ifcClass = feature.getProperty("ifc_class");
      const show = this.visible(ifcClass, feature.getProperty("storey"));
      if (feature.show !== show) feature.show = show;
      if (show) shown += 1; else hidden += 1;
      if (!this.isSelected(feature)) {
        const want = this.colour(ifcClass);
        if (!Cesium.Color.equals(feature.color, want)) feature.color = want;
      }
    }
    if (content.featuresLength > 1) {
      this.stats = { shown, hidden };
      $("#bim-stats").textContent = t("bimStats", { shown, hidden });
    }
  }

  /** The loaded BIM features and how they are drawn (for tests and the console). */
  features() {
    const out = [];
    const visit = (tile) => {
      const content = tile.content;
      if (content?.featuresLength && content.getFeature(0).getProperty("global_id") !== undefined) {
        for (let i = 0; i < content.featuresLength; i += 1) {
          const f = content.getFeature(i);
          out.push({ global_id: f.getProperty("global_id"), ifc_class: f.getProperty("ifc_class"),
            storey: f.getProperty("storey"), show: f.show, alpha: f.color.alpha });
        }
      }
      for (const child of tile.children) visit(child);
    };
    const tileset = this.getTileset();
    if (tileset) visit(tileset.root);
    return out;
  }

  flyTo() {
    const model = this.model;
    if (!model) return Promise.resolve(false);
    const [lon, lat] = model.centroid;
    const height = model.base_elevation + (model.placement?.geoid || 0) + model.height / 2;
    const target = Cesium.Cartesian3.fromDegrees(lon, lat, height);
    const range = Math.max(40, model.height * 4);
    return new Promise((resolve) => {
      this.viewer.camera.flyToBoundingSphere(new Cesium.BoundingSphere(target, 1), {
        offset: new Cesium.HeadingPitchRange(Cesium.Math.toRadians(20), Cesium.Math.toRadians(-35), range),
        duration: 0.8, complete: () => resolve(true), cancel: () => resolve(false),
      });
    });
  }

  /** The info panel for a picked element: what the tile says, then the API's property sets. */
  async showElement(info, props) {
    info.panel.hidden = false;
    info.panel.dataset.kind = "bim_element";
    info.title.textContent = props.name || props.ifc_class;
    info.listTitle.textContent = t("bimPsets");
    info.attrs.replaceChildren();
    info.row(t("bimGlobalId"), props.global_id, { "data-field": "global_id" });
    info.row(t("bimClass"), props.ifc_class, { "data-field": "ifc_class" });
    info.row(t("bimStorey"), props.storey || null, { "data-field": "storey" });
    info.addresses.replaceChildren(el("li", { class: "muted" }, t("loadingDetails")));
    if (!props.global_id) {
      info.addresses.replaceChildren();
      return null;
    }
    const url = `${config.bimUrl}${encodeURIComponent(props.model)}/elements/${encodeURIComponent(props.global_id)}/`;
    let element;
    try {
      element = await getJSON(url);
    } catch (error) {
      info.addresses.replaceChildren(el("li", { class: "muted" }, t("detailsFailed", { error: error.message })));
      return null;
    }
    info.row(t("bimType"), element.type_name || null, { "data-field": "type_name" });
    info.row(t("bimMaterial"), element.material || null, { "data-field": "material" });
    info.addresses.replaceChildren();
    for (const [pset, values] of Object.entries(element.psets || {})) {
      const rows = Object.entries(values).filter(([, v]) => v !== null && typeof v !== "object");
      info.addresses.append(el("li", { class: "bim-pset", "data-pset": pset },
        el("strong", {}, pset),
        el("dl", {}, rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, String(v))]))));
    }
    if (!info.addresses.children.length) info.addresses.append(el("li", { class: "muted" }, t("bimNoPsets")));
    return element;
  }
}

// 控高分析: height-control zones (drawn on the map or imported from GeoJSON), the check run on the
// server, the result in 3D (buildings over the limit in red, each zone's limit as a translucent
// envelope), a table of the worst excesses and links to the CSV and to this very result.
/* global Cesium */

import { errorText, getJSON, post, withParams } from "../common/http.js";
import { runAnalysis } from "./analysisjob.js";
import { config, fmt, t } from "./i18n.js";
import { $, el } from "./ui.js";

const RED = "#e8262a";
const ZONE_COLORS = { flat: Cesium.Color.fromCssColorString("#f6b93b"), plane: Cesium.Color.fromCssColorString("#36c5f0") };
const DRAW = Cesium.Color.fromCssColorString("#f6b93b");
const MAX_STYLED = 3000; // buildings coloured one by one in the tiles' style
const TABLE_ROWS = 50;

/** Metres east/north of (lon0, lat0) on a local tangent plane (enough to draw an envelope). */
function localMetres(lon, lat, lon0, lat0) {
  const k = Math.cos(Cesium.Math.toRadians(lat0));
  return [(lon - lon0) * 111320 * k, (lat - lat0) * 110540];
}

export class HeightLimit {
  /**
   * @param viewer the Cesium viewer
   * @param hooks  { getTileset, restyle (put the page's theme back), highlight(id), toast }
   */
  constructor(viewer, hooks) {
    this.viewer = viewer;
    this.hooks = hooks;
    this.zoneSource = new Cesium.CustomDataSource("height-zones");
    this.drawSource = new Cesium.CustomDataSource("height-zone-draw");
    viewer.dataSources.add(this.zoneSource);
    viewer.dataSources.add(this.drawSource);
    this.zones = [];
    this.points = [];
    this.drawing = false;
    this.run = null;
    this.geoidOffset = null; // ellipsoidal − orthometric height near the city (m)
    this.box = $("#panel-height");
    if (!this.box) return;
    this.canRun = Boolean(config.analyses?.canRun);
    $("#hl-form").hidden = true;
    for (const node of this.box.querySelectorAll("[data-needs-run]")) node.hidden = !this.canRun;
    $("#hl-save").addEventListener("click", () => this.saveDrawn());
    $("#hl-cancel").addEventListener("click", () => this.cancelDrawing());
    $("#hl-run").addEventListener("click", () => this.check());
    $("#hl-clear").addEventListener("click", () => this.clearResult());
    $("#hl-import").addEventListener("change", (event) => this.importFile(event.target.files[0]));
  }

  get available() { return Boolean(this.box && config.analyses); }

  async load() {
    if (!this.available) return;
    const data = await getJSON(config.analyses.heightZonesUrl);
    this.zones = data.features || [];
    await this.measureGeoid();
    this.drawZones();
    this.renderZones();
  }

  async measureGeoid() {
    if (this.geoidOffset !== null || !this.zones.length || !config.analyses.terrainHeightUrl) return;
    const [lon, lat] = this.zones[0].geometry.coordinates[0][0][0];
    try {
      const h = await getJSON(withParams(config.analyses.terrainHeightUrl, { lon, lat }));
      if (Number.isFinite(h.height) && Number.isFinite(h.ellipsoidal_height)) {
        this.geoidOffset = h.ellipsoidal_height - h.height;
      }
    } catch { /* no DEM: envelopes of absolute limits are drawn on the ellipsoid */ }
  }

  // --- zones -------------------------------------------------------------------------------------

  limitAt(zone, lon, lat) {
    const p = zone.properties;
    if (p.shape !== "plane" || !p.plane_origin) return p.max_height;
    const [lon0, lat0] = p.plane_origin.coordinates;
    const [dx, dy] = localMetres(lon, lat, lon0, lat0);
    const az = Cesium.Math.toRadians(p.plane_azimuth);
    return p.max_height + p.plane_slope * (dx * Math.sin(az) + dy * Math.cos(az));
  }

  drawZones() {
    this.zoneSource.entities.removeAll();
    const selected = this.selectedIds();
    for (const zone of this.zones) {
      const p = zone.properties;
      const color = ZONE_COLORS[p.shape] || ZONE_COLORS.flat;
      const show = selected.has(zone.id);
      for (const polygon of zone.geometry.coordinates) {
        const ring = polygon[0];
        const outline = Cesium.Cartesian3.fromDegreesArray(ring.flat());
        this.zoneSource.entities.add({
          id: `zone-${zone.id}-${this.zoneSource.entities.values.length}`,
          show,
          polyline: { positions: outline, width: 2, material: color, clampToGround: true },
        });
        const envelope = { material: color.withAlpha(0.3), outline: false };
        if (p.datum === "ground" && p.shape !== "plane") {
          Object.assign(envelope, {
            hierarchy: new Cesium.PolygonHierarchy(outline, polygon.slice(1).map(
              (hole) => new Cesium.PolygonHierarchy(Cesium.Cartesian3.fromDegreesArray(hole.flat())))),
            height: 0, heightReference: Cesium.HeightReference.RELATIVE_TO_GROUND,
            extrudedHeight: p.max_height, extrudedHeightReference: Cesium.HeightReference.RELATIVE_TO_GROUND,
          });
        } else {
          // An absolute or sloped limit: the surface itself, vertex by vertex (orthometric → ellipsoidal).
          const n = this.geoidOffset ?? 0;
          const positions = ring.map(([lon, lat]) => Cesium.Cartesian3.fromDegrees(lon, lat, this.limitAt(zone, lon, lat) + n));
          Object.assign(envelope, { hierarchy: new Cesium.PolygonHierarchy(positions), perPositionHeight: true });
        }
        this.zoneSource.entities.add({ show, polygon: envelope, properties: { zone: zone.id } });
      }
    }
    this.viewer.scene.requestRender();
  }

  selectedIds() {
    const boxes = this.box ? this.box.querySelectorAll("input[data-zone]") : [];
    if (!boxes.length) return new Set(this.zones.map((z) => z.id));
    return new Set([...boxes].filter((b) => b.checked).map((b) => Number(b.dataset.zone)));
  }

  renderZones() {
    const list = $("#hl-zones");
    const before = this.selectedIds();
    list.replaceChildren(...this.zones.map((zone) => {
      const p = zone.properties;
      const limit = p.shape === "plane"
        ? t("hlPlaneLimit", { h: fmt(p.max_height, 1), slope: fmt(p.plane_slope * 100, 1) })
        : t("hlFlatLimit", { h: fmt(p.max_height, 1) });
      const box = el("input", { type: "checkbox", "data-zone": String(zone.id) });
      box.checked = before.has(zone.id);
      box.addEventListener("change", () => this.drawZones());
      return el("li", {}, el("label", { class: "inline" }, box, ` ${p.name}`),
        el("span", { class: "muted small" }, ` ${limit} · ${config.analyses.datumLabels[p.datum] || p.datum}`),
        p.synthetic ? el("span", { class: "tag" }, t("hlSynthetic")) : "");
    }));
    $("#hl-empty").hidden = this.zones.length > 0;
  }

  // --- drawing a zone ----------------------------------------------------------------------------

  start() {
    this.cancelDrawing();
    this.drawing = true;
  }

  addPoint(point) {
    if (!this.drawing || !point) return;
    this.points.push(point);
    this.drawSource.entities.add({ position: point, point: { pixelSize: 7, color: DRAW,
      disableDepthTestDistance: Number.POSITIVE_INFINITY } });
    this.drawOutline();
  }

  moveTo(point) {
    if (!this.drawing || !this.points.length || !point) return;
    this.cursor = point;
    this.drawOutline();
  }

  drawOutline() {
    const live = this.cursor ? [...this.points, this.cursor] : [...this.points];
    if (this.outline) this.drawSource.entities.remove(this.outline);
    this.outline = live.length >= 2 ? this.drawSource.entities.add({
      polyline: { positions: [...live, live[0]], width: 2, material: DRAW, depthFailMaterial: DRAW.withAlpha(0.6) },
    }) : null;
    this.viewer.scene.requestRender();
  }

  /** Right click: the polygon is closed; the form asks for its name and limit. */
  finish() {
    if (!this.drawing) return;
    this.drawing = false;
    this.cursor = null;
    this.drawOutline();
    if (this.points.length < 3) {
      this.hooks.toast(t("hlNeedThree"));
      this.cancelDrawing();
      return;
    }
    $("#hl-form").hidden = false;
    $("#hl-name").focus();
  }

  cancelDrawing() {
    this.drawing = false;
    this.points = [];
    this.cursor = null;
    this.outline = null;
    this.drawSource.entities.removeAll();
    $("#hl-form").hidden = true;
    this.viewer.scene.requestRender();
  }

  drawnRing() {
    const ring = this.points.map((p) => {
      const c = Cesium.Cartographic.fromCartesian(p);
      return [Number(Cesium.Math.toDegrees(c.longitude).toFixed(7)), Number(Cesium.Math.toDegrees(c.latitude).toFixed(7))];
    });
    return [...ring, ring[0]];
  }

  async saveDrawn() {
    const body = {
      name: $("#hl-name").value.trim(),
      datum: $("#hl-datum").value,
      max_height: Number($("#hl-limit").value),
      geometry: { type: "Polygon", coordinates: [this.drawnRing()] },
    };
    try {
      const zone = await post(config.analyses.heightZonesUrl, body);
      this.zones.push(zone);
      this.cancelDrawing();
      this.renderZones();
      this.drawZones();
      this.hooks.toast(t("hlZoneSaved", { name: zone.properties.name }), { kind: "info", ms: 3000 });
    } catch (error) {
      this.hooks.toast(errorText(error));
    }
  }

  async importFile(file) {
    if (!file) return;
    let document;
    try {
      document = JSON.parse(await file.text());
    } catch {
      this.hooks.toast(t("hlNotGeoJSON", { name: file.name }));
      return;
    }
    try {
      const zones = await post(`${config.analyses.heightZonesUrl}import/`, { document, datum: $("#hl-datum").value });
      this.zones.push(...(zones.features || zones));
      this.renderZones();
      await this.measureGeoid();
      this.drawZones();
      this.hooks.toast(t("hlImported", { n: (zones.features || zones).length }), { kind: "info", ms: 3000 });
    } catch (error) {
      this.hooks.toast(errorText(error));
    } finally {
      $("#hl-import").value = "";
    }
  }

  // --- the check and its result --------------------------------------------------------------------

  async check() {
    const zones = [...this.selectedIds()];
    if (!zones.length) {
      this.hooks.toast(t("hlNoZone"));
      return;
    }
    $("#hl-run").disabled = true;
    try {
      const run = await runAnalysis("analysis.height", { zones }, {
        progressNode: $("#hl-progress"), cancelButton: $("#hl-cancel-run"), toast: this.hooks.toast,
      });
      if (run) {
        this.show(run);
        window.history.replaceState(null, "", withParams(window.location.pathname, { analysis: run.id }));
      }
    } finally {
      $("#hl-run").disabled = false;
    }
  }

  show(run) {
    this.run = run;
    const s = run.summary;
    const zoneNames = Object.fromEntries((s.per_zone || []).map((z) => [z.zone, z.name]));
    $("#hl-summary").textContent = t("hlSummary", {
      checked: fmt(s.checked, 0), over: fmt(s.buildings_over, 0), max: fmt(s.max_excess, 1),
    });
    $("#hl-meta").textContent = t("hlMeta", {
      id: run.id, who: run.created_by || "—", when: new Date(run.created_at).toLocaleString(config.language),
      version: run.model_version,
    });
    const rows = run.result.violations.slice(0, TABLE_ROWS).map((v) => {
      const row = el("tr", { tabindex: "0", "data-building": String(v.building) },
        el("td", {}, v.name || `#${v.building}`),
        el("td", {}, zoneNames[v.zone] || String(v.zone)),
        el("td", { class: "num" }, fmt(v.height, 1)),
        el("td", { class: "num" }, fmt(v.limit, 1)),
        el("td", { class: "num over" }, `+${fmt(v.excess, 1)}`));
      row.addEventListener("click", () => this.hooks.highlight(String(v.building), v));
      return row;
    });
    $("#hl-table tbody").replaceChildren(...rows);
    $("#hl-more").textContent = run.result.violations.length > TABLE_ROWS
      ? t("hlMore", { n: fmt(run.result.violations.length - TABLE_ROWS, 0) }) : "";
    $("#hl-unknown").textContent = run.result.unknown.length ? t("hlUnknown", { n: run.result.unknown.length }) : "";
    $("#hl-csv").href = `${config.analyses.runsUrl}${run.id}/csv/`;
    $("#hl-pdf").href = `${config.analyses.runsUrl}${run.id}/pdf/`;
    $("#hl-link").href = withParams(window.location.pathname, { analysis: run.id });
    $("#hl-result").hidden = false;
    this.colour(run.result.violations);
  }

  /** Colour the given buildings red (the rest pale) and say so in the legend. */
  colour(violations, legend = { title: t("hlLegend"), over: t("hlLegendOver"), ok: t("hlLegendOk") }) {
    const tileset = this.hooks.getTileset();
    if (!tileset) return;
    const ids = [...new Set(violations.map((v) => String(v.building)))].slice(0, MAX_STYLED);
    const conditions = ids.map((id) => [`\${id} === '${id}' || \${id} === ${Number(id)}`, `color('${RED}')`]);
    conditions.push(["true", "color('#d5e1f2', 0.85)"]);
    tileset.style = new Cesium.Cesium3DTileStyle({ color: { conditions } });
    const box = $("#legend");
    box.replaceChildren(el("h4", {}, legend.title), el("ul", {},
      el("li", {}, el("i", { style: { background: RED } }), legend.over),
      el("li", {}, el("i", { style: { background: "#d5e1f2" } }), legend.ok)));
    box.hidden = false;
    this.viewer.scene.requestRender();
  }

  clearResult() {
    this.run = null;
    $("#hl-result").hidden = true;
    this.hooks.restyle();
    window.history.replaceState(null, "", window.location.pathname);
  }
}

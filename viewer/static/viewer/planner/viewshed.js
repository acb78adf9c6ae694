// 可视域分析 and 通视分析: place an observer on the map (terrain or a roof), run the viewshed as a
// background job (progress, cancel), drape the visible (green) and hidden (red) cells over the
// terrain and over the city tileset's roofs and walls (the same picture, as an imagery layer of
// the globe and one of the tileset: CesiumJS drapes imagery on glTF tiles) with the visible area and a chart of what is seen at each distance, export the GeoTIFF;
// pick two points for a line of sight: the sight line drawn green up to the first obstruction and
// red behind it, the obstruction marked, the profile as a chart.  Each result has a PDF report.
/* global Cesium */

import { errorText, getJSON, post, withParams } from "../common/http.js";
import { runAnalysis } from "./analysisjob.js";
import { config, fmt, t } from "./i18n.js";
import { $, el } from "./ui.js";

const SVG = "http://www.w3.org/2000/svg";
const GREEN = Cesium.Color.fromCssColorString("#2ecc71");
const RED = Cesium.Color.fromCssColorString("#e8262a");
const OBSERVER = Cesium.Color.fromCssColorString("#36c5f0");

/**
 * The picture as imagery of the city tileset.  CesiumJS (1.145) drapes imagery on 3D Tiles at
 * level `maximumLevel − 1` of the provider, i.e. −1 for a single picture (maximumLevel 0): no
 * tile covers anything and nothing is drawn.  One level more is reported, so the tileset asks for
 * level 0, the whole picture (the globe keeps the plain provider).
 */
class TilesetPicture extends Cesium.SingleTileImageryProvider {
  get maximumLevel() {
    return 1;
  }
}

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
}

function lonLatOf(cartesian) {
  const c = Cesium.Cartographic.fromCartesian(cartesian);
  return [Cesium.Math.toDegrees(c.longitude), Cesium.Math.toDegrees(c.latitude)];
}

export class ViewshedTool {
  /**
   * @param viewer the Cesium viewer
   * @param hooks  { setTool(name), toast, getTileset() }
   */
  constructor(viewer, hooks) {
    this.viewer = viewer;
    this.hooks = hooks;
    this.source = new Cesium.CustomDataSource("viewshed");
    viewer.dataSources.add(this.source);
    this.layer = null; // the picture draped on the terrain
    this.roofLayer = null; // and on the city tileset: { tileset, layer }
    this.drape = null; // "terrain" | "terrain+tiles" while a viewshed is shown
    this.run = null; // the viewshed shown
    this.sight = null; // the line of sight shown
    this.observer = null; // [lon, lat] placed for the viewshed
    this.sightPoints = [];
    this.mode = null; // "observer" | "sight" while the map tool is on
    this.busy = false;
    this.box = $("#panel-viewshed");
    if (!this.box) return;
    for (const node of this.box.querySelectorAll("[data-needs-run]")) node.hidden = !config.analyses?.canRun;
    $("#vs-run").addEventListener("click", () => this.start());
    $("#vs-clear").addEventListener("click", () => this.clear());
    $("#los-clear").addEventListener("click", () => this.clearSight());
  }

  /** The map tool was switched on (`mode`) or off (null) by the page. */
  setMode(mode) {
    this.mode = mode;
    if (mode === "sight") {
      this.sightPoints = [];
      this.clearSight();
    }
  }

  /** A click on the map while the tool is on. */
  addPoint(cartesian) {
    if (!cartesian) return;
    const lonLat = lonLatOf(cartesian);
    if (this.mode === "observer") {
      this.observer = lonLat;
      this.drawObserver();
      $("#vs-observer").textContent = t("vsObserverAt", { lon: lonLat[0].toFixed(5), lat: lonLat[1].toFixed(5) });
      $("#vs-run").disabled = false;
      this.hooks.setTool("select");
    } else if (this.mode === "sight") {
      this.sightPoints.push(lonLat);
      this.source.entities.add({
        id: `los-pick-${this.sightPoints.length}`,
        position: Cesium.Cartesian3.fromDegrees(lonLat[0], lonLat[1]),
        point: { pixelSize: 9, color: OBSERVER, outlineColor: Cesium.Color.WHITE, outlineWidth: 2,
          heightReference: Cesium.HeightReference.CLAMP_TO_GROUND, disableDepthTestDistance: Number.POSITIVE_INFINITY },
      });
      if (this.sightPoints.length === 2) {
        this.hooks.setTool("select");
        this.lineOfSight(this.sightPoints[0], this.sightPoints[1]);
      }
    }
    this.viewer.scene.requestRender();
  }

  drawObserver() {
    this.source.entities.removeById("vs-observer");
    this.source.entities.removeById("vs-range");
    if (!this.observer) return;
    const [lon, lat] = this.observer;
    const radius = Number($("#vs-radius").value) || 1000;
    this.source.entities.add({
      id: "vs-observer",
      position: Cesium.Cartesian3.fromDegrees(lon, lat),
      point: { pixelSize: 12, color: OBSERVER, outlineColor: Cesium.Color.WHITE, outlineWidth: 2,
        heightReference: Cesium.HeightReference.CLAMP_TO_GROUND, disableDepthTestDistance: Number.POSITIVE_INFINITY },
    });
    this.source.entities.add({
      id: "vs-range",
      position: Cesium.Cartesian3.fromDegrees(lon, lat),
      ellipse: { semiMajorAxis: radius, semiMinorAxis: radius, fill: false, outline: true,
        outlineColor: OBSERVER, height: 0, heightReference: Cesium.HeightReference.CLAMP_TO_GROUND },
    });
  }

  params() {
    return {
      observer: this.observer,
      radius: Number($("#vs-radius").value),
      cell: Number($("#vs-cell").value),
      observer_height: Number($("#vs-height").value),
      target_height: Number($("#vs-target").value),
    };
  }

  async start() {
    if (!this.observer) {
      this.hooks.toast(t("vsNeedObserver"));
      return;
    }
    this.busy = true;
    $("#vs-run").disabled = true;
    try {
      const run = await runAnalysis("analysis.viewshed", this.params(), {
        progressNode: $("#vs-progress"), cancelButton: $("#vs-cancel"), toast: this.hooks.toast,
      });
      if (run) {
        this.show(run);
        window.history.replaceState(null, "", withParams(window.location.pathname, { analysis: run.id }));
      }
    } finally {
      this.busy = false;
      $("#vs-run").disabled = false;
    }
  }

  /** Show a saved viewshed run (from a job, or reopened by its link). */
  show(run) {
    this.clearLayer();
    this.run = run;
    const s = run.summary;
    this.observer = [s.observer.lon, s.observer.lat];
    $("#vs-radius").value = s.radius_m;
    this.drawObserver();
    const [w, south, e, n] = s.image_bounds;
    const options = {
      url: `${config.analyses.runsUrl}${run.id}/image/`,
      rectangle: Cesium.Rectangle.fromDegrees(w, south, e, n),
      tileWidth: 256, tileHeight: 256,
    };
    this.layer = this.viewer.imageryLayers.addImageryProvider(new Cesium.SingleTileImageryProvider(options));
    this.layer.alpha = 0.8;
    // The roofs (and walls) of the city's buildings: a layer of the tileset itself, so that a
    // roof seen from the observer shows green on the roof, not on the ground under it.
    const tileset = this.hooks.getTileset?.();
    if (tileset) {
      const layer = new Cesium.ImageryLayer(new TilesetPicture(options), { alpha: 0.9 });
      tileset.imageryLayers.add(layer);
      this.roofLayer = { tileset, layer };
    }
    this.drape = tileset ? "terrain+tiles" : "terrain";
    $("#vs-summary").textContent = t("vsSummary", {
      area: fmt(s.visible_area_m2 / 1e6, 3), m2: fmt(s.visible_area_m2, 0), share: fmt(100 * s.visible_share, 1),
      buildings: fmt(s.visible_buildings, 0),
    });
    $("#vs-meta").textContent = t("hlMeta", {
      id: run.id, who: run.created_by || "—", when: new Date(run.created_at).toLocaleString(config.language),
      version: run.model_version,
    });
    $("#vs-tif").href = `${config.analyses.runsUrl}${run.id}/raster/`;
    $("#vs-pdf").href = `${config.analyses.runsUrl}${run.id}/pdf/`;
    $("#vs-png").href = `${config.analyses.runsUrl}${run.id}/image/`;
    $("#vs-link").href = withParams(window.location.pathname, { analysis: run.id });
    this.chartBands(s.bands);
    $("#vs-result").hidden = false;
    this.viewer.scene.requestRender();
  }

  /** Visible share per distance band, as bars. */
  chartBands(bands) {
    const width = 260;
    const height = 90;
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "vs-chart", role: "img",
      "aria-label": t("vsChart") });
    const barW = (width - 30) / Math.max(1, bands.length);
    bands.forEach((band, i) => {
      const h = Math.max(1, band.share * (height - 28));
      const x = 26 + i * barW;
      const bar = svg("rect", { x: x + 2, y: height - 16 - h, width: barW - 4, height: h, fill: "#2ecc71" });
      const title = svg("title");
      title.textContent = t("vsBand", { from: fmt(band.from_m, 0), to: fmt(band.to_m, 0), share: fmt(100 * band.share, 1) });
      bar.append(title);
      chart.append(bar);
      const label = svg("text", { x: x + barW / 2, y: height - 4, "text-anchor": "middle", class: "vs-axis" });
      label.textContent = fmt(band.to_m / 1000, 1);
      chart.append(label);
    });
    for (const [value, y] of [["100%", 12], ["0", height - 16]]) {
      const label = svg("text", { x: 22, y, "text-anchor": "end", class: "vs-axis" });
      label.textContent = value;
      chart.append(label);
    }
    $("#vs-chart").replaceChildren(chart, el("div", { class: "muted small" }, t("vsChartAxis")));
  }

  // --- line of sight -----------------------------------------------------------------------------

  async lineOfSight(a, b) {
    const body = {
      observer: a, target: b,
      observer_height: Number($("#los-h1").value), target_height: Number($("#los-h2").value),
      cell: 1,
    };
    try {
      const run = await post(config.analyses.lineOfSightUrl, body);
      await this.showSight(run);
    } catch (error) {
      this.hooks.toast(errorText(error));
      this.clearSight();
    }
  }

  async geoid(lon, lat) {
    try {
      const h = await getJSON(withParams(config.analyses.terrainHeightUrl, { lon, lat }));
      if (Number.isFinite(h.height) && Number.isFinite(h.ellipsoidal_height)) return h.ellipsoidal_height - h.height;
    } catch { /* no DEM here */ }
    return 0;
  }

  async showSight(run) {
    this.clearSight();
    this.sight = run;
    const s = run.summary;
    const n = await this.geoid(s.observer.lon, s.observer.lat);
    const at = (lon, lat, h) => Cesium.Cartesian3.fromDegrees(lon, lat, h + n);
    const eye = at(s.observer.lon, s.observer.lat, s.observer.eye_m);
    const aim = at(s.target.lon, s.target.lat, s.target.aim_m);
    const line = (id, positions, color) => this.source.entities.add({
      id, polyline: { positions, width: 4, material: color, depthFailMaterial: new Cesium.PolylineDashMaterialProperty({ color }) },
    });
    if (s.visible) {
      line("los-line", [eye, aim], GREEN);
    } else {
      const o = s.obstruction;
      const block = at(o.lon, o.lat, o.sight_m);
      line("los-line", [eye, block], GREEN);
      line("los-hidden", [block, aim], RED);
      this.source.entities.add({
        id: "los-obstruction",
        position: at(o.lon, o.lat, o.surface_m),
        point: { pixelSize: 12, color: RED, outlineColor: Cesium.Color.WHITE, outlineWidth: 2,
          disableDepthTestDistance: Number.POSITIVE_INFINITY },
      });
    }
    for (const [id, p, h] of [["los-a", s.observer, s.observer.eye_m], ["los-b", s.target, s.target.aim_m]]) {
      this.source.entities.add({
        id, position: at(p.lon, p.lat, h),
        point: { pixelSize: 9, color: OBSERVER, outlineColor: Cesium.Color.WHITE, outlineWidth: 2,
          disableDepthTestDistance: Number.POSITIVE_INFINITY },
      });
    }
    const o = s.obstruction;
    $("#los-summary").textContent = s.visible
      ? t("losVisible", { length: fmt(s.length_m, 0) })
      : t(o.building ? "losBlockedBuilding" : "losBlockedTerrain", {
        length: fmt(s.length_m, 0), at: fmt(o.distance_m, 0), building: o.building,
        over: fmt(o.surface_m - o.sight_m, 1),
      });
    $("#los-summary").classList.toggle("blocked", !s.visible);
    this.chartProfile(run.result.profile, s);
    $("#los-pdf").href = `${config.analyses.runsUrl}${run.id}/pdf/`;
    $("#los-result").hidden = false;
    this.viewer.scene.requestRender();
  }

  /** The surface under the sight line and the sight line itself. */
  chartProfile(profile, s) {
    const width = 260;
    const height = 110;
    const d = profile.distance_m;
    const zs = profile.surface_m.filter((v) => v !== null);
    const lo = Math.min(...zs, ...profile.sight_m);
    const hi = Math.max(...zs, ...profile.sight_m);
    const x = (v) => 4 + (v / d[d.length - 1]) * (width - 8);
    const y = (v) => height - 14 - ((v - lo) / Math.max(1, hi - lo)) * (height - 24);
    const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "vs-chart", role: "img",
      "aria-label": t("losChart") });
    const ground = d.map((v, i) => (profile.surface_m[i] === null ? null : `${x(v)},${y(profile.surface_m[i])}`))
      .filter(Boolean);
    chart.append(svg("polygon", { points: `${x(0)},${height - 14} ${ground.join(" ")} ${x(d[d.length - 1])},${height - 14}`,
      fill: "#7f8c8d", "fill-opacity": "0.6" }));
    chart.append(svg("polyline", { points: d.map((v, i) => `${x(v)},${y(profile.sight_m[i])}`).join(" "),
      fill: "none", stroke: s.visible ? "#2ecc71" : "#e8262a", "stroke-width": "2" }));
    if (s.obstruction) {
      chart.append(svg("circle", { cx: x(s.obstruction.distance_m), cy: y(s.obstruction.surface_m), r: 4, fill: "#e8262a" }));
    }
    const label = svg("text", { x: width - 4, y: height - 2, "text-anchor": "end", class: "vs-axis" });
    label.textContent = `${fmt(d[d.length - 1], 0)} m`;
    chart.append(label);
    $("#los-chart").replaceChildren(chart);
  }

  clearSight() {
    for (const id of ["los-line", "los-hidden", "los-obstruction", "los-a", "los-b"]) this.source.entities.removeById(id);
    if (this.mode !== "sight") {
      this.source.entities.removeById("los-pick-1");
      this.source.entities.removeById("los-pick-2");
    }
    this.sight = null;
    const box = $("#los-result");
    if (box) box.hidden = true;
    this.viewer.scene.requestRender();
  }

  clearLayer() {
    if (this.layer) this.viewer.imageryLayers.remove(this.layer, true);
    if (this.roofLayer && !this.roofLayer.tileset.isDestroyed()) {
      this.roofLayer.tileset.imageryLayers.remove(this.roofLayer.layer, true);
    }
    this.layer = null;
    this.roofLayer = null;
    this.drape = null;
  }

  clear() {
    this.clearLayer();
    this.run = null;
    this.observer = null;
    this.drawObserver();
    $("#vs-result").hidden = true;
    $("#vs-observer").textContent = t("vsNoObserver");
    window.history.replaceState(null, "", window.location.pathname);
    this.viewer.scene.requestRender();
  }
}

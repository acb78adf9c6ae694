// 淹没分析: run a flood (a water level, or a rise above the river), drape its depth over the city,
// list what it reaches, and — for the control room — close the flooded roads with one click so
// that dispatch routes around the water.
/* global Cesium */

import { errorText, post, withParams } from "../common/http.js";
import { runAnalysis } from "./analysisjob.js";
import { config, fmt, t } from "./i18n.js";
import { $ } from "./ui.js";

export class FloodTool {
  constructor(viewer, hooks) {
    this.viewer = viewer;
    this.hooks = hooks;
    this.layer = null;
    this.run = null;
    this.box = $("#panel-flood");
    if (!this.box) return;
    for (const node of this.box.querySelectorAll("[data-needs-run]")) node.hidden = !config.analyses?.canRun;
    $("#fl-close-roads").hidden = !config.analyses?.closuresUrl;
    $("#fl-mode").addEventListener("change", () => this.syncMode());
    $("#fl-run").addEventListener("click", () => this.start());
    $("#fl-clear").addEventListener("click", () => this.clear());
    $("#fl-close-roads").addEventListener("click", () => this.closeRoads());
    this.syncMode();
  }

  syncMode() {
    const rise = $("#fl-mode").value === "rise";
    $("#fl-value").value = rise ? "2" : $("#fl-value").value || "1140";
    $("#fl-unit").textContent = rise ? t("flRiseUnit") : t("flLevelUnit");
  }

  /** The part of the city in view (west, south, east, north), or null for the whole city. */
  viewExtent() {
    const rect = this.viewer.camera.computeViewRectangle();
    if (!rect) return null;
    const deg = [rect.west, rect.south, rect.east, rect.north].map((r) => Cesium.Math.toDegrees(r));
    return deg[2] - deg[0] < 0.25 && deg[3] - deg[1] < 0.25 ? deg : null;
  }

  async start() {
    const value = Number($("#fl-value").value);
    const body = { cell: Number($("#fl-cell").value) || 5 };
    body[$("#fl-mode").value] = value;
    if ($("#fl-scope").value === "view") {
      const extent = this.viewExtent();
      if (extent) body.extent = extent;
    }
    $("#fl-run").disabled = true;
    try {
      const run = await runAnalysis("analysis.flood", body, {
        progressNode: $("#fl-progress"), cancelButton: $("#fl-cancel"), toast: this.hooks.toast,
      });
      if (run) {
        this.show(run);
        window.history.replaceState(null, "", withParams(window.location.pathname, { analysis: run.id }));
      }
    } finally {
      $("#fl-run").disabled = false;
    }
  }

  show(run) {
    this.clearLayer();
    this.run = run;
    const s = run.summary;
    const [w, south, e, n] = s.image_bounds;
    this.layer = this.viewer.imageryLayers.addImageryProvider(new Cesium.SingleTileImageryProvider({
      url: `${config.analyses.runsUrl}${run.id}/depth/`,
      rectangle: Cesium.Rectangle.fromDegrees(w, south, e, n),
      tileWidth: 256, tileHeight: 256,
    }));
    this.layer.alpha = 0.85;
    $("#fl-summary").textContent = t("flSummary", {
      area: fmt(s.flooded_area_m2 / 1e6, 2), depth: fmt(s.max_depth_m, 1), buildings: fmt(s.buildings, 0),
      people: fmt(s.people_estimate, 0), roads: fmt(s.road_segments, 0),
    });
    $("#fl-meta").textContent = t("hlMeta", {
      id: run.id, who: run.created_by || "—", when: new Date(run.created_at).toLocaleString(config.language),
      version: run.model_version,
    });
    $("#fl-close-roads").disabled = !run.result.roads.length;
    $("#fl-result").hidden = false;
    this.hooks.colour(run.result.buildings.map((b) => b.building));
    this.viewer.scene.requestRender();
  }

  async closeRoads() {
    if (!this.run || !config.analyses.closuresUrl) return;
    const segments = this.run.result.roads.map((r) => r.segment);
    try {
      const closure = await post(config.analyses.closuresUrl, {
        reason: "flood", segments, note: t("flClosureNote", { id: this.run.id }),
      });
      this.closure = closure;
      $("#fl-close-roads").disabled = true;
      this.hooks.toast(t("flClosed", { n: segments.length }), { kind: "info", ms: 4000 });
    } catch (error) {
      this.hooks.toast(errorText(error));
    }
  }

  clearLayer() {
    if (this.layer) this.viewer.imageryLayers.remove(this.layer, true);
    this.layer = null;
  }

  clear() {
    this.clearLayer();
    this.run = null;
    $("#fl-result").hidden = true;
    this.hooks.restyle();
    window.history.replaceState(null, "", window.location.pathname);
    this.viewer.scene.requestRender();
  }
}

// 日照分析: pick a building, run the analysis as a background job (progress, cancel), see the hours
// of sun of every window sill as a coloured grid on its façades in 3D (legend), the floors short of
// the standard listed, and links to the CSV, the PDF report and this very result.
/* global Cesium */

import { fill } from "../common/dom.js";
import { SUN_COLOURS, SUN_STOPS, facadeGrid } from "../common/sungrid.js";
import { getJSON, withParams } from "../common/http.js";
import { cancelJob, errorText, followJob, jobProgress, submitJob } from "../common/jobs.js";
import { config, fmt, t } from "./i18n.js";
import { $, el } from "./ui.js";

export { SUN_COLOURS, SUN_STOPS, sunColour } from "../common/sungrid.js";

export class SunlightTool {
  /** @param hooks { selectedBuilding() → id or null, toast } */
  constructor(viewer, hooks) {
    this.viewer = viewer;
    this.hooks = hooks;
    this.run = null;
    this.job = null;
    this.primitive = null;
    this.cells = 0; // wall quads drawn (one per calculation point)
    this.building = null;
    this.plan = []; // the planned building's outline (Cartesian3), drawn on the map
    this.drawing = false;
    this.planSource = new Cesium.CustomDataSource("sunlight-plan");
    viewer.dataSources.add(this.planSource);
    this.box = $("#panel-sunlight");
    if (!this.box) return;
    for (const node of this.box.querySelectorAll("[data-needs-run]")) node.hidden = !config.analyses?.canRun;
    $("#sl-year").value = String(new Date().getFullYear());
    $("#sl-pick").addEventListener("click", () => this.pick());
    $("#sl-run").addEventListener("click", () => this.start({ building: this.building }));
    $("#sl-impact").addEventListener("click", () => this.start({ planned: this.planned() }));
    $("#sl-cancel").addEventListener("click", () => this.cancel());
    $("#sl-clear").addEventListener("click", () => this.clear());
  }

  pick() {
    const id = this.hooks.selectedBuilding();
    if (!id) {
      this.hooks.toast(t("slPickFirst"));
      return;
    }
    this.building = Number(id);
    $("#sl-building").textContent = t("slChosen", { id });
    $("#sl-run").disabled = false;
  }

  // --- the planned building: an outline drawn on the map and a height ---------------------------

  startPlan() {
    this.drawing = true;
    this.plan = [];
    this.drawPlan();
    $("#sl-impact").disabled = true;
  }

  addPoint(point) {
    if (!this.drawing || !point) return;
    this.plan.push(point);
    this.drawPlan();
  }

  finishPlan() {
    if (!this.drawing) return;
    this.drawing = false;
    if (this.plan.length < 3) {
      this.hooks.toast(t("hlNeedThree"));
      this.plan = [];
    }
    this.drawPlan();
    $("#sl-impact").disabled = this.plan.length < 3;
  }

  drawPlan() {
    this.planSource.entities.removeAll();
    if (!this.plan.length) return;
    const colour = Cesium.Color.fromCssColorString("#36c5f0");
    if (this.plan.length >= 3 && !this.drawing) {
      this.planSource.entities.add({ polygon: {
        hierarchy: this.plan, extrudedHeight: Number($("#sl-plan-height").value) || 0,
        heightReference: Cesium.HeightReference.CLAMP_TO_GROUND,
        extrudedHeightReference: Cesium.HeightReference.RELATIVE_TO_GROUND,
        material: colour.withAlpha(0.55), outline: false,
      } });
    } else {
      for (const position of this.plan) {
        this.planSource.entities.add({ position, point: { pixelSize: 7, color: colour,
          disableDepthTestDistance: Number.POSITIVE_INFINITY } });
      }
    }
    this.viewer.scene.requestRender();
  }

  /** The planned building as the job takes it: a GeoJSON polygon in lon/lat and a height. */
  planned() {
    const ring = this.plan.map((p) => {
      const c = Cesium.Cartographic.fromCartesian(p);
      return [Cesium.Math.toDegrees(c.longitude), Cesium.Math.toDegrees(c.latitude)];
    });
    return {
      geometry: { type: "Polygon", coordinates: [[...ring, ring[0]]] },
      height: Number($("#sl-plan-height").value), name: t("slPlanned"),
    };
  }

  params(target) {
    return {
      ...target,
      day: $("#sl-day").value,
      year: Number($("#sl-year").value),
      step_min: Number($("#sl-step").value),
      spacing_m: Number($("#sl-spacing").value),
      radius_m: Number($("#sl-radius").value),
      terrain: $("#sl-terrain").checked,
    };
  }

  async start(target) {
    if (!target.building && !target.planned) {
      this.hooks.toast(t("slPickFirst"));
      return;
    }
    $("#sl-run").disabled = true;
    $("#sl-impact").disabled = true;
    $("#sl-cancel").hidden = false;
    try {
      const jobsUrl = config.analyses.jobsUrl;
      this.job = await submitJob(jobsUrl, { kind: "analysis.sunlight", params: this.params(target) });
      const bar = jobProgress(t);
      bar.update(this.job);
      fill($("#sl-progress"), bar);
      const job = await followJob(jobsUrl, this.job.id, { onUpdate: (j) => bar.update(j) });
      this.job = null;
      if (job.status === "succeeded") {
        const run = await getJSON(`${config.analyses.runsUrl}${job.result.analysis_run}/`);
        this.show(run);
        window.history.replaceState(null, "", withParams(window.location.pathname, { analysis: run.id }));
      } else if (job.status === "failed") {
        this.hooks.toast(job.error || t("slFailed"));
      }
    } catch (error) {
      this.hooks.toast(errorText(error));
    } finally {
      $("#sl-run").disabled = !this.building;
      $("#sl-impact").disabled = this.plan.length < 3;
      $("#sl-cancel").hidden = true;
    }
  }

  async cancel() {
    if (!this.job) return;
    try {
      await cancelJob(config.analyses.jobsUrl, this.job.id);
    } catch (error) {
      this.hooks.toast(errorText(error));
    }
  }

  show(run) {
    this.clearGrid();
    this.run = run;
    const s = run.summary;
    const buildings = run.result.buildings || [];
    this.primitive = this.viewer.scene.primitives.add(this.grid(buildings, s.mode === "impact"));
    const first = buildings[0];
    $("#sl-summary").textContent = s.mode === "impact"
      ? t("slImpactSummary", { n: s.buildings, affected: s.affected, lost: fmt(s.max_lost, 2), newly: s.points_newly_failing })
      : t("slSummary", {
        day: s.day === "dahan" ? t("slDahan") : t("slDongzhi"), date: s.date, points: fmt(s.points, 0),
        required: fmt(s.required_hours, 1), min: fmt(s.min_hours, 2), obstacles: fmt(s.obstacles, 0),
      });
    const failing = first?.floors_failing || [];
    const partly = first?.floors_partly || [];
    $("#sl-floors").replaceChildren(
      el("li", {}, t("slFloorsFailing", { floors: failing.length ? failing.join("、") : t("slNone") })),
      el("li", {}, t("slFloorsPartly", { floors: partly.length ? partly.join("、") : t("slNone") })),
    );
    $("#sl-meta").textContent = t("hlMeta", {
      id: run.id, who: run.created_by || "—", when: new Date(run.created_at).toLocaleString(config.language),
      version: run.model_version,
    });
    $("#sl-csv").href = `${config.analyses.runsUrl}${run.id}/csv/`;
    $("#sl-pdf").href = `${config.analyses.runsUrl}${run.id}/pdf/`;
    $("#sl-link").href = withParams(window.location.pathname, { analysis: run.id });
    $("#sl-result").hidden = false;
    this.legend(s);
    if (first?.columns.length) this.flyTo(first);
    this.viewer.scene.requestRender();
  }

  /** One wall quad per calculation point: its stretch of façade on its floor, coloured by hours. */
  grid(buildings, impact) {
    const { primitive, cells } = facadeGrid(buildings, (b) => (impact && b.hours_after ? b.hours_after : b.hours));
    this.cells = cells;
    return primitive;
  }

  legend(s) {
    const box = $("#legend");
    const items = SUN_STOPS.map((stop, i) => el("li", {},
      el("i", { style: { background: SUN_COLOURS[i] } }), t("slHoursAtLeast", { h: stop })));
    box.replaceChildren(el("h4", {}, t("slLegend", { required: fmt(s.required_hours, 1) })), el("ul", {}, ...items));
    box.hidden = false;
  }

  flyTo(b) {
    const lons = b.columns.map((c) => c.lon);
    const lats = b.columns.map((c) => c.lat);
    const lon = (Math.min(...lons) + Math.max(...lons)) / 2;
    const lat = (Math.min(...lats) + Math.max(...lats)) / 2;
    const n = b.columns[0].n;
    const span = b.z[b.z.length - 1] - b.z[0] + b.storey_m;
    // from the south-east: the sunny south façade and the east one, which has the morning only
    this.viewer.camera.lookAt(Cesium.Cartesian3.fromDegrees(lon, lat, b.z[0] + n + span / 2),
      new Cesium.HeadingPitchRange(Cesium.Math.toRadians(-40), Cesium.Math.toRadians(-18), Math.max(150, 2.4 * span)));
    this.viewer.camera.lookAtTransform(Cesium.Matrix4.IDENTITY);
  }

  clearGrid() {
    if (this.primitive) this.viewer.scene.primitives.remove(this.primitive);
    this.primitive = null;
    this.cells = 0;
  }

  clear() {
    this.clearGrid();
    this.run = null;
    this.plan = [];
    this.drawPlan();
    $("#sl-result").hidden = true;
    $("#legend").hidden = true;
    window.history.replaceState(null, "", window.location.pathname);
    this.viewer.scene.requestRender();
  }
}

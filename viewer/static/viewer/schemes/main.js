// 方案比对: upload design schemes, show two or three side by side in linked 3D views (each scheme
// standing in for the city's buildings on its site), compare their indicators, save the comparison
// with a picture of each view and export the PDF.  `window.schemePage` is the test hook.
/* global Cesium */

import { $, el, fill, messageBox } from "../common/dom.js";
import { errorText, getJSON, post, send, withParams } from "../common/http.js";
import { createI18n, readJSON } from "../common/i18n.js";
import { cancelJob, followJob, jobProgress, submitJob } from "../common/jobs.js";
import { DEFAULT_BUILDING_COLOR, createViewer, loadTerrain, loadTileset } from "../common/scene.js";
import { SUN_COLOURS, SUN_STOPS, facadeGrid } from "../common/sungrid.js";

const config = readJSON("scheme-config");
const { t, fmt, fmtInt } = createI18n({ catalogue: readJSON("scheme-i18n"), language: config.language });
const toast = messageBox("#toast", "planner-toast");
const SCHEME_COLOURS = ["#f39c34", "#36c5f0", "#b07cf0"];

const state = {
  city: null, schemes: [], panes: [], compared: [], run: null, lastView: null, errors: [], sunJob: null, sunStop: false,
};

for (const node of document.querySelectorAll("[data-needs-run]")) node.hidden = !config.canRun;

// --- the list of schemes ------------------------------------------------------------------------

const pct = (x) => (x === null || x === undefined ? "—" : `${fmt(x * 100, 1)}%`);

async function loadSchemes() {
  state.schemes = await getJSON(config.schemesUrl);
  const list = $("#sc-list");
  fill(list, state.schemes.map((s) => el("li", { dataset: { id: s.id } },
    el("input", { type: "checkbox", value: s.id, "aria-label": s.name }),
    el("strong", {}, s.name),
    config.canRun ? el("button", { type: "button", class: "ghost del", title: "×", onclick: () => remove(s) }, "×") : "",
    el("span", { class: "sub" }, t("schemeLine", {
      n: fmtInt(s.indicators.buildings), far: Number(s.indicators.far).toFixed(2), coverage: pct(s.indicators.coverage),
    })))));
  $("#sc-empty").textContent = t("noSchemes");
  $("#sc-empty").hidden = state.schemes.length > 0;
}

async function remove(scheme) {
  if (!window.confirm(t("confirmDelete", { name: scheme.name }))) return;
  try {
    await send("DELETE", `${config.schemesUrl}${scheme.id}/`);
    toast(t("deleted", { name: scheme.name }), { kind: "info", ms: 3000 });
    await loadSchemes();
  } catch (error) {
    toast(errorText(error));
  }
}

$("#sc-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  if (!form.get("green")?.size) form.delete("green");
  // The IFC placement is optional: fields left empty are not sent.
  for (const name of ["lon", "lat", "rotation", "base_height"]) if (form.get(name) === "") form.delete(name);
  $("#sc-upload").disabled = true;
  $("#sc-busy").hidden = false;
  try {
    const scheme = await send("POST", config.schemesUrl, form);
    toast(t("uploaded", { name: scheme.name, n: scheme.indicators.buildings }), { kind: "info", ms: 4000 });
    event.target.reset();
    await loadSchemes();
  } catch (error) {
    toast(errorText(error));
  } finally {
    $("#sc-upload").disabled = false;
    $("#sc-busy").hidden = true;
  }
});

// --- the 3D panes ----------------------------------------------------------------------------------

function ring(coords, base) {
  return Cesium.Cartesian3.fromDegreesArrayHeights(coords.flatMap(([lon, lat]) => [lon, lat, base]));
}

function hierarchy(polygon) {
  const [outer, ...holes] = polygon;
  return new Cesium.PolygonHierarchy(Cesium.Cartesian3.fromDegreesArray(outer.flat()),
    holes.map((h) => new Cesium.PolygonHierarchy(Cesium.Cartesian3.fromDegreesArray(h.flat()))));
}

function polygonsOf(geometry) {
  return geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
}

/** The scheme's buildings as extruded volumes, its site line and green areas. */
function drawScheme(viewer, detail, colour) {
  const features = detail.buildings.features;
  const bases = features.map((f) => f.properties.base).filter((b) => b !== null);
  const ground = bases.length ? Math.min(...bases) : 0;
  const volume = Cesium.Color.fromCssColorString(colour).withAlpha(0.92);
  for (const f of features) {
    const p = f.properties;
    const absolute = p.base !== null;
    for (const polygon of polygonsOf(f.geometry)) {
      viewer.entities.add({
        name: p.name || p.source_id,
        properties: { scheme: detail.id, source_id: p.source_id, height: p.height, floors: p.floors, use: p.use },
        polygon: {
          hierarchy: hierarchy(polygon),
          height: absolute ? p.base : 0,
          extrudedHeight: (absolute ? p.base : 0) + p.height,
          heightReference: absolute ? Cesium.HeightReference.NONE : Cesium.HeightReference.RELATIVE_TO_GROUND,
          extrudedHeightReference: absolute ? Cesium.HeightReference.NONE : Cesium.HeightReference.RELATIVE_TO_GROUND,
          material: volume, outline: true, outlineColor: Cesium.Color.WHITE.withAlpha(0.6),
        },
      });
    }
  }
  for (const polygon of detail.green ? polygonsOf(detail.green) : []) {
    viewer.entities.add({ polygon: { hierarchy: hierarchy(polygon), height: ground + 0.3,
      material: Cesium.Color.fromCssColorString("#5cb85c").withAlpha(0.7) } });
  }
  viewer.entities.add({ polyline: { positions: ring(detail.site.coordinates[0], ground + 0.6), width: 3,
    material: new Cesium.PolylineDashMaterialProperty({ color: Cesium.Color.fromCssColorString("#ff4d4f") }) } });
  return ground;
}

/** Hide the city's buildings the scheme replaces (by feature id, through the tileset's style). */
function hideReplaced(tileset, ids) {
  const style = { color: DEFAULT_BUILDING_COLOR };
  if (ids.length) style.show = `!regExp('^(${ids.join("|")})$').test(\${id})`;
  tileset.style = new Cesium.Cesium3DTileStyle(style);
}

function siteView(detail, ground) {
  const coords = detail.site.coordinates[0];
  const lons = coords.map((c) => c[0]);
  const lats = coords.map((c) => c[1]);
  const lon = (Math.min(...lons) + Math.max(...lons)) / 2;
  const lat = (Math.min(...lats) + Math.max(...lats)) / 2;
  const span = Math.max((Math.max(...lons) - Math.min(...lons)) * 111320 * Math.cos(lat * Math.PI / 180),
    (Math.max(...lats) - Math.min(...lats)) * 110540);
  const tallest = Math.max(0, ...detail.buildings.features.map((f) => f.properties.height));
  return { target: Cesium.Cartesian3.fromDegrees(lon, lat, ground + tallest / 3),
    offset: new Cesium.HeadingPitchRange(Cesium.Math.toRadians(20), Cesium.Math.toRadians(-35), Math.max(250, span * 2.6)) };
}

/** Copy the camera of pane `index` to the others (after its frame, not while it is drawn). */
function syncFrom(index) {
  const camera = state.panes[index].viewer.camera;
  state.lastView = Cesium.Matrix4.clone(camera.viewMatrix);
  state.panes.forEach((other, j) => {
    if (j === index) return;
    other.viewer.camera.setView({ destination: Cesium.Cartesian3.clone(camera.positionWC),
      orientation: { direction: Cesium.Cartesian3.clone(camera.directionWC), up: Cesium.Cartesian3.clone(camera.upWC) } });
    other.lastSynced = Cesium.Matrix4.clone(other.viewer.camera.viewMatrix);
    other.viewer.scene.requestRender();
  });
}

function linkCameras() {
  state.panes.forEach((pane, index) => {
    pane.viewer.scene.postRender.addEventListener(() => {
      if (!$("#sc-link").checked) return;
      const matrix = pane.viewer.camera.viewMatrix;
      // A pane whose camera was set by the link does not send it back.
      if (pane.lastSynced && Cesium.Matrix4.equalsEpsilon(matrix, pane.lastSynced, 1e-6)) return;
      if (state.lastView && Cesium.Matrix4.equalsEpsilon(matrix, state.lastView, 1e-6)) return;
      pane.lastSynced = null;
      setTimeout(() => syncFrom(index), 0);
    });
  });
}

async function makePane(detail, colour) {
  const box = el("div", { class: "sc-pane", dataset: { scheme: detail.id } },
    el("div", { class: "sc-map" }),
    el("div", { class: "sc-label" }, detail.name, el("span", { class: "sc-sub" }, t("replaces", { n: detail.replaces.length }))));
  $("#sc-views").append(box);
  const viewer = createViewer(box.querySelector(".sc-map"), $("#credits"));
  const pane = { viewer, detail, box, tileset: null };
  if (state.city.terrain_url) {
    const terrain = await loadTerrain(state.city.terrain_url, (message) => state.errors.push(`terrain: ${message}`));
    if (terrain) viewer.terrainProvider = terrain;
  }
  if (state.city.tileset_url) {
    pane.tileset = await loadTileset(state.city.tileset_url);
    hideReplaced(pane.tileset, detail.replaces);
    viewer.scene.primitives.add(pane.tileset);
  }
  const ground = drawScheme(viewer, detail, colour);
  const view = siteView(detail, ground);
  viewer.camera.lookAt(view.target, view.offset);
  viewer.camera.lookAtTransform(Cesium.Matrix4.IDENTITY);
  viewer.scene.requestRender();
  return pane;
}

function clearPanes() {
  for (const pane of state.panes) pane.viewer.destroy();
  state.panes = [];
  state.lastView = null;
  $("#sc-views").replaceChildren();
}

// --- the indicator table -----------------------------------------------------------------------------

const ROWS = [
  ["siteArea", (i) => i.site_area_m2, (v) => fmtInt(v)],
  ["buildings", (i) => i.buildings, (v) => fmtInt(v)],
  ["gfa", (i) => i.gross_floor_area_m2, (v) => fmtInt(v)],
  ["far", (i) => i.far, (v) => Number(v).toFixed(2)],
  ["coverage", (i) => i.coverage, pct],
  ["greenRatio", (i) => i.green_ratio, pct],
  ["maxHeight", (i) => i.max_height_m, (v) => fmt(v, 1)],
  ["maxFloors", (i) => i.max_floors, (v) => fmtInt(v)],
];

function renderTable(details) {
  const head = el("tr", {}, el("th", {}, t("indicator")), details.map((d, k) => el("th", { style: { color: SCHEME_COLOURS[k] } }, d.name)));
  const rows = ROWS.map(([key, get, show]) => {
    const values = details.map((d) => get(d.indicators));
    const top = Math.max(...values.filter((v) => v !== null && v !== undefined), 0) || 1;
    return el("tr", { dataset: { row: key } }, el("th", {}, t(key)), values.map((v) => el("td", { class: "num" },
      v === null || v === undefined ? "" : el("div", { class: "bar", style: { width: `${Math.round((v / top) * 100)}%` } }),
      el("span", {}, v === null || v === undefined ? "—" : show(v)))));
  });
  const over = el("tr", { dataset: { row: "heightOver" } }, el("th", {}, t("heightOver")), details.map((d) => {
    const h = d.indicators.height_limit || {};
    if (!h.zones) return el("td", { class: "num" }, t("heightNoZone"));
    return el("td", { class: h.buildings_over ? "num over" : "num" },
      h.buildings_over ? `${fmtInt(h.buildings_over)} (+${fmt(h.max_excess, 1)} m)` : "0");
  }));
  const sunOwn = el("tr", { dataset: { row: "sunOwn" } }, el("th", {}, t("sunOwn")), details.map(sunOwnCell));
  const sunNear = el("tr", { dataset: { row: "sunNear" } }, el("th", {}, t("sunNear")), details.map(sunNearCell));
  const sunReport = el("tr", { dataset: { row: "sunReport" } }, el("th", {}, t("sunReport")), details.map((d) => {
    const s = d.indicators.sunlight;
    return el("td", {}, s ? el("a", { href: `${config.runsUrl}${s.run}/pdf/`, target: "_blank", rel: "noopener" }, "PDF") : "—");
  }));
  fill($("#sc-table"), el("thead", {}, head), el("tbody", {}, rows, over, sunOwn, sunNear, sunReport));
  $("#sc-table-wrap").hidden = false;
}

const floorList = (floors) => (floors.length ? floors.join("、") : t("sunNoFloor"));

/** The scheme's dwellings: buildings with a whole floor short of the standard, and those floors. */
function sunOwnCell(detail) {
  const s = detail.indicators.sunlight;
  if (!s) return el("td", { class: "num muted" }, t("sunNone"));
  if (!s.dwellings) return el("td", { class: "num" }, t("sunNoDwellings"));
  const title = s.per_building.map((b) => t("sunOwnTitle", {
    name: b.name, floors: floorList(b.floors_failing), partly: floorList(b.floors_partly),
  })).join("\n");
  return el("td", { class: s.dwellings_failing ? "num over" : "num", title },
    t("sunOwnCell", { failing: fmtInt(s.dwellings_failing), total: fmtInt(s.dwellings), floors: fmtInt(s.floors_failing) }));
}

/** The neighbours: the most hours a point loses, the buildings losing any. */
function sunNearCell(detail) {
  const s = detail.indicators.sunlight;
  if (!s) return el("td", { class: "num muted" }, t("sunNone"));
  if (!s.neighbours) return el("td", { class: "num" }, t("sunNoNeighbours"));
  return el("td", { class: s.points_newly_failing ? "num over" : "num" },
    t("sunNearCell", { lost: Number(s.max_lost).toFixed(2), affected: fmtInt(s.affected), total: fmtInt(s.neighbours) }));
}

// --- sunlight: the job per compared scheme, the façade grid in its pane ----------------------------

/** The hours of the scheme's last sunlight run on the façades of its pane: the scheme's dwellings,
 *  and the neighbours with the scheme in place. */
async function drawSun(pane) {
  if (pane.sun) pane.viewer.scene.primitives.remove(pane.sun);
  pane.sun = null;
  pane.sunCells = 0;
  const s = pane.detail.indicators.sunlight;
  if (!s) return;
  const run = await getJSON(`${config.runsUrl}${s.run}/`);
  const { primitive, cells } = facadeGrid(run.result.buildings || [], (b) => b.hours_after || b.hours);
  pane.sun = pane.viewer.scene.primitives.add(primitive);
  pane.sunCells = cells;
  showLegend(s.required_hours);
  pane.viewer.scene.requestRender();
}

function showLegend(required) {
  const items = SUN_STOPS.map((stop, i) => el("li", {},
    el("i", { style: { background: SUN_COLOURS[i] } }), t("sunHoursAtLeast", { h: stop })));
  fill($("#sc-legend"), el("li", { class: "head" }, t("sunLegend", { required: fmt(required, 1) })), items);
  $("#sc-legend").hidden = false;
}

function sunParams() {
  return {
    spacing_m: Number($("#sc-sun-spacing").value),
    step_min: Number($("#sc-sun-step").value),
    radius_m: Number($("#sc-sun-radius").value),
    neighbour_radius_m: Number($("#sc-sun-near").value),
    terrain: $("#sc-sun-terrain").checked,
  };
}

/** Run the sunlight job of each compared scheme in turn (progress bar, cancellable). */
async function runSunlight() {
  const params = sunParams();
  const finished = [];
  state.sunStop = false;
  $("#sc-sun-run").disabled = true;
  $("#sc-sun-cancel").hidden = false;
  try {
    for (const [k, pane] of state.panes.entries()) {
      if (state.sunStop) break;
      const { detail } = pane;
      $("#sc-sun-status").textContent = t("sunRunning", { name: detail.name, k: k + 1, n: state.panes.length });
      state.sunJob = await submitJob(config.jobsUrl, { kind: "analysis.scheme_sunlight", params: { scheme: detail.id, ...params } });
      const bar = jobProgress(t);
      bar.update(state.sunJob);
      fill($("#sc-sun-progress"), bar);
      const job = await followJob(config.jobsUrl, state.sunJob.id, { onUpdate: (j) => bar.update(j) });
      state.sunJob = null;
      if (job.status !== "succeeded") {
        if (job.status === "failed") toast(job.error || t("sunFailed", { name: detail.name }));
        break;
      }
      detail.indicators = (await getJSON(`${config.schemesUrl}${detail.id}/`)).indicators;
      renderTable(state.compared);
      await drawSun(pane);
      finished.push(detail.name);
    }
    $("#sc-sun-status").textContent = finished.length ? t("sunDone", { names: finished.join("、") }) : "";
    if (finished.length && state.run) {
      // the saved comparison holds the indicators as they were: save again to report the sunlight
      state.run = null;
      $("#sc-saved").hidden = true;
      $("#sc-pdf").hidden = true;
      $("#sc-csv").hidden = true;
    }
  } catch (error) {
    toast(errorText(error));
  } finally {
    state.sunJob = null;
    $("#sc-sun-run").disabled = false;
    $("#sc-sun-cancel").hidden = true;
  }
  return finished;
}

$("#sc-sun-form").addEventListener("submit", (event) => {
  event.preventDefault();
  runSunlight();
});
$("#sc-sun-cancel").addEventListener("click", async () => {
  state.sunStop = true;
  if (!state.sunJob) return;
  try {
    await cancelJob(config.jobsUrl, state.sunJob.id);
  } catch (error) {
    toast(errorText(error));
  }
});

// --- comparing, saving --------------------------------------------------------------------------------

async function compare(ids) {
  clearPanes();
  const details = await Promise.all(ids.map((id) => getJSON(`${config.schemesUrl}${id}/`)));
  state.compared = details;
  state.run = null;
  $("#sc-saved").hidden = true;
  $("#sc-pdf").hidden = true;
  $("#sc-csv").hidden = true;
  renderTable(details);
  $("#sc-legend").hidden = true;
  for (const [k, detail] of details.entries()) state.panes.push(await makePane(detail, SCHEME_COLOURS[k]));
  linkCameras();
  await Promise.all(state.panes.map((pane) => drawSun(pane).catch((error) => toast(errorText(error)))));
  $("#panel-result").hidden = false;
  $("#panel-sun").hidden = !config.canRun;
  $("#sc-title").value = details.map((d) => d.name).join(" / ");
  for (const pane of state.panes) pane.viewer.scene.requestRender();
}

$("#sc-compare").addEventListener("click", () => {
  // In the order they were uploaded (the list shows the newest first).
  const ids = Array.from(document.querySelectorAll("#sc-list input:checked")).map((box) => Number(box.value))
    .sort((x, y) => x - y);
  if (ids.length < 2) { toast(t("pickTwo")); return; }
  if (ids.length > 3) { toast(t("pickMax")); return; }
  compare(ids).catch((error) => toast(errorText(error)));
});

/** A JPEG of each pane's canvas at full resolution, drawn now: the drawing buffer is read right
 *  after the frame (WebGL does not keep it), then the pane goes back to its own resolution. */
function pictures() {
  const out = {};
  for (const pane of state.panes) {
    const { viewer } = pane;
    const scale = viewer.resolutionScale;
    viewer.resolutionScale = Math.max(scale, 1);
    viewer.resize();
    viewer.scene.requestRender();
    viewer.render();
    out[pane.detail.id] = viewer.canvas.toDataURL("image/jpeg", 0.85);
    viewer.resolutionScale = scale;
    viewer.resize();
    viewer.scene.requestRender();
  }
  return out;
}

async function save() {
  toast(t("saving"), { kind: "info", ms: 3000 });
  $("#sc-save").disabled = true;
  try {
    const run = await post(config.compareUrl, {
      schemes: state.compared.map((d) => d.id), title: $("#sc-title").value, images: pictures(),
    });
    showRun(run);
    window.history.replaceState(null, "", withParams(window.location.pathname, { run: run.id }));
  } catch (error) {
    toast(errorText(error));
  } finally {
    $("#sc-save").disabled = false;
  }
}
$("#sc-save").addEventListener("click", save);

function showRun(run) {
  state.run = run;
  $("#sc-saved").textContent = t("saved", { id: run.id });
  $("#sc-saved").hidden = false;
  $("#sc-pdf").href = `${config.runsUrl}${run.id}/pdf/`;
  $("#sc-csv").href = `${config.runsUrl}${run.id}/csv/`;
  $("#sc-pdf").hidden = false;
  $("#sc-csv").hidden = false;
}

/** `?run=<id>`: reopen a saved comparison (its schemes, if they still exist). */
async function reopen() {
  const id = new URLSearchParams(window.location.search).get("run");
  if (!id) return;
  const run = await getJSON(`${config.runsUrl}${encodeURIComponent(id)}/`);
  await compare(run.params.schemes);
  showRun(run);
}

const ready = (async () => {
  state.city = await getJSON(config.cityInfoUrl);
  if (!state.city.tileset_url) toast(t("noTileset"), { kind: "info", ms: 4000 });
  await loadSchemes();
  await reopen();
})();
ready.catch((error) => { state.errors.push(String(error?.message || error)); toast(errorText(error)); });

window.schemePage = {
  state,
  ready,
  compare,
  save,
  runSunlight,
  /** Resolves once every pane's tiles are loaded. */
  idle(timeoutMs = 120000) {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const check = () => {
        const done = state.panes.every((p) => (!p.tileset || p.tileset.tilesLoaded) && p.viewer.scene.globe.tilesLoaded);
        if (done) resolve(true);
        else if (performance.now() - started > timeoutMs) reject(new Error("panes not idle"));
        else { state.panes.forEach((p) => p.viewer.scene.requestRender()); setTimeout(check, 250); }
      };
      check();
    });
  },
};

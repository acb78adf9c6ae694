// The planner's 3D city: wires the scene, the layers and the tools to the panels.
// `window.cimViewer` is the page's test hook (promises for "ready" and "tiles loaded").
/* global Cesium */

import { Basemap } from "../common/basemap.js";
import { getJSON } from "../common/http.js";
import { Progress } from "../common/progress.js";
import {
  addBasemapImagery, cartographicLight, createViewer, flyToView, loadTerrain, loadTileset, pickPoint,
} from "../common/scene.js";
import { BimPanel } from "./bim.js";
import { Bookmarks } from "./bookmarks.js";
import { Clipper } from "./clip.js";
import { config, fmt, fmtInt, i18n, localName, t } from "./i18n.js";
import { FloodTool } from "./flood.js";
import { HistoryTool } from "./history.js";
import { BuildingEditor } from "./edit.js";
import { HeightLimit } from "./heightlimit.js";
import { InfoPanel } from "./info.js";
import { Measure } from "./measure.js";
import { ServicePoints } from "./poi.js";
import { Search } from "./search.js";
import { SunStudy } from "./sun.js";
import { SunlightTool } from "./sunlight.js";
import { applyTheme } from "./thematic.js";
import { $, $$, toast } from "./ui.js";
import { ViewshedTool } from "./viewshed.js";

function deferred() {
  let resolve; let reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

const viewer = createViewer($("#cesium"), $("#credits"));
const scene = viewer.scene;
const progress = new Progress();
const ready = deferred();
const tilesLoaded = deferred();
const layersLoaded = deferred();

const state = {
  city: null,
  tileset: null,
  terrain: null, // our CesiumTerrainProvider once loaded
  terrainOn: true,
  theme: "none",
  tool: "select",
  errors: [],
};

const counts = (key, n) => {
  const cell = document.querySelector(`[data-count="${key}"]`);
  if (cell) cell.textContent = fmtInt(n);
};

const basemap = new Basemap(viewer, { urls: config, i18n, progress, onCount: counts });
const poi = new ServicePoints(viewer, config, progress, counts);
const info = new InfoPanel(viewer);
const measure = new Measure(viewer);
const clipper = new Clipper(viewer, () => state.tileset);
const sun = new SunStudy(viewer, () => state.tileset);
const bookmarks = new Bookmarks(viewer);
const bim = new BimPanel(viewer, {
  getTileset: () => state.tileset,
  isSelected: (feature) => info.selected?.feature === feature,
});
info.onElement = (panel, props) => bim.showElement(panel, props);
const heightLimit = new HeightLimit(viewer, {
  getTileset: () => state.tileset,
  restyle: () => setTheme(state.theme),
  highlight: (id) => highlightBuildingById(id),
  toast,
});
const sunlight = new SunlightTool(viewer, {
  selectedBuilding: () => info.selectedId,
  toast,
});
const flood = new FloodTool(viewer, {
  restyle: () => setTheme(state.theme),
  colour: (ids) => heightLimit.colour(ids.map((building) => ({ building })),
    { title: t("flLegend"), over: t("flLegendHit"), ok: t("flLegendDry") }),
  toast,
});
const viewshed = new ViewshedTool(viewer, {
  setTool: (tool) => setTool(tool), toast, getTileset: () => state.tileset,
});
const VIEWSHED_TOOLS = ["observer", "sight"];

const history = new HistoryTool(viewer, {
  getTileset: () => state.tileset,
  restyle: () => setTheme(state.theme),
  toast,
});

const editor = new BuildingEditor({ selectedBuilding: () => info.selectedId, toast });

async function groundHeight(lon, lat) {
  const carto = Cesium.Cartographic.fromDegrees(lon, lat);
  const here = scene.globe.getHeight(carto);
  if (here !== undefined) return here;
  if (state.terrain && state.terrainOn) {
    try {
      const [sample] = await Cesium.sampleTerrainMostDetailed(state.terrain, [carto]);
      if (Number.isFinite(sample.height)) return sample.height;
    } catch { /* fall through to the ellipsoid */ }
  }
  return 0;
}

const search = new Search(viewer, {
  groundHeight,
  onChoose: (hit) => {
    if (hit.buildingId) highlightBuildingById(String(hit.buildingId));
  },
});

// --- tools: one click handler, dispatched by the active tool ---------------------------------

const handler = new Cesium.ScreenSpaceEventHandler(scene.canvas);
handler.setInputAction((event) => {
  if (state.tool === "select") {
    info.pickAt(event.position);
  } else if (state.tool === "clip") {
    clipper.addPoint(pickPoint(scene, event.position));
  } else if (state.tool === "zone") {
    heightLimit.addPoint(pickPoint(scene, event.position));
  } else if (state.tool === "slplan") {
    sunlight.addPoint(pickPoint(scene, event.position));
  } else if (VIEWSHED_TOOLS.includes(state.tool)) {
    viewshed.addPoint(pickPoint(scene, event.position));
  } else {
    measure.addPoint(pickPoint(scene, event.position));
    if (state.tool === "height" && !measure.mode) setTool("select");
  }
}, Cesium.ScreenSpaceEventType.LEFT_CLICK);
handler.setInputAction((event) => {
  if (state.tool === "clip") clipper.moveTo(pickPoint(scene, event.endPosition));
  else if (state.tool === "zone") heightLimit.moveTo(pickPoint(scene, event.endPosition));
  else if (state.tool !== "select" && state.tool !== "slplan" && !VIEWSHED_TOOLS.includes(state.tool)) {
    measure.moveTo(pickPoint(scene, event.endPosition));
  }
}, Cesium.ScreenSpaceEventType.MOUSE_MOVE);
handler.setInputAction(() => {
  if (state.tool === "clip") {
    const message = clipper.finish();
    if (message) toast(message, { kind: "info", ms: 3000 });
  } else if (state.tool === "zone") {
    heightLimit.finish();
  } else if (state.tool === "slplan") {
    sunlight.finishPlan();
  } else if (state.tool !== "select" && !VIEWSHED_TOOLS.includes(state.tool)) {
    measure.finish(true);
  }
  setTool("select");
}, Cesium.ScreenSpaceEventType.RIGHT_CLICK);

function setTool(tool) {
  if (state.tool === "clip" && tool !== "clip") clipper.finish();
  if (state.tool === "zone" && tool !== "zone" && heightLimit.drawing) heightLimit.finish();
  if (state.tool === "slplan" && tool !== "slplan" && sunlight.drawing) sunlight.finishPlan();
  if (VIEWSHED_TOOLS.includes(tool) || VIEWSHED_TOOLS.includes(state.tool)) {
    viewshed.setMode(VIEWSHED_TOOLS.includes(tool) ? tool : null);
  }
  state.tool = tool;
  if (["distance", "area", "height"].includes(tool)) measure.start(tool);
  if (tool === "clip") clipper.start();
  if (tool === "zone") heightLimit.start();
  if (tool === "slplan") sunlight.startPlan();
  for (const button of $$("[data-tool]")) button.classList.toggle("active", button.dataset.tool === tool);
  const hints = { distance: "measureDistanceHint", area: "measureAreaHint", height: "measureHeightHint", clip: "clipHint", zone: "hlDrawHint",
    slplan: "slPlanHint", observer: "vsPlaceHint", sight: "losPickHint" };
  const hint = $("#tool-hint");
  hint.textContent = hints[tool] ? t(hints[tool]) : "";
  hint.hidden = !hints[tool];
  scene.canvas.style.cursor = tool === "select" ? "" : "crosshair";
}

for (const button of $$("[data-tool]")) {
  button.addEventListener("click", () => setTool(state.tool === button.dataset.tool ? "select" : button.dataset.tool));
}
$("[data-action=measure-clear]").addEventListener("click", () => { measure.clear(); setTool("select"); });
$("[data-action=clip-clear]").addEventListener("click", () => { clipper.clear(); setTool("select"); });
$("#clip-inverse").addEventListener("change", (event) => clipper.setInverse(event.target.checked));

// --- layers and theme ------------------------------------------------------------------------

function setLayer(key, on) {
  if (key === "buildings") {
    if (state.tileset) state.tileset.show = on;
  } else if (key === "terrain") {
    state.terrainOn = on;
    if (state.terrain) {
      viewer.terrainProvider = on ? state.terrain : new Cesium.EllipsoidTerrainProvider();
    }
  } else if (key === "poi") {
    poi.setEnabled(on);
  } else {
    basemap.setEnabled(key, on);
  }
  scene.requestRender();
}

for (const box of $$("[data-layer]")) box.addEventListener("change", () => setLayer(box.dataset.layer, box.checked));

function setTheme(name) {
  state.theme = name;
  applyTheme(state.tileset, name, $("#legend"));
  info.reapplyHighlight();
  const radio = document.querySelector(`input[name=theme][value="${name}"]`);
  if (radio) radio.checked = true;
  scene.requestRender();
}
for (const radio of $$("input[name=theme]")) radio.addEventListener("change", () => setTheme(radio.value));

/** Highlight a building of the loaded tiles by its id (after a search, for instance). */
function highlightBuildingById(id) {
  const tileset = state.tileset;
  if (!tileset) return false;
  let found = null;
  const visit = (tile) => {
    if (found) return;
    const content = tile.content;
    if (content && content.featuresLength) {
      for (let i = 0; i < content.featuresLength; i += 1) {
        const feature = content.getFeature(i);
        if (String(feature.getProperty("id")) === id) { found = feature; return; }
      }
    }
    for (const child of tile.children) visit(child);
  };
  visit(tileset.root);
  if (found) info.selectFeature(found);
  return Boolean(found);
}

// --- status bar --------------------------------------------------------------------------------

function showCamera() {
  const c = scene.camera.positionCartographic;
  $("#status-camera").textContent = t("cameraAt", {
    lon: Cesium.Math.toDegrees(c.longitude).toFixed(5),
    lat: Cesium.Math.toDegrees(c.latitude).toFixed(5),
    height: fmtInt(c.height),
  });
}
scene.camera.changed.addEventListener(showCamera);
scene.camera.moveEnd.addEventListener(showCamera);

// --- start-up ------------------------------------------------------------------------------------

function padExtent(extent) {
  if (!extent) return null;
  const [x0, y0, x1, y1] = extent;
  const dx = Math.max(0.01, (x1 - x0) * 0.25);
  const dy = Math.max(0.01, (y1 - y0) * 0.25);
  return [Math.max(-180, x0 - dx), Math.max(-90, y0 - dy), Math.min(180, x1 + dx), Math.min(90, y1 + dy)];
}

async function start() {
  progress.set("city", t("loadingCity"));
  let city;
  try {
    city = await getJSON(config.cityInfoUrl);
  } finally {
    progress.done("city");
  }
  state.city = city;
  $("#synthetic-badge").hidden = !city.synthetic;
  $("#status-city").textContent = [localName(city), city.code].filter(Boolean).join(" · ");
  counts("buildings", city.counts.buildings);
  bookmarks.setBuiltIn(city.bookmarks);
  if (city.default_view) sun.setMapLight(cartographicLight(city.default_view.lon, city.default_view.lat));

  if (city.terrain_url) {
    progress.set("terrain", t("loadingLayer", { layer: t("layerTerrain") }));
    state.terrain = await loadTerrain(city.terrain_url, (message) => {
      state.errors.push(`terrain: ${message}`);
      toast(t("terrainError", { error: message }));
    });
    progress.done("terrain");
    if (state.terrain) viewer.terrainProvider = state.terrain;
  } else {
    toast(t("noTerrain"), { kind: "info", ms: 4000 });
  }

  addBasemapImagery(viewer, city.basemap, {
    t, onError: (message) => state.errors.push(`basemap: ${message}`),
  });
  if (city.basemap && !city.basemap.external) basemap.setLabelsShown(false);
  if (city.default_view) await flyToView(viewer, city.default_view, { duration: 0 });

  if (city.tileset_url) {
    progress.set("tiles", t("loadingTiles"));
    try {
      const tileset = await loadTileset(city.tileset_url);
      state.tileset = tileset;
      scene.primitives.add(tileset);
      tileset.loadProgress.addEventListener((pending, processing) => {
        if (pending === 0 && processing === 0) return;
        progress.set("tiles", `${t("loadingTiles")} · ${t("tilesPending", { pending, processing })}`);
      });
      tileset.allTilesLoaded.addEventListener(() => {
        progress.done("tiles");
        tilesLoaded.resolve(true);
      });
      tileset.tileFailed.addEventListener((error) => state.errors.push(`tile ${error.url}: ${error.message}`));
      bim.attach(tileset);
      applyTheme(tileset, state.theme, $("#legend"));
    } catch (error) {
      progress.done("tiles");
      state.errors.push(`tileset: ${error.message}`);
      toast(error.message);
      tilesLoaded.reject(error);
    }
  } else {
    toast(t("noTileset"), { kind: "info", ms: 5000 });
    tilesLoaded.resolve(false);
  }
  scene.requestRender();
  ready.resolve(true);

  // Rivers, main roads and service points just outside the built-up area belong on the map too.
  const around = padExtent(city.extent);
  const results = await Promise.allSettled([basemap.load(around), poi.load(around),
    heightLimit.load().then(openSharedAnalysis), bim.load()]);
  for (const result of results) {
    if (result.status === "rejected") {
      state.errors.push(String(result.reason?.message || result.reason));
      toast(t("layerFailed", { layer: "", error: result.reason?.message || result.reason }));
    }
  }
  layersLoaded.resolve(true);
}

/** `?analysis=<id>`: reopen a saved analysis (a link shared from the height-limit, sunlight or flood panel). */
async function openSharedAnalysis() {
  const id = new URLSearchParams(window.location.search).get("analysis");
  if (!id || !config.analyses) return;
  const run = await getJSON(`${config.analyses.runsUrl}${encodeURIComponent(id)}/`);
  if (run.kind === "line_of_sight") {
    await viewshed.showSight(run);
    viewshed.box.open = true;
    return;
  }
  const tool = { flood, sunlight, viewshed }[run.kind] || heightLimit;
  tool.show(run);
  tool.box.open = true;
}

start().catch((error) => {
  state.errors.push(String(error?.message || error));
  toast(String(error?.message || error));
  ready.reject(error);
});

// --- test hook -----------------------------------------------------------------------------------

window.cimViewer = {
  viewer,
  state,
  config,
  ready: ready.promise,
  tilesLoaded: tilesLoaded.promise,
  layersLoaded: layersLoaded.promise,
  info,
  search,
  measure,
  clipper,
  sun,
  bookmarks,
  bim,
  heightLimit,
  viewshed,
  flood,
  history,
  editor,
  sunlight,
  basemap,
  poi,
  progress,
  get tileset() { return state.tileset; },
  get selectedBuildingId() { return info.selectedId; },
  setTheme,
  setTool,
  setLayer,
  highlightBuildingById,
  fmt,
  /** Resolves once the tiles and the vector layers are loaded and nothing is pending. */
  idle(timeoutMs = 120000) {
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const check = () => {
        const tilesDone = !state.tileset || state.tileset.tilesLoaded;
        const terrainDone = scene.globe.tilesLoaded;
        if (tilesDone && terrainDone && basemap.idle && poi.idle && !progress.busy) {
          resolve(true);
        } else if (performance.now() - started > timeoutMs) {
          reject(new Error(`not idle after ${timeoutMs} ms: ${[...progress.tasks.keys()].join(",")}`));
        } else {
          scene.requestRender();
          setTimeout(check, 250);
        }
      };
      check();
    });
  },
  /** Page coordinates (CSS px) of a lon/lat/ellipsoidal-height point, or null when behind the camera. */
  toPage(lon, lat, height) {
    const p = Cesium.SceneTransforms.worldToWindowCoordinates(scene, Cesium.Cartesian3.fromDegrees(lon, lat, height));
    if (!p) return null;
    const box = scene.canvas.getBoundingClientRect();
    return { x: box.left + p.x, y: box.top + p.y };
  },
  /** How far (m) a lon/lat/height point lies from the camera's line of sight, and from the camera. */
  offAxis(lon, lat, height) {
    const target = Cesium.Cartesian3.fromDegrees(lon, lat, height);
    const camera = scene.camera;
    const toTarget = Cesium.Cartesian3.subtract(target, camera.positionWC, new Cesium.Cartesian3());
    const cross = Cesium.Cartesian3.cross(toTarget, camera.directionWC, new Cesium.Cartesian3());
    return { offAxis: Cesium.Cartesian3.magnitude(cross), distance: Cesium.Cartesian3.magnitude(toTarget) };
  },
  /** The id of the building drawn at a page position (null when none), looking through
   *  markers and outlines, without changing the selection. */
  buildingAt(x, y) {
    const box = scene.canvas.getBoundingClientRect();
    const hits = scene.drillPick(new Cesium.Cartesian2(x - box.left, y - box.top), 5);
    const feature = hits.find((hit) => hit instanceof Cesium.Cesium3DTileFeature);
    return feature ? String(feature.getProperty("id")) : null;
  },
};

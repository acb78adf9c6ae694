// The operations map of the console and the dashboard: the offline Cesium scene (terrain,
// 3D Tiles, the shared basemap of roads, water and boundaries) with the emergency layers on
// top, each in its own module (incidents, units, depots, cameras, zones, routes and supply
// runs) and the drawing tool (pick a point, draw a polygon).  This class builds the scene,
// routes input to the tool or to picking, and keeps the interface the pages call.
/* global Cesium */

import { Basemap } from "../basemap.js";
import { addBasemapImagery, cartographicLight, createViewer, flyToView, loadTerrain, loadTileset } from "../scene.js";
import { CameraLayer } from "./cameras.js";
import { DepotLayer } from "./depots.js";
import { DrawingTool } from "./draw.js";
import { IncidentLayer } from "./incidents.js";
import { RouteLayer } from "./routes.js";
import { addLayer } from "./style.js";
import { UnitLayer } from "./units.js";
import { ZoneLayer } from "./zones.js";

// Drawing order: later layers draw over earlier ones.
const LAYERS = ["zones", "routes", "supplies", "depots", "cameras", "incidents", "units", "drawing"];

export class OpsMap {
  /**
   * @param container the element the Cesium viewer fills
   * @param progress the page's progress indicator (common/progress.js)
   * @param basemapUrls the page's addresses of the basemap layers (config.basemap)
   * @param i18n the page's translator (common/i18n.js), with the choice labels and colours
   * @param staleSeconds age after which a unit's position shows as stale
   * @param onError called with a message when part of the scene fails to load
   */
  constructor(container, { progress, basemapUrls, i18n, staleSeconds = null, onError = () => {} }) {
    this.viewer = createViewer(container);
    this.scene = this.viewer.scene;
    this.progress = progress;
    this.i18n = i18n;
    this.onError = onError;
    this.errors = [];
    this.city = null;
    this.tileset = null;
    this.terrain = null;
    this.basemap = new Basemap(this.viewer, { urls: basemapUrls, i18n, progress });
    this.layers = Object.fromEntries(LAYERS.map((key) => [key, addLayer(this.viewer, key)]));
    const requestRender = () => this.requestRender();
    const shared = { i18n, requestRender };
    this.incidentLayer = new IncidentLayer(this.layers.incidents, shared);
    this.unitLayer = new UnitLayer(this.layers.units, { ...shared, scene: this.scene, staleSeconds });
    this.depotLayer = new DepotLayer(this.layers.depots, shared);
    this.cameraLayer = new CameraLayer(this.layers.cameras, shared);
    this.zoneLayer = new ZoneLayer(this.layers.zones, shared);
    this.routeLayer = new RouteLayer(this.layers.routes, this.layers.supplies, shared);
    this.drawing = new DrawingTool(this.scene, this.layers.drawing, shared);
    this.handlers = { pick: () => {} };
    this.setupInput();
  }

  // --- the scene ----------------------------------------------------------------------------

  /** Terrain, 3D Tiles and the basemap of the loaded city (from /api/cim/city-info/). */
  async loadCity(city) {
    const { t } = this.i18n;
    this.city = city;
    if (city.default_view) this.scene.light = cartographicLight(city.default_view.lon, city.default_view.lat);
    if (city.terrain_url) {
      this.progress.set("terrain", t("loadingTerrain"));
      this.terrain = await loadTerrain(city.terrain_url, (message) => this.fail(`terrain: ${message}`));
      this.progress.done("terrain");
      if (this.terrain) this.viewer.terrainProvider = this.terrain;
    }
    addBasemapImagery(this.viewer, city.basemap, { t, onError: (message) => this.fail(`basemap: ${message}`) });
    if (city.basemap && !city.basemap.external) this.basemap.setLabelsShown(false);
    if (city.default_view) await flyToView(this.viewer, this.consoleView(city.default_view), { duration: 0 });
    if (city.tileset_url) {
      this.progress.set("tiles", t("loadingTiles"));
      try {
        this.tileset = await loadTileset(city.tileset_url);
        this.tileset.style = new Cesium.Cesium3DTileStyle({ color: "color('#c9d6ea', 0.92)" });
        this.scene.primitives.add(this.tileset);
        this.tileset.allTilesLoaded.addEventListener(() => this.progress.done("tiles"));
        this.tileset.tileFailed.addEventListener((e) => this.fail(`tile ${e.url}: ${e.message}`));
      } catch (error) {
        this.progress.done("tiles");
        this.fail(`tileset: ${error.message}`);
      }
    }
    this.scene.requestRender();
    const extent = city.extent ? pad(city.extent) : null;
    this.basemapLoaded = this.basemap.load(extent).catch((error) => this.fail(String(error)));
  }

  /** The command view: a little closer and steeper than the planner's overview. */
  consoleView(view) {
    return { ...view, pitch: Math.min(view.pitch ?? -45, -50), range: view.range * 0.8 };
  }

  /** Back to the city's command view. */
  home() {
    if (this.city?.default_view) return flyToView(this.viewer, this.consoleView(this.city.default_view));
    return Promise.resolve();
  }

  fail(message) {
    this.errors.push(message);
    this.onError(message);
  }

  requestRender() {
    this.scene.requestRender();
  }

  setLayerVisible(key, on) {
    if (this.layers[key]) this.layers[key].show = on;
    if (key === "buildings" && this.tileset) this.tileset.show = on;
    if (["roads", "water", "admin"].includes(key)) this.basemap.setEnabled(key, on);
    this.requestRender();
  }

  flyTo(lon, lat, { range = 1600, duration = 1.2 } = {}) {
    const height = this.scene.globe.getHeight(Cesium.Cartographic.fromDegrees(lon, lat)) ?? 0;
    return flyToView(this.viewer, { lon, lat, height, heading: 0, pitch: -55, range }, { duration });
  }

  /** Page (CSS px) coordinates of a lon/lat on the ground (test hook and tooltips). */
  toPage(lon, lat) {
    const height = this.scene.globe.getHeight(Cesium.Cartographic.fromDegrees(lon, lat)) ?? 0;
    const p = Cesium.SceneTransforms.worldToWindowCoordinates(this.scene, Cesium.Cartesian3.fromDegrees(lon, lat, height));
    if (!p) return null;
    const box = this.scene.canvas.getBoundingClientRect();
    return { x: box.left + p.x, y: box.top + p.y };
  }

  // --- the layers (see each module) ----------------------------------------------------------

  setIncidents(list) { this.incidentLayer.set(list); }
  upsertIncident(incident) { this.incidentLayer.upsert(incident); }
  removeIncident(id) { this.incidentLayer.remove(id); }
  selectIncident(id) { this.incidentLayer.select(id); }
  get incidents() { return this.incidentLayer.entities; }
  get selectedIncident() { return this.incidentLayer.selected; }

  setUnits(features) { this.unitLayer.setFeatures(features); }
  upsertUnit(data, options) { this.unitLayer.upsert(data, options); }
  applyPositions(items) { this.unitLayer.applyPositions(items); }
  setStale(ids) { this.unitLayer.setStale(ids); }
  setUnitStatus(id, status) { return this.unitLayer.setStatus(id, status); }
  highlightUnits(ids) { this.unitLayer.highlight(ids); }
  /** id → {entity, data: {lon, lat, status, …}} of every unit on the map. */
  get units() { return this.unitLayer.units; }
  get staleSeconds() { return this.unitLayer.staleSeconds; }
  set staleSeconds(seconds) { this.unitLayer.staleSeconds = seconds; }

  setDepots(features) { this.depotLayer.set(features); }
  depotPosition(id) { return this.depotLayer.position(id); }
  setCameras(features) { this.cameraLayer.set(features); }
  setZones(features) { this.zoneLayer.set(features); }
  get zoneCount() { return this.zoneLayer.count; }
  setRoutes(assignments) { this.routeLayer.setRoutes(assignments); }
  get routeCount() { return this.routeLayer.routeCount; }
  setSupplyRuns(runs) { this.routeLayer.setSupplyRuns(runs); }

  // --- input: picking and the drawing tool -----------------------------------------------------

  onPick(fn) {
    this.handlers.pick = fn;
  }

  setupInput() {
    const handler = new Cesium.ScreenSpaceEventHandler(this.scene.canvas);
    handler.setInputAction((e) => this.click(e.position), Cesium.ScreenSpaceEventType.LEFT_CLICK);
    handler.setInputAction((e) => this.drawing.move(e.endPosition), Cesium.ScreenSpaceEventType.MOUSE_MOVE);
    handler.setInputAction(() => this.drawing.finishPolygon(), Cesium.ScreenSpaceEventType.RIGHT_CLICK);
    handler.setInputAction(() => this.drawing.finishPolygon(), Cesium.ScreenSpaceEventType.LEFT_DOUBLE_CLICK);
    this.inputHandler = handler;
  }

  /** A click goes to the active drawing tool, else picks the feature under it. */
  click(position) {
    if (this.drawing.click(position)) return;
    const picked = this.scene.drillPick(position, 4).map((hit) => hit?.id).find((id) => id?.ops);
    if (picked) this.handlers.pick(picked.ops);
  }

  /** The active tool ({kind, points, …}) or null. */
  get tool() { return this.drawing.tool; }
  pickLocation() { return this.drawing.pickLocation(); }
  drawPolygon(css) { return this.drawing.drawPolygon(css); }
  showPickedPoint(at) { this.drawing.showPickedPoint(at); }
  clearPickedPoint() { this.drawing.clearPickedPoint(); }
  cancelTool() { this.drawing.cancel(); }
}

/** The city's extent with a quarter of its size (at least ~1 km) around it. */
function pad(extent) {
  const [x0, y0, x1, y1] = extent;
  const dx = Math.max(0.01, (x1 - x0) * 0.25);
  const dy = Math.max(0.01, (y1 - y0) * 0.25);
  return [x0 - dx, y0 - dy, x1 + dx, y1 + dy];
}

// The operations map: the planner's offline Cesium scene (terrain, 3D Tiles, roads and water)
// with the emergency layers on top — incidents by level, units by status (moving live), depots,
// cameras, control zones, routes of assigned units and supply runs — and two drawing tools
// (pick a point, draw a polygon).
/* global Cesium */

import { Basemap } from "../planner/basemap.js";
import { cartographicLight, createViewer, flyToView, loadTerrain, loadTileset, pickPoint } from "../planner/scene.js";
import { label, t } from "./i18n.js";
import { cameraIcon, depotIcon, incidentIcon, pickIcon, unitIcon, vertexIcon } from "./icons.js";

const LABEL_FONT = "'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif";
const TWEEN_MS = 900;
const ROUTE_COLOUR = {
  fire_engine: "#ff5a36", aerial_ladder: "#ff5a36", rescue_team: "#ff9f1a", hazmat: "#c084fc",
  ambulance: "#34d399", epidemic_team: "#34d399", police_car: "#60a5fa", command_vehicle: "#f472b6",
  other: "#e5e7eb",
};

function colour(css, alpha = 1) {
  return Cesium.Color.fromCssColorString(css).withAlpha(alpha);
}

function lines(geometry) {
  if (!geometry) return [];
  if (geometry.type === "LineString") return [geometry.coordinates];
  if (geometry.type === "MultiLineString") return geometry.coordinates;
  return [];
}

function polygons(geometry) {
  if (!geometry) return [];
  if (geometry.type === "Polygon") return [geometry.coordinates];
  if (geometry.type === "MultiPolygon") return geometry.coordinates;
  return [];
}

const degreesArray = (coords) => Cesium.Cartesian3.fromDegreesArray(coords.flatMap((c) => [c[0], c[1]]));

function centroid(ring) {
  let x = 0; let y = 0;
  const n = Math.max(1, ring.length - 1);
  for (let i = 0; i < n; i += 1) { x += ring[i][0]; y += ring[i][1]; }
  return [x / n, y / n];
}

function labelOptions(text, { size = 13, fill = "#ffffff", far = 12000, offsetY = -34 } = {}) {
  return {
    text,
    font: `${size}px ${LABEL_FONT}`,
    fillColor: colour(fill),
    outlineColor: colour("#03101f"),
    outlineWidth: 3,
    style: Cesium.LabelStyle.FILL_AND_OUTLINE,
    pixelOffset: new Cesium.Cartesian2(0, offsetY),
    heightReference: Cesium.HeightReference.CLAMP_TO_GROUND,
    disableDepthTestDistance: Number.POSITIVE_INFINITY,
    distanceDisplayCondition: new Cesium.DistanceDisplayCondition(0, far),
    showBackground: false,
  };
}

export class OpsMap {
  constructor(container, { progress, plannerConfig, onError = () => {} }) {
    this.viewer = createViewer(container);
    this.scene = this.viewer.scene;
    this.progress = progress;
    this.onError = onError;
    this.errors = [];
    this.city = null;
    this.tileset = null;
    this.terrain = null;
    this.basemap = new Basemap(this.viewer, plannerConfig, progress, () => {});
    this.layers = {};
    for (const key of ["zones", "routes", "supplies", "depots", "cameras", "incidents", "units", "drawing"]) {
      this.layers[key] = new Cesium.CustomDataSource(key);
      this.viewer.dataSources.add(this.layers[key]);
    }
    this.incidents = new Map(); // id → entity
    this.units = new Map(); // id → {entity, data, from, to, start}
    this.selectedIncident = null;
    this.highlightedUnits = new Set();
    this.tool = null; // {kind, resolve, points, …}
    this.tweening = 0;
    this.handlers = { pick: () => {} };
    this.setupInput();
  }

  // --- the scene ----------------------------------------------------------------------------

  /** Terrain, 3D Tiles and the basemap of the loaded city (from /api/cim/city-info/). */
  async loadCity(city) {
    this.city = city;
    if (city.default_view) this.scene.light = cartographicLight(city.default_view.lon, city.default_view.lat);
    if (city.terrain_url) {
      this.progress.set("terrain", t("loadingTerrain"));
      this.terrain = await loadTerrain(city.terrain_url, (message) => this.fail(`terrain: ${message}`));
      this.progress.done("terrain");
      if (this.terrain) this.viewer.terrainProvider = this.terrain;
    }
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

  // --- incidents ----------------------------------------------------------------------------

  setIncidents(list) {
    const seen = new Set();
    for (const incident of list) {
      seen.add(incident.id);
      this.upsertIncident(incident);
    }
    for (const id of [...this.incidents.keys()]) if (!seen.has(id)) this.removeIncident(id);
    this.requestRender();
  }

  upsertIncident(incident) {
    const loc = incident.location || (incident.geometry && {
      lon: incident.geometry.coordinates[0], lat: incident.geometry.coordinates[1] });
    if (!loc) return;
    const closed = ["closed", "cancelled", "merged"].includes(incident.status);
    const selected = this.selectedIncident === incident.id;
    const fill = label("levelColour", incident.level) || "#2f7bff";
    let entity = this.incidents.get(incident.id);
    if (!entity) {
      entity = this.layers.incidents.entities.add({ id: `incident-${incident.id}` });
      entity.ops = { kind: "incident", id: incident.id };
      this.incidents.set(incident.id, entity);
    }
    entity.ops.data = incident;
    entity.position = Cesium.Cartesian3.fromDegrees(loc.lon, loc.lat);
    entity.billboard = {
      image: incidentIcon(fill, incident.incident_type, { selected, closed }),
      verticalOrigin: Cesium.VerticalOrigin.BOTTOM,
      heightReference: Cesium.HeightReference.CLAMP_TO_GROUND,
      disableDepthTestDistance: Number.POSITIVE_INFINITY,
      scale: selected ? 0.9 : 0.72,
    };
    entity.label = labelOptions(`${incident.number || ""} ${incident.title || ""}`.trim(), {
      size: selected ? 14 : 12, fill: selected ? "#ffe28a" : "#ffffff", far: selected ? 60000 : 9000,
      offsetY: selected ? -62 : -52,
    });
    this.requestRender();
  }

  removeIncident(id) {
    const entity = this.incidents.get(id);
    if (entity) this.layers.incidents.entities.remove(entity);
    this.incidents.delete(id);
  }

  selectIncident(id) {
    const previous = this.selectedIncident;
    this.selectedIncident = id;
    for (const key of [previous, id]) {
      const entity = this.incidents.get(key);
      if (entity) this.upsertIncident(entity.ops.data);
    }
  }

  // --- units (live) ------------------------------------------------------------------------

  /** Units from the GeoJSON layer (features at their last position or station). */
  setUnits(features) {
    const seen = new Set();
    for (const f of features) {
      if (!f.geometry) continue;
      seen.add(f.id);
      const p = f.properties;
      this.upsertUnit({
        id: f.id, code: p.code, name: p.name, unit_type: p.unit_type, status: p.status,
        lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1],
        at: p.last_position_at, atStation: p.at_station,
      }, { animate: false });
    }
    for (const id of [...this.units.keys()]) {
      if (!seen.has(id)) {
        this.layers.units.entities.remove(this.units.get(id).entity);
        this.units.delete(id);
      }
    }
    this.spread();
    this.requestRender();
  }

  /** Units standing at the same place (a station) fan out in a small ring so each shows. */
  spread() {
    const groups = new Map();
    for (const unit of this.units.values()) {
      const key = `${unit.data.lon.toFixed(4)},${unit.data.lat.toFixed(4)}`;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(unit);
    }
    for (const members of groups.values()) {
      members.sort((a, b) => a.data.id - b.data.id);
      members.forEach((unit, k) => {
        const n = members.length;
        const angle = (2 * Math.PI * k) / Math.max(n, 1) - Math.PI / 2;
        const radius = n > 1 ? 13 + 2 * n : 0;
        const offset = [Math.round(radius * Math.cos(angle)), Math.round(radius * Math.sin(angle))];
        if (unit.offset?.[0] !== offset[0] || unit.offset?.[1] !== offset[1]) {
          unit.offset = offset;
          entityForUnit(unit, this.highlightedUnits.has(unit.data.id), this.staleSeconds);
        }
      });
    }
  }

  /** Create or update a unit; a move glides over ~1 s so that the eye can follow it. */
  upsertUnit(data, { animate = true } = {}) {
    let unit = this.units.get(data.id);
    const to = Cesium.Cartesian3.fromDegrees(data.lon, data.lat);
    if (!unit) {
      const entity = this.layers.units.entities.add({ id: `unit-${data.id}` });
      unit = { entity, data: { ...data }, from: to, to, start: 0 };
      entity.ops = { kind: "unit", id: data.id };
      entity.position = new Cesium.CallbackProperty((time, result) => this.unitPosition(unit, result), false);
      this.units.set(data.id, unit);
    } else {
      const moved = unit.data.lon !== data.lon || unit.data.lat !== data.lat;
      if (moved) {
        unit.from = animate ? this.unitPosition(unit, new Cesium.Cartesian3()) : to;
        unit.to = to;
        unit.start = performance.now();
        if (animate) this.tween();
      }
      unit.data = { ...unit.data, ...data };
    }
    entityForUnit(unit, this.highlightedUnits.has(data.id), this.staleSeconds);
    this.requestRender();
  }

  unitPosition(unit, result) {
    const f = Math.min(1, (performance.now() - unit.start) / TWEEN_MS);
    return Cesium.Cartesian3.lerp(unit.from, unit.to, f < 1 ? f * (2 - f) : 1, result || new Cesium.Cartesian3());
  }

  tween() {
    if (this.tweening) return;
    const step = () => {
      this.scene.requestRender();
      const busy = [...this.units.values()].some((u) => performance.now() - u.start < TWEEN_MS);
      this.tweening = busy ? requestAnimationFrame(step) : 0;
    };
    this.tweening = requestAnimationFrame(step);
  }

  /** Coalesced positions from the WebSocket. */
  applyPositions(items) {
    for (const p of items) {
      const known = this.units.get(p.unit);
      if (!known && !p.code) continue;
      if (known?.data.at && p.at && new Date(p.at) < new Date(known.data.at)) continue; // older than shown
      this.upsertUnit({
        id: p.unit, code: p.code ?? known?.data.code, lon: p.lon, lat: p.lat, at: p.at,
        status: p.status ?? known?.data.status, stale: Boolean(p.stale), atStation: false,
        unit_type: known?.data.unit_type, speed_kmh: p.speed_kmh, heading: p.heading,
      });
    }
    if (items.length) this.spread();
  }

  /** The complete set of units whose position is stale (the server's "stale" message). */
  setStale(ids) {
    const stale = new Set(ids);
    for (const [id, unit] of this.units) {
      const now = stale.has(id);
      if (Boolean(unit.data.stale) !== now) {
        unit.data.stale = now;
        entityForUnit(unit, this.highlightedUnits.has(id), this.staleSeconds);
      }
    }
    this.requestRender();
  }

  setUnitStatus(id, status) {
    const unit = this.units.get(id);
    if (!unit) return false;
    unit.data.status = status;
    entityForUnit(unit, this.highlightedUnits.has(id), this.staleSeconds);
    this.requestRender();
    return true;
  }

  highlightUnits(ids) {
    const before = this.highlightedUnits;
    this.highlightedUnits = new Set(ids);
    for (const id of new Set([...before, ...ids])) {
      const unit = this.units.get(id);
      if (unit) entityForUnit(unit, this.highlightedUnits.has(id), this.staleSeconds);
    }
    this.requestRender();
  }

  // --- depots, cameras, zones ------------------------------------------------------------------

  setDepots(features) {
    const layer = this.layers.depots.entities;
    layer.removeAll();
    for (const f of features) {
      if (!f.geometry) continue;
      const [lon, lat] = f.geometry.coordinates;
      const entity = layer.add({
        id: `depot-${f.id}`,
        position: Cesium.Cartesian3.fromDegrees(lon, lat),
        billboard: {
          image: depotIcon(f.properties.below_minimum || 0), scale: 0.8,
          heightReference: Cesium.HeightReference.CLAMP_TO_GROUND,
          disableDepthTestDistance: Number.POSITIVE_INFINITY,
        },
        label: labelOptions(f.properties.name, { size: 12, fill: "#99f6e4", far: 8000, offsetY: -26 }),
      });
      entity.ops = { kind: "depot", id: f.id, data: { ...f.properties, lon, lat } };
    }
    this.requestRender();
  }

  setCameras(features) {
    const layer = this.layers.cameras.entities;
    layer.removeAll();
    for (const f of features) {
      if (!f.geometry) continue;
      const [lon, lat] = f.geometry.coordinates;
      const entity = layer.add({
        id: `camera-${f.id}`,
        position: Cesium.Cartesian3.fromDegrees(lon, lat),
        billboard: {
          image: cameraIcon(f.properties.active !== false), scale: 0.75,
          heightReference: Cesium.HeightReference.CLAMP_TO_GROUND,
          disableDepthTestDistance: Number.POSITIVE_INFINITY,
          distanceDisplayCondition: new Cesium.DistanceDisplayCondition(0, 15000),
        },
      });
      entity.ops = { kind: "camera", id: f.id, data: { ...f.properties, lon, lat } };
    }
    this.requestRender();
  }

  setZones(features) {
    const layer = this.layers.zones.entities;
    layer.removeAll();
    for (const f of features) {
      const p = f.properties;
      if (p.status && p.status !== "active") continue;
      const css = label("zoneTierColour", p.tier) || "#ffd21f";
      polygons(f.geometry).forEach((rings, k) => {
        const hierarchy = new Cesium.PolygonHierarchy(degreesArray(rings[0]),
          rings.slice(1).map((h) => new Cesium.PolygonHierarchy(degreesArray(h))));
        const entity = layer.add({
          id: `zone-${f.id}-${k}`,
          polygon: { hierarchy, material: colour(css, 0.28), classificationType: Cesium.ClassificationType.BOTH },
        });
        entity.ops = { kind: "zone", id: f.id, data: p };
        layer.add({
          id: `zone-${f.id}-${k}-edge`,
          polyline: {
            positions: degreesArray(rings[0]), width: 3, clampToGround: true,
            material: new Cesium.PolylineDashMaterialProperty({ color: colour(css), dashLength: 14 }),
          },
        });
        if (k === 0) {
          const [lon, lat] = centroid(rings[0]);
          layer.add({
            id: `zone-${f.id}-label`,
            position: Cesium.Cartesian3.fromDegrees(lon, lat),
            label: labelOptions(`${p.tier_label}${p.name && p.name !== p.tier_label ? ` · ${p.name}` : ""}\n`
              + t("peopleShort", { n: p.people_estimate ?? "—" }), { size: 13, fill: "#ffffff", far: 20000, offsetY: 0 }),
          });
        }
      });
    }
    this.requestRender();
  }

  // --- routes and supply runs ------------------------------------------------------------------

  /** Routes of active assignments (each from the unit's start to the incident). */
  setRoutes(assignments) {
    const layer = this.layers.routes.entities;
    layer.removeAll();
    for (const a of assignments) {
      if (!a.route || a.active === false) continue;
      const css = ROUTE_COLOUR[a.unit_type] || ROUTE_COLOUR.other;
      lines(a.route).forEach((coords, k) => {
        if (coords.length < 2) return;
        const entity = layer.add({
          id: `route-${a.id}-${k}`,
          polyline: {
            positions: degreesArray(coords), width: 9, clampToGround: true, zIndex: 5,
            material: new Cesium.PolylineOutlineMaterialProperty({
              color: colour(css), outlineColor: colour("#ffffff", 0.85), outlineWidth: 2 }),
          },
        });
        entity.ops = { kind: "route", id: a.id, data: a };
      });
    }
    this.requestRender();
  }

  get routeCount() {
    return this.layers.routes.entities.values.length;
  }

  /** Dashed lines from the depots that supply an incident to it. */
  setSupplyRuns(runs) {
    const layer = this.layers.supplies.entities;
    layer.removeAll();
    runs.forEach((run, k) => {
      layer.add({
        id: `supply-${k}`,
        polyline: {
          positions: degreesArray([run.from, run.to]), width: 4, clampToGround: true,
          material: new Cesium.PolylineDashMaterialProperty({ color: colour("#2dd4bf"), dashLength: 20 }),
        },
      });
    });
    this.requestRender();
  }

  depotPosition(id) {
    const entity = this.layers.depots.entities.getById(`depot-${id}`);
    return entity ? [entity.ops.data.lon, entity.ops.data.lat] : null;
  }

  // --- input: picking and the two drawing tools ----------------------------------------------

  onPick(fn) {
    this.handlers.pick = fn;
  }

  setupInput() {
    const handler = new Cesium.ScreenSpaceEventHandler(this.scene.canvas);
    handler.setInputAction((e) => this.click(e.position), Cesium.ScreenSpaceEventType.LEFT_CLICK);
    handler.setInputAction((e) => this.move(e.endPosition), Cesium.ScreenSpaceEventType.MOUSE_MOVE);
    handler.setInputAction(() => this.finishPolygon(), Cesium.ScreenSpaceEventType.RIGHT_CLICK);
    handler.setInputAction(() => this.finishPolygon(), Cesium.ScreenSpaceEventType.LEFT_DOUBLE_CLICK);
    this.inputHandler = handler;
  }

  lonLatAt(position) {
    const point = pickPoint(this.scene, position);
    if (!point) return null;
    const c = Cesium.Cartographic.fromCartesian(point);
    return [Cesium.Math.toDegrees(c.longitude), Cesium.Math.toDegrees(c.latitude)];
  }

  click(position) {
    if (this.tool?.kind === "point") {
      const at = this.lonLatAt(position);
      if (!at) return;
      this.showPickedPoint(at);
      const { resolve } = this.tool;
      this.endTool();
      resolve(at);
      return;
    }
    if (this.tool?.kind === "polygon") {
      const at = this.lonLatAt(position);
      if (!at) return;
      this.tool.points.push(at);
      this.layers.drawing.entities.add({
        position: Cesium.Cartesian3.fromDegrees(at[0], at[1]),
        billboard: { image: vertexIcon(this.tool.colour), heightReference: Cesium.HeightReference.CLAMP_TO_GROUND,
          disableDepthTestDistance: Number.POSITIVE_INFINITY },
      });
      this.drawOutline();
      this.requestRender();
      return;
    }
    const picked = this.scene.drillPick(position, 4).map((hit) => hit?.id).find((id) => id?.ops);
    if (picked) this.handlers.pick(picked.ops);
  }

  move(position) {
    if (this.tool?.kind !== "polygon" || !this.tool.points.length) return;
    this.pendingMove = position;
    if (this.moveQueued) return;
    this.moveQueued = true;
    requestAnimationFrame(() => {
      this.moveQueued = false;
      if (this.tool?.kind !== "polygon") return;
      const at = this.groundAt(this.pendingMove);
      if (at) {
        this.tool.cursor = at;
        this.drawRubberBand();
      }
    });
  }

  /** [lon, lat] on the terrain under a screen position, by a ray (CPU; no depth read-back). */
  groundAt(position) {
    const ray = this.scene.camera.getPickRay(position);
    const point = (ray && this.scene.globe.pick(ray, this.scene)) || this.scene.camera.pickEllipsoid(position);
    if (!point) return null;
    const c = Cesium.Cartographic.fromCartesian(point);
    return [Cesium.Math.toDegrees(c.longitude), Cesium.Math.toDegrees(c.latitude)];
  }

  /** Resolves with [lon, lat] of the next click on the map (null when cancelled). */
  pickLocation() {
    this.cancelTool();
    return new Promise((resolve) => {
      this.tool = { kind: "point", resolve };
      this.scene.canvas.style.cursor = "crosshair";
    });
  }

  showPickedPoint(at) {
    this.clearPickedPoint();
    this.picked = this.layers.drawing.entities.add({
      id: "picked-point",
      position: Cesium.Cartesian3.fromDegrees(at[0], at[1]),
      billboard: { image: pickIcon(), heightReference: Cesium.HeightReference.CLAMP_TO_GROUND,
        disableDepthTestDistance: Number.POSITIVE_INFINITY },
    });
    this.requestRender();
  }

  clearPickedPoint() {
    if (this.picked) this.layers.drawing.entities.remove(this.picked);
    this.picked = null;
    this.requestRender();
  }

  /** Resolves with a closed GeoJSON ring of the polygon drawn (right click or double click ends). */
  drawPolygon(css = "#ff8a1f") {
    this.cancelTool();
    return new Promise((resolve) => {
      this.tool = { kind: "polygon", resolve, points: [], cursor: null, colour: css };
      this.scene.canvas.style.cursor = "crosshair";
    });
  }

  /** The outline of the corners placed so far: rebuilt once per click (a ground polyline is
   *  costly to rebuild, so it never follows the mouse). */
  drawOutline() {
    const tool = this.tool;
    const old = this.layers.drawing.entities.getById("draw-outline");
    if (old) this.layers.drawing.entities.remove(old);
    if (tool.points.length < 2) return;
    this.layers.drawing.entities.add({
      id: "draw-outline",
      polyline: { positions: degreesArray([...tool.points, tool.points[0]]), width: 3, clampToGround: true,
        material: new Cesium.PolylineDashMaterialProperty({ color: colour(tool.colour), dashLength: 12 }) },
    });
  }

  /** The rubber band from the last corner to the mouse: a plain line just above the ground,
   *  moved with the mouse at almost no cost. */
  drawRubberBand() {
    const tool = this.tool;
    const last = tool.points[tool.points.length - 1];
    if (!last || !tool.cursor) return;
    const lifted = (p) => {
      const h = this.scene.globe.getHeight(Cesium.Cartographic.fromDegrees(p[0], p[1])) ?? 0;
      return Cesium.Cartesian3.fromDegrees(p[0], p[1], h + 4);
    };
    const positions = [lifted(last), lifted(tool.cursor), ...(tool.points.length > 1 ? [lifted(tool.points[0])] : [])];
    let band = this.layers.drawing.entities.getById("draw-band");
    if (!band) {
      band = this.layers.drawing.entities.add({
        id: "draw-band",
        polyline: { positions, width: 2, material: colour(tool.colour, 0.9), depthFailMaterial: colour(tool.colour, 0.5) },
      });
    } else {
      band.polyline.positions = positions;
    }
    this.requestRender();
  }

  finishPolygon() {
    if (this.tool?.kind !== "polygon") return;
    const { points, resolve } = this.tool;
    // A double click also fires two single clicks: drop a repeated last vertex.
    const unique = points.filter((p, i) => i === 0 || p[0] !== points[i - 1][0] || p[1] !== points[i - 1][1]);
    this.endTool();
    this.layers.drawing.entities.removeAll();
    resolve(unique.length >= 3 ? [...unique, unique[0]] : null);
  }

  cancelTool() {
    if (!this.tool) return;
    const { resolve } = this.tool;
    if (this.tool.kind === "polygon") this.layers.drawing.entities.removeAll();
    this.endTool();
    resolve(null);
  }

  endTool() {
    this.tool = null;
    this.scene.canvas.style.cursor = "";
    this.requestRender();
  }

  /** Page (CSS px) coordinates of a lon/lat on the ground (test hook and tooltips). */
  toPage(lon, lat) {
    const height = this.scene.globe.getHeight(Cesium.Cartographic.fromDegrees(lon, lat)) ?? 0;
    const p = Cesium.SceneTransforms.worldToWindowCoordinates(this.scene, Cesium.Cartesian3.fromDegrees(lon, lat, height));
    if (!p) return null;
    const box = this.scene.canvas.getBoundingClientRect();
    return { x: box.left + p.x, y: box.top + p.y };
  }
}

function entityForUnit(unit, highlighted, staleSeconds) {
  const d = unit.data;
  const age = d.at ? (Date.now() - new Date(d.at).getTime()) / 1000 : Infinity;
  const stale = d.stale !== undefined ? Boolean(d.stale) : Boolean(!d.atStation && staleSeconds && age > staleSeconds);
  const css = label("unitStatusColour", d.status) || "#8a94a6";
  unit.entity.ops.data = d;
  const [dx, dy] = unit.offset || [0, 0];
  unit.entity.billboard = {
    image: unitIcon(css, d.unit_type, { stale, selected: highlighted }),
    scale: highlighted ? 0.95 : 0.78,
    pixelOffset: new Cesium.Cartesian2(dx, dy),
    heightReference: Cesium.HeightReference.CLAMP_TO_GROUND,
    disableDepthTestDistance: Number.POSITIVE_INFINITY,
  };
  unit.entity.label = labelOptions(d.code || "", {
    size: 11, fill: highlighted ? "#ffe28a" : "#dbeafe", far: highlighted ? 40000 : 3500, offsetY: -22 + dy });
  unit.entity.label.pixelOffset = new Cesium.Cartesian2(dx, -22 + dy);
}

function pad(extent) {
  const [x0, y0, x1, y1] = extent;
  const dx = Math.max(0.01, (x1 - x0) * 0.25);
  const dy = Math.max(0.01, (y1 - y0) * 0.25);
  return [x0 - dx, y0 - dy, x1 + dx, y1 + dy];
}

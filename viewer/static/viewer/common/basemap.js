// The city-scale basemap of our own: roads, water and administrative boundaries as
// ground-clamped vector layers with Chinese labels (data from the platform's GeoJSON APIs).
/* global Cesium */

import { bboxParam, getAllFeatures, getJSON, withParams } from "./http.js";

const LABEL_FONT = "'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif";
const MAJOR_ROADS = ["motorway", "trunk", "primary", "secondary"];
const ROAD_STYLE = {
  motorway: { width: 7, color: "#ffb347" },
  trunk: { width: 6, color: "#ffc15e" },
  primary: { width: 5, color: "#f3c04f" },
  secondary: { width: 4, color: "#f5dc8c" },
  tertiary: { width: 3, color: "#d6e2f3" },
  link: { width: 3, color: "#f5dc8c" },
  residential: { width: 2, color: "#b8c8de" },
  service: { width: 1.5, color: "#93a6c2" },
  pedestrian: { width: 1.5, color: "#93a6c2" },
  track: { width: 1.5, color: "#8c8a6e" },
  unclassified: { width: 2, color: "#a9b9d0" },
};
const ADMIN_STYLE = {
  city: { width: 4, color: "#ff5a5a", dash: 24, font: 22, far: 400000, near: 60000, outlineFar: 2.0e6 },
  district: { width: 3, color: "#ff7b72", dash: 18, font: 19, far: 120000, near: 0, outlineFar: 4.0e5 },
  street: { width: 2, color: "#ffb38a", dash: 12, font: 15, far: 30000, near: 0, outlineFar: 6.0e4 },
  community: { width: 1.5, color: "#8fb4e8", dash: 8, font: 13, far: 6000, near: 0, outlineFar: 1.5e4 },
};
const CELL_DEG = 0.02; // minor roads load per ~2 km cell once the camera is low enough
const LABEL_CELL_DEG = 0.007; // one label per road name per ~700 m
const MINOR_ROADS_BELOW_M = 7000;
const MAX_CELLS_PER_VIEW = 25;

function labelStyle(font, color, far, near = 0) {
  return {
    font: `${font}px ${LABEL_FONT}`,
    fillColor: Cesium.Color.fromCssColorString(color),
    outlineColor: Cesium.Color.fromCssColorString("#03101f"),
    outlineWidth: 3,
    style: Cesium.LabelStyle.FILL_AND_OUTLINE,
    heightReference: Cesium.HeightReference.CLAMP_TO_GROUND,
    verticalOrigin: Cesium.VerticalOrigin.CENTER,
    horizontalOrigin: Cesium.HorizontalOrigin.CENTER,
    disableDepthTestDistance: Number.POSITIVE_INFINITY,
    distanceDisplayCondition: new Cesium.DistanceDisplayCondition(near, far),
  };
}

/** Lines of a GeoJSON geometry as arrays of [lon, lat]. */
function linesOf(geometry) {
  if (!geometry) return [];
  switch (geometry.type) {
    case "LineString": return [geometry.coordinates];
    case "MultiLineString": return geometry.coordinates;
    case "Polygon": return geometry.coordinates;
    case "MultiPolygon": return geometry.coordinates.flat();
    default: return [];
  }
}

function polygonsOf(geometry) {
  if (!geometry) return [];
  if (geometry.type === "Polygon") return [geometry.coordinates];
  if (geometry.type === "MultiPolygon") return geometry.coordinates;
  return [];
}

const toPositions = (coords) => Cesium.Cartesian3.fromDegreesArray(coords.flatMap((c) => [c[0], c[1]]));

function lineLength(coords) {
  let sum = 0;
  for (let i = 1; i < coords.length; i += 1) {
    const dx = (coords[i][0] - coords[i - 1][0]) * Math.cos((coords[i][1] * Math.PI) / 180);
    const dy = coords[i][1] - coords[i - 1][1];
    sum += Math.hypot(dx, dy);
  }
  return sum;
}

function midpoint(coords) {
  const half = lineLength(coords) / 2;
  let run = 0;
  for (let i = 1; i < coords.length; i += 1) {
    const dx = (coords[i][0] - coords[i - 1][0]) * Math.cos((coords[i][1] * Math.PI) / 180);
    const step = Math.hypot(dx, coords[i][1] - coords[i - 1][1]);
    if (run + step >= half && step > 0) {
      const f = (half - run) / step;
      return [coords[i - 1][0] + f * (coords[i][0] - coords[i - 1][0]),
        coords[i - 1][1] + f * (coords[i][1] - coords[i - 1][1])];
    }
    run += step;
  }
  return coords[Math.floor(coords.length / 2)];
}

/** Area-weighted centroid of a ring (planar in degrees: fine for placing a label). */
function ringCentroid(ring) {
  let a = 0; let cx = 0; let cy = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
    const f = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
    a += f; cx += (ring[j][0] + ring[i][0]) * f; cy += (ring[j][1] + ring[i][1]) * f;
  }
  if (Math.abs(a) < 1e-14) return { point: ring[0], area: 0 };
  return { point: [cx / (3 * a), cy / (3 * a)], area: Math.abs(a / 2) };
}

function pointInRing(p, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
    const [xi, yi] = ring[i]; const [xj, yj] = ring[j];
    if ((yi > p[1]) !== (yj > p[1]) && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** A point inside the largest polygon of an area, for its name label. */
export function labelPoint(geometry) {
  let best = null;
  for (const polygon of polygonsOf(geometry)) {
    const c = ringCentroid(polygon[0]);
    if (!best || c.area > best.area) best = { ...c, ring: polygon[0] };
  }
  if (!best) return null;
  if (pointInRing(best.point, best.ring)) return best.point;
  const xs = best.ring.map((p) => p[0]); const ys = best.ring.map((p) => p[1]);
  const mid = [(Math.min(...xs) + Math.max(...xs)) / 2, (Math.min(...ys) + Math.max(...ys)) / 2];
  return pointInRing(mid, best.ring) ? mid : best.ring[0];
}

function cameraHeight(scene) {
  const carto = scene.camera.positionCartographic;
  const ground = scene.globe.getHeight(carto) ?? 0;
  return carto.height - ground;
}

/** One switchable layer: primitives plus label collections, shown by camera height. */
class Layer {
  constructor(scene, name) {
    this.scene = scene;
    this.name = name;
    this.collection = scene.primitives.add(new Cesium.PrimitiveCollection());
    this.labels = scene.primitives.add(new Cesium.LabelCollection({ scene }));
    this.enabled = true;
    this.labelsShown = true;
    this.count = 0;
    this.parts = []; // {primitive, maxHeight}
  }

  addPrimitive(primitive, maxHeight = Infinity) {
    this.collection.add(primitive);
    this.parts.push({ primitive, maxHeight });
    this.updateVisibility(cameraHeight(this.scene));
  }

  setEnabled(on) {
    this.enabled = on;
    this.collection.show = on;
    this.labels.show = on && this.labelsShown;
    this.scene.requestRender();
  }

  updateVisibility(height) {
    for (const part of this.parts) part.primitive.show = height <= part.maxHeight;
  }
}

export class Basemap {
  /**
   * @param viewer Cesium viewer
   * @param urls the page's addresses of the layers: roadsUrl, adminBoundariesUrl, waterwaysUrl
   *   (null: no water layer)
   * @param i18n the page's translator (common/i18n.js): names the layers with the keys
   *   loadingLayer, layerAdmin, layerRoads, layerWater; picks the label language
   * @param progress the page's progress indicator
   * @param onCount called with (layerKey, count) as features arrive
   */
  constructor(viewer, { urls, i18n, progress, onCount = () => {} }) {
    this.viewer = viewer;
    this.scene = viewer.scene;
    this.urls = urls;
    this.t = i18n.t;
    this.localName = i18n.localName;
    this.progress = progress;
    this.onCount = onCount;
    this.layers = {
      admin: new Layer(this.scene, "admin"),
      water: new Layer(this.scene, "water"),
      roads: new Layer(this.scene, "roads"),
    };
    this.roadIds = new Set();
    this.roadLabelKeys = new Set();
    this.cells = new Set();
    this.extent = null;
    this.pending = 0;
    this.errors = [];
    this.scene.camera.moveEnd.addEventListener(() => this.onCameraMoved());
    this.scene.camera.changed.addEventListener(() => this.refreshVisibility());
    this.scene.camera.percentageChanged = 0.1;
  }

  get idle() {
    return this.pending === 0;
  }

  setEnabled(key, on) {
    this.layers[key]?.setEnabled(on);
  }

  /** The platform's raster basemap carries the same names: no second copy over it. */
  setLabelsShown(on) {
    for (const layer of Object.values(this.layers)) {
      layer.labelsShown = on;
      layer.labels.show = on && layer.enabled;
    }
    this.scene.requestRender();
  }

  refreshVisibility() {
    const h = cameraHeight(this.scene);
    for (const layer of Object.values(this.layers)) layer.updateVisibility(h);
  }

  async track(key, label, job) {
    this.pending += 1;
    this.progress.set(key, this.t("loadingLayer", { layer: label }));
    try {
      return await job((loaded, total) => {
        this.progress.set(key, `${this.t("loadingLayer", { layer: label })} ${loaded}/${total}`,
          total ? loaded / total : null);
      });
    } catch (error) {
      this.errors.push(`${key}: ${error.message}`);
      this.progress.done(key);
      throw error;
    } finally {
      this.pending -= 1;
      this.progress.done(key);
      this.scene.requestRender();
    }
  }

  /** Load everything the city-wide view needs; minor roads follow the camera. */
  async load(extent) {
    this.extent = extent;
    const jobs = [this.loadAdmin(), this.loadMajorRoads()];
    if (this.urls.waterwaysUrl) jobs.push(this.loadWater());
    const results = await Promise.allSettled(jobs);
    this.onCameraMoved();
    return results;
  }

  // --- administrative boundaries -------------------------------------------------------------

  async loadAdmin() {
    const layer = this.layers.admin;
    const features = await this.track("admin", this.t("layerAdmin"), async () =>
      (await getJSON(withParams(this.urls.adminBoundariesUrl, { levels: "city,district,street,community" }))).features);
    const byLevel = new Map();
    for (const f of features) {
      const level = f.properties.level;
      if (!ADMIN_STYLE[level]) continue;
      if (!byLevel.has(level)) byLevel.set(level, []);
      byLevel.get(level).push(f);
    }
    for (const [level, items] of byLevel) {
      const style = ADMIN_STYLE[level];
      const instances = [];
      for (const f of items) {
        for (const ring of linesOf(f.geometry)) {
          if (ring.length < 3) continue;
          instances.push(new Cesium.GeometryInstance({
            geometry: new Cesium.GroundPolylineGeometry({ positions: toPositions(ring), width: style.width, loop: true }),
          }));
        }
        const { label_lon: lon, label_lat: lat } = f.properties;
        const at = lon != null && lat != null ? [lon, lat] : labelPoint(f.geometry);
        if (at) {
          layer.labels.add({
            position: Cesium.Cartesian3.fromDegrees(at[0], at[1]),
            text: this.localName(f.properties),
            ...labelStyle(style.font, level === "community" ? "#cfe0ff" : "#ffe2d6", style.far, style.near),
          });
        }
      }
      if (!instances.length) continue;
      layer.addPrimitive(new Cesium.GroundPolylinePrimitive({
        geometryInstances: instances,
        appearance: new Cesium.PolylineMaterialAppearance({
          material: Cesium.Material.fromType("PolylineDash", {
            color: Cesium.Color.fromCssColorString(style.color), dashLength: style.dash,
          }),
        }),
        classificationType: Cesium.ClassificationType.TERRAIN,
        asynchronous: true,
      }), style.outlineFar);
    }
    layer.count = features.length;
    this.onCount("admin", features.length);
    return features.length;
  }

  // --- roads -------------------------------------------------------------------------------

  async loadMajorRoads() {
    if (!this.extent) return 0;
    let total = 0;
    const all = [];
    await this.track("roads", this.t("layerRoads"), async (onPage) => {
      let done = 0;
      await Promise.all(MAJOR_ROADS.map(async (roadClass) => {
        const url = withParams(this.urls.roadsUrl, {
          bbox: bboxParam(this.extent), road_class: roadClass, page_size: 5000,
        });
        all.push(...(await getAllFeatures(url)));
        done += 1;
        onPage(done, MAJOR_ROADS.length);
      }));
    });
    total = this.addRoads(all, { maxHeight: Infinity, labelFar: 6000, cellKey: "major" });
    return total;
  }

  addRoads(features, { maxHeight, labelFar, cellKey }) {
    const layer = this.layers.roads;
    const fresh = features.filter((f) => !this.roadIds.has(f.id));
    if (!fresh.length) return 0;
    const instances = [];
    const named = new Map(); // name → longest segment, per label cell
    for (const f of fresh) {
      this.roadIds.add(f.id);
      const style = ROAD_STYLE[f.properties.road_class] || ROAD_STYLE.unclassified;
      const color = Cesium.Color.fromCssColorString(f.properties.closed ? "#ff5a5a" : style.color);
      for (const line of linesOf(f.geometry)) {
        if (line.length < 2) continue;
        instances.push(new Cesium.GeometryInstance({
          geometry: new Cesium.GroundPolylineGeometry({ positions: toPositions(line), width: style.width }),
          attributes: { color: Cesium.ColorGeometryInstanceAttribute.fromColor(color) },
        }));
        const name = f.properties.name;
        if (name) {
          const mid = midpoint(line);
          const key = `${name}|${Math.floor(mid[0] / LABEL_CELL_DEG)}|${Math.floor(mid[1] / LABEL_CELL_DEG)}`;
          const len = lineLength(line);
          if (!named.has(key) || named.get(key).len < len) named.set(key, { name, mid, len });
        }
      }
    }
    if (instances.length) {
      layer.addPrimitive(new Cesium.GroundPolylinePrimitive({
        geometryInstances: instances,
        appearance: new Cesium.PolylineColorAppearance(),
        classificationType: Cesium.ClassificationType.TERRAIN,
        asynchronous: true,
      }), maxHeight);
    }
    for (const [key, { name, mid }] of named) {
      if (this.roadLabelKeys.has(key)) continue;
      this.roadLabelKeys.add(key);
      layer.labels.add({
        position: Cesium.Cartesian3.fromDegrees(mid[0], mid[1]),
        text: name,
        ...labelStyle(cellKey === "major" ? 14 : 12, cellKey === "major" ? "#ffe9a8" : "#dbe6f5", labelFar),
      });
    }
    layer.count += fresh.length;
    this.onCount("roads", layer.count);
    return fresh.length;
  }

  /** Minor roads of the cells in view, once the camera is close enough to see them. */
  async onCameraMoved() {
    this.refreshVisibility();
    if (!this.extent || !this.layers.roads.enabled) return;
    if (cameraHeight(this.scene) > MINOR_ROADS_BELOW_M) return;
    const rect = this.scene.camera.computeViewRectangle();
    if (!rect) return;
    const [x0, y0, x1, y1] = this.extent;
    const west = Math.max(Cesium.Math.toDegrees(rect.west), x0);
    const south = Math.max(Cesium.Math.toDegrees(rect.south), y0);
    const east = Math.min(Cesium.Math.toDegrees(rect.east), x1);
    const north = Math.min(Cesium.Math.toDegrees(rect.north), y1);
    if (west >= east || south >= north) return;
    const cells = [];
    for (let i = Math.floor(west / CELL_DEG); i <= Math.floor(east / CELL_DEG); i += 1) {
      for (let j = Math.floor(south / CELL_DEG); j <= Math.floor(north / CELL_DEG); j += 1) {
        const key = `${i},${j}`;
        if (!this.cells.has(key)) cells.push([i, j, key]);
      }
    }
    if (!cells.length || cells.length > MAX_CELLS_PER_VIEW) return;
    cells.forEach(([, , key]) => this.cells.add(key));
    await this.track("roads-detail", this.t("layerRoads"), async (onPage) => {
      const found = [];
      let done = 0;
      const queue = [...cells];
      const worker = async () => {
        while (queue.length) {
          const [i, j] = queue.shift();
          const box = [i * CELL_DEG, j * CELL_DEG, (i + 1) * CELL_DEG, (j + 1) * CELL_DEG];
          found.push(...(await getAllFeatures(withParams(this.urls.roadsUrl, { bbox: bboxParam(box), page_size: 5000 }))));
          done += 1;
          onPage(done, cells.length);
        }
      };
      await Promise.all([worker(), worker(), worker()]);
      this.addRoads(found, { maxHeight: MINOR_ROADS_BELOW_M * 1.5, labelFar: 2500, cellKey: "minor" });
    }).catch(() => cells.forEach(([, , key]) => this.cells.delete(key)));
  }

  // --- water -------------------------------------------------------------------------------

  async loadWater() {
    const layer = this.layers.water;
    const params = { page_size: 5000 };
    if (this.extent) params.bbox = bboxParam(this.extent);
    const features = await this.track("water", this.t("layerWater"), (onPage) =>
      getAllFeatures(withParams(this.urls.waterwaysUrl, params), { onPage }));
    const lines = [];
    const areas = [];
    const labelled = new Set();
    const colour = Cesium.Color.fromCssColorString("#2b8fd6");
    for (const f of features) {
      const g = f.geometry;
      if (!g) continue;
      if (g.type === "Polygon" || g.type === "MultiPolygon") {
        for (const polygon of polygonsOf(g)) {
          areas.push(new Cesium.GeometryInstance({
            geometry: new Cesium.PolygonGeometry({
              polygonHierarchy: new Cesium.PolygonHierarchy(
                toPositions(polygon[0]), polygon.slice(1).map((h) => new Cesium.PolygonHierarchy(toPositions(h)))),
            }),
            attributes: { color: Cesium.ColorGeometryInstanceAttribute.fromColor(colour.withAlpha(0.85)) },
          }));
        }
      } else {
        const width = Math.min(10, Math.max(2, (f.properties.width_m || 8) / 6));
        for (const line of linesOf(g)) {
          if (line.length < 2) continue;
          lines.push(new Cesium.GeometryInstance({
            geometry: new Cesium.GroundPolylineGeometry({ positions: toPositions(line), width }),
            attributes: { color: Cesium.ColorGeometryInstanceAttribute.fromColor(colour) },
          }));
        }
      }
      const { name, label_lon: lon, label_lat: lat } = f.properties;
      const where = lon != null && lat != null ? [lon, lat]
        : (g.type.endsWith("Polygon") ? labelPoint(g) : midpoint(linesOf(g).sort((a, b) => b.length - a.length)[0] || []));
      const key = where ? `${name}|${Math.floor(where[0] / 0.02)}|${Math.floor(where[1] / 0.02)}` : null;
      if (name && where && !labelled.has(key)) {
        labelled.add(key);
        layer.labels.add({
          position: Cesium.Cartesian3.fromDegrees(where[0], where[1]),
          text: name,
          ...labelStyle(15, "#9fd8ff", 40000),
          font: `italic 15px ${LABEL_FONT}`,
        });
      }
    }
    if (areas.length) {
      layer.addPrimitive(new Cesium.GroundPrimitive({
        geometryInstances: areas,
        appearance: new Cesium.PerInstanceColorAppearance({ flat: true, translucent: true }),
        classificationType: Cesium.ClassificationType.TERRAIN,
        asynchronous: true,
      }));
    }
    if (lines.length) {
      layer.addPrimitive(new Cesium.GroundPolylinePrimitive({
        geometryInstances: lines,
        appearance: new Cesium.PolylineColorAppearance(),
        classificationType: Cesium.ClassificationType.TERRAIN,
        asynchronous: true,
      }));
    }
    layer.count = features.length;
    this.onCount("water", features.length);
    return features.length;
  }
}

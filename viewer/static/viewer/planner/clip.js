// Section tool (剖切): draw a polygon, clip the buildings and the terrain inside it (or, inverse,
// keep only what is inside), with Cesium's ClippingPolygon.
/* global Cesium */

import { t } from "./i18n.js";

const CYAN = Cesium.Color.fromCssColorString("#36c5f0");

export class Clipper {
  constructor(viewer, getTileset) {
    this.viewer = viewer;
    this.getTileset = getTileset;
    this.source = new Cesium.CustomDataSource("clip");
    viewer.dataSources.add(this.source);
    this.drawing = false;
    this.points = [];
    this.cursor = null;
    this.inverse = false;
    this.active = false;
    this.tilesetPolygons = null;
    this.globePolygons = null;
  }

  get supported() {
    return Cesium.ClippingPolygonCollection.isSupported(this.viewer.scene);
  }

  start() {
    this.clear();
    this.drawing = true;
  }

  addPoint(point) {
    if (!this.drawing || !point) return;
    this.points.push(point);
    this.source.entities.add({ position: point, point: { pixelSize: 7, color: CYAN,
      disableDepthTestDistance: Number.POSITIVE_INFINITY } });
    this.draw();
  }

  moveTo(point) {
    if (!this.drawing || !this.points.length || !point) return;
    this.cursor = point;
    this.draw();
  }

  draw() {
    const live = this.cursor ? [...this.points, this.cursor] : [...this.points];
    if (this.outline) this.source.entities.remove(this.outline);
    this.outline = live.length >= 2 ? this.source.entities.add({
      polyline: { positions: [...live, live[0]], width: 2, material: CYAN, depthFailMaterial: CYAN.withAlpha(0.6) },
    }) : null;
    this.viewer.scene.requestRender();
  }

  /** Finish drawing and clip; returns a short status text. */
  finish() {
    if (!this.drawing) return null;
    this.drawing = false;
    this.cursor = null;
    if (this.points.length < 3) {
      this.clear();
      return null;
    }
    if (!this.supported) {
      this.draw();
      return t("clipUnsupported");
    }
    this.apply();
    this.draw();
    return t("clipActive", { count: this.points.length });
  }

  apply() {
    const tileset = this.getTileset();
    const polygon = () => new Cesium.ClippingPolygon({ positions: this.points });
    if (tileset) {
      if (!this.tilesetPolygons || tileset.clippingPolygons !== this.tilesetPolygons) {
        this.tilesetPolygons = new Cesium.ClippingPolygonCollection();
        tileset.clippingPolygons = this.tilesetPolygons;
      }
      this.tilesetPolygons.removeAll();
      this.tilesetPolygons.add(polygon());
      this.tilesetPolygons.inverse = this.inverse;
      this.tilesetPolygons.enabled = true;
    }
    const globe = this.viewer.scene.globe;
    if (!this.globePolygons) {
      this.globePolygons = new Cesium.ClippingPolygonCollection();
      globe.clippingPolygons = this.globePolygons;
    }
    this.globePolygons.removeAll();
    this.globePolygons.add(polygon());
    this.globePolygons.inverse = this.inverse;
    this.globePolygons.enabled = true;
    this.active = true;
    // Looking into the cut ground would show the sky atmosphere (white) through the globe.
    this.viewer.scene.skyAtmosphere.show = false;
    this.viewer.scene.requestRender();
  }

  setInverse(on) {
    this.inverse = on;
    for (const collection of [this.tilesetPolygons, this.globePolygons]) {
      if (collection) collection.inverse = on;
    }
    this.viewer.scene.requestRender();
  }

  clear() {
    this.drawing = false;
    this.points = [];
    this.cursor = null;
    this.outline = null;
    this.source.entities.removeAll();
    for (const collection of [this.tilesetPolygons, this.globePolygons]) {
      if (collection) {
        collection.removeAll();
        collection.enabled = false;
      }
    }
    this.active = false;
    this.viewer.scene.skyAtmosphere.show = true;
    this.viewer.scene.requestRender();
  }
}

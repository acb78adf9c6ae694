// The drawing tool of the operations map: pick a point (a new incident's location) or draw a
// polygon (a control zone).  The map hands it clicks, mouse moves and the end gesture while a
// tool is active; each tool resolves a promise with the result, or null when cancelled.
/* global Cesium */

import { pickPoint } from "../scene.js";
import { pickIcon, vertexIcon } from "./icons.js";
import { colour, degreesArray } from "./style.js";

export class DrawingTool {
  /** `source`: the data source the sketch is drawn in. */
  constructor(scene, source, { requestRender }) {
    this.scene = scene;
    this.source = source;
    this.requestRender = requestRender;
    this.tool = null; // {kind: "point"|"polygon", resolve, points, cursor, colour}
    this.picked = null;
  }

  get active() {
    return this.tool !== null;
  }

  /** Resolves with [lon, lat] of the next click on the map (null when cancelled). */
  pickLocation() {
    this.cancel();
    return new Promise((resolve) => {
      this.tool = { kind: "point", resolve };
      this.scene.canvas.style.cursor = "crosshair";
    });
  }

  /** Resolves with a closed GeoJSON ring of the polygon drawn (right click or double click ends). */
  drawPolygon(css = "#ff8a1f") {
    this.cancel();
    return new Promise((resolve) => {
      this.tool = { kind: "polygon", resolve, points: [], cursor: null, colour: css };
      this.scene.canvas.style.cursor = "crosshair";
    });
  }

  /** A click while a tool is active; false when no tool took it (the map picks then). */
  click(position) {
    if (this.tool?.kind === "point") {
      const at = this.lonLatAt(position);
      if (!at) return true;
      this.showPickedPoint(at);
      const { resolve } = this.tool;
      this.end();
      resolve(at);
      return true;
    }
    if (this.tool?.kind === "polygon") {
      const at = this.lonLatAt(position);
      if (!at) return true;
      this.tool.points.push(at);
      this.source.entities.add({
        position: Cesium.Cartesian3.fromDegrees(at[0], at[1]),
        billboard: { image: vertexIcon(this.tool.colour), heightReference: Cesium.HeightReference.CLAMP_TO_GROUND,
          disableDepthTestDistance: Number.POSITIVE_INFINITY },
      });
      this.drawOutline();
      this.requestRender();
      return true;
    }
    return false;
  }

  /** The mouse moved: the polygon's rubber band follows it (once per animation frame). */
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

  lonLatAt(position) {
    const point = pickPoint(this.scene, position);
    if (!point) return null;
    const c = Cesium.Cartographic.fromCartesian(point);
    return [Cesium.Math.toDegrees(c.longitude), Cesium.Math.toDegrees(c.latitude)];
  }

  /** [lon, lat] on the terrain under a screen position, by a ray (CPU; no depth read-back). */
  groundAt(position) {
    const ray = this.scene.camera.getPickRay(position);
    const point = (ray && this.scene.globe.pick(ray, this.scene)) || this.scene.camera.pickEllipsoid(position);
    if (!point) return null;
    const c = Cesium.Cartographic.fromCartesian(point);
    return [Cesium.Math.toDegrees(c.longitude), Cesium.Math.toDegrees(c.latitude)];
  }

  showPickedPoint(at) {
    this.clearPickedPoint();
    this.picked = this.source.entities.add({
      id: "picked-point",
      position: Cesium.Cartesian3.fromDegrees(at[0], at[1]),
      billboard: { image: pickIcon(), heightReference: Cesium.HeightReference.CLAMP_TO_GROUND,
        disableDepthTestDistance: Number.POSITIVE_INFINITY },
    });
    this.requestRender();
  }

  clearPickedPoint() {
    if (this.picked) this.source.entities.remove(this.picked);
    this.picked = null;
    this.requestRender();
  }

  /** The outline of the corners placed so far: rebuilt once per click (a ground polyline is
   *  costly to rebuild, so it never follows the mouse). */
  drawOutline() {
    const tool = this.tool;
    const old = this.source.entities.getById("draw-outline");
    if (old) this.source.entities.remove(old);
    if (tool.points.length < 2) return;
    this.source.entities.add({
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
    let band = this.source.entities.getById("draw-band");
    if (!band) {
      band = this.source.entities.add({
        id: "draw-band",
        polyline: { positions, width: 2, material: colour(tool.colour, 0.9), depthFailMaterial: colour(tool.colour, 0.5) },
      });
    } else {
      band.polyline.positions = positions;
    }
    this.requestRender();
  }

  /** Right click or double click: the polygon is done (null with fewer than three corners). */
  finishPolygon() {
    if (this.tool?.kind !== "polygon") return;
    const { points, resolve } = this.tool;
    // A double click also fires two single clicks: drop a repeated last vertex.
    const unique = points.filter((p, i) => i === 0 || p[0] !== points[i - 1][0] || p[1] !== points[i - 1][1]);
    this.end();
    this.source.entities.removeAll();
    resolve(unique.length >= 3 ? [...unique, unique[0]] : null);
  }

  cancel() {
    if (!this.tool) return;
    const { resolve } = this.tool;
    if (this.tool.kind === "polygon") this.source.entities.removeAll();
    this.end();
    resolve(null);
  }

  end() {
    this.tool = null;
    this.scene.canvas.style.cursor = "";
    this.requestRender();
  }
}

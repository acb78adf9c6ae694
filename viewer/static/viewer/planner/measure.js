// Measurement of distance, area and height on the scene (buildings, terrain).
/* global Cesium */

import { fmt, t } from "./i18n.js";
import { $ } from "./ui.js";

const YELLOW = Cesium.Color.fromCssColorString("#ffd400");
const FONT = "bold 14px 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif";

/** Metres → "123.4 米" / "1.23 公里" style text. */
export function formatLength(m) {
  return m >= 1000 ? `${fmt(m / 1000, 3)} km` : `${fmt(m, 2)} m`;
}

export function formatArea(m2) {
  return m2 >= 1e6 ? `${fmt(m2 / 1e6, 4)} km²` : `${fmt(m2, 1)} m²`;
}

/** Sum of straight 3D segment lengths. */
export function polylineLength(points) {
  let sum = 0;
  for (let i = 1; i < points.length; i += 1) sum += Cesium.Cartesian3.distance(points[i - 1], points[i]);
  return sum;
}

/** Horizontal area of a polygon: vertices projected on the local tangent plane, shoelace. */
export function polygonArea(points) {
  if (points.length < 3) return 0;
  const plane = Cesium.EllipsoidTangentPlane.fromPoints(points, Cesium.Ellipsoid.WGS84);
  const flat = plane.projectPointsOntoPlane(points);
  let twice = 0;
  for (let i = 0, j = flat.length - 1; i < flat.length; j = i, i += 1) {
    twice += flat[j].x * flat[i].y - flat[i].x * flat[j].y;
  }
  return Math.abs(twice) / 2;
}

/** Height difference, horizontal and slant distance between two points. */
export function heightBetween(a, b) {
  const ca = Cesium.Cartographic.fromCartesian(a);
  const cb = Cesium.Cartographic.fromCartesian(b);
  const geodesic = new Cesium.EllipsoidGeodesic(ca, cb);
  return {
    dh: Math.abs(cb.height - ca.height),
    horizontal: geodesic.surfaceDistance || 0,
    slant: Cesium.Cartesian3.distance(a, b),
    low: ca.height <= cb.height ? ca : cb,
    high: ca.height <= cb.height ? cb : ca,
  };
}

export class Measure {
  constructor(viewer) {
    this.viewer = viewer;
    this.source = new Cesium.CustomDataSource("measure");
    viewer.dataSources.add(this.source);
    this.readout = $("#measure-readout");
    this.mode = null;
    this.points = [];
    this.cursor = null;
    this.result = null; // last finished measurement, for tests and the readout
  }

  start(mode) {
    this.finish(false);
    this.mode = mode;
    this.points = [];
    this.cursor = null;
    this.source.entities.removeAll();
    this.readout.hidden = true;
  }

  clear() {
    this.mode = null;
    this.points = [];
    this.cursor = null;
    this.result = null;
    this.source.entities.removeAll();
    this.readout.hidden = true;
    this.viewer.scene.requestRender();
  }

  addPoint(point) {
    if (!this.mode || !point) return;
    this.points.push(point);
    this.source.entities.add({
      position: point,
      point: { pixelSize: 8, color: YELLOW, outlineColor: Cesium.Color.BLACK, outlineWidth: 1,
        disableDepthTestDistance: Number.POSITIVE_INFINITY },
    });
    if (this.mode === "distance" && this.points.length > 1) {
      const a = this.points[this.points.length - 2];
      const mid = Cesium.Cartesian3.midpoint(a, point, new Cesium.Cartesian3());
      this.label(mid, formatLength(Cesium.Cartesian3.distance(a, point)));
    }
    if (this.mode === "height" && this.points.length === 2) this.finish(true);
    this.draw();
  }

  moveTo(point) {
    if (!this.mode || !this.points.length || !point) return;
    this.cursor = point;
    this.draw();
  }

  label(position, text) {
    return this.source.entities.add({
      position,
      label: { text, font: FONT, fillColor: YELLOW, outlineColor: Cesium.Color.BLACK, outlineWidth: 3,
        style: Cesium.LabelStyle.FILL_AND_OUTLINE, showBackground: true,
        backgroundColor: Cesium.Color.fromCssColorString("rgba(3,16,31,0.75)"),
        pixelOffset: new Cesium.Cartesian2(0, -14), disableDepthTestDistance: Number.POSITIVE_INFINITY },
    });
  }

  /** Redraw the live line/polygon (points + the cursor while drawing). */
  draw() {
    const live = this.cursor && this.mode ? [...this.points, this.cursor] : [...this.points];
    if (this.shape) this.source.entities.remove(this.shape);
    this.shape = null;
    if (live.length >= 2 && this.mode !== "area") {
      this.shape = this.source.entities.add({
        polyline: { positions: live, width: 3, material: YELLOW, depthFailMaterial: YELLOW.withAlpha(0.5) },
      });
    } else if (live.length >= 3 && this.mode === "area") {
      this.shape = this.source.entities.add({
        polygon: { hierarchy: new Cesium.PolygonHierarchy(live), perPositionHeight: true,
          material: YELLOW.withAlpha(0.3), outline: false },
        polyline: { positions: [...live, live[0]], width: 2, material: YELLOW, depthFailMaterial: YELLOW.withAlpha(0.5) },
      });
    }
    this.showReadout(live);
    this.viewer.scene.requestRender();
  }

  showReadout(points) {
    let html = "";
    if (this.mode === "distance" || (this.result?.kind === "distance" && !this.mode)) {
      const total = polylineLength(points);
      html = `${t("distance")}：<b data-value="${total.toFixed(3)}">${formatLength(total)}</b>`;
    } else if (this.mode === "area" || (this.result?.kind === "area" && !this.mode)) {
      const area = polygonArea(points);
      html = `${t("area")}：<b data-value="${area.toFixed(3)}">${formatArea(area)}</b>`;
    } else if ((this.mode === "height" || this.result?.kind === "height") && points.length >= 2) {
      const h = heightBetween(points[0], points[1]);
      html = `${t("heightDiff")}：<b data-value="${h.dh.toFixed(3)}">${formatLength(h.dh)}</b><br>`
        + `${t("horizontal")}：${formatLength(h.horizontal)}<br>${t("slope")}：${formatLength(h.slant)}`;
    }
    this.readout.innerHTML = html;
    this.readout.hidden = !html;
  }

  /** End the current measurement (right click); keeps the drawing and the result. */
  finish(keep = true) {
    if (!this.mode) return this.result;
    const mode = this.mode;
    const points = this.points;
    this.mode = null;
    this.cursor = null;
    if (!keep || points.length < 2) {
      this.draw();
      return null;
    }
    if (mode === "distance") {
      this.result = { kind: "distance", value: polylineLength(points), points: points.length };
    } else if (mode === "area" && points.length >= 3) {
      this.result = { kind: "area", value: polygonArea(points), points: points.length };
      const centre = Cesium.BoundingSphere.fromPoints(points).center;
      this.label(centre, formatArea(this.result.value));
    } else if (mode === "height") {
      const h = heightBetween(points[0], points[1]);
      this.result = { kind: "height", value: h.dh, horizontal: h.horizontal, slant: h.slant };
      // Draw the right triangle: slant line, vertical leg and horizontal leg.
      const corner = Cesium.Cartesian3.fromRadians(h.low.longitude, h.low.latitude, h.high.height);
      const lowPoint = Cesium.Cartesian3.fromRadians(h.low.longitude, h.low.latitude, h.low.height);
      const highPoint = Cesium.Cartesian3.fromRadians(h.high.longitude, h.high.latitude, h.high.height);
      this.source.entities.add({ polyline: { positions: [lowPoint, corner, highPoint], width: 2,
        material: new Cesium.PolylineDashMaterialProperty({ color: YELLOW }),
        depthFailMaterial: new Cesium.PolylineDashMaterialProperty({ color: YELLOW.withAlpha(0.5) }) } });
      this.label(Cesium.Cartesian3.midpoint(lowPoint, corner, new Cesium.Cartesian3()), `Δh ${formatLength(h.dh)}`);
    }
    this.points = points;
    this.draw();
    return this.result;
  }
}

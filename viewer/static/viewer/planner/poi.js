// Government service points: a round icon per category (one Chinese character) and a name label.
/* global Cesium */

import { bboxParam, getAllFeatures, withParams } from "../common/http.js";
import { isEnglish, localName, t } from "./i18n.js";

const LABEL_FONT = "'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif";
export const CATEGORY_STYLE = {
  gov_service_hall: { glyph: "政", en: "G", color: "#e64545" },
  community_centre: { glyph: "社", en: "C", color: "#f08c2e" },
  hospital: { glyph: "医", en: "H", color: "#e8465f" },
  clinic: { glyph: "诊", en: "+", color: "#f06d8b" },
  fire_station: { glyph: "消", en: "F", color: "#ff3b1f" },
  police_station: { glyph: "警", en: "P", color: "#2d6cdf" },
  school: { glyph: "学", en: "S", color: "#1fa67a" },
  kindergarten: { glyph: "幼", en: "K", color: "#3cc29a" },
  shelter: { glyph: "避", en: "E", color: "#20b020" },
  pharmacy: { glyph: "药", en: "Rx", color: "#8e5bd6" },
  other: { glyph: "点", en: "•", color: "#7890b0" },
};

const iconCache = new Map();

/** A 32 px round icon drawn on a canvas (no image files, no network). */
function icon(category) {
  if (iconCache.has(category)) return iconCache.get(category);
  const style = CATEGORY_STYLE[category] || CATEGORY_STYLE.other;
  const canvas = document.createElement("canvas");
  canvas.width = 32; canvas.height = 32;
  const g = canvas.getContext("2d");
  g.beginPath(); g.arc(16, 16, 14, 0, 2 * Math.PI);
  g.fillStyle = style.color; g.fill();
  g.lineWidth = 2.5; g.strokeStyle = "#ffffff"; g.stroke();
  g.fillStyle = "#ffffff";
  g.font = `bold 16px ${LABEL_FONT}`;
  g.textAlign = "center"; g.textBaseline = "middle";
  g.fillText(isEnglish() ? style.en : style.glyph, 16, 17);
  iconCache.set(category, canvas);
  return canvas;
}

export class ServicePoints {
  constructor(viewer, config, progress, onCount) {
    this.scene = viewer.scene;
    this.config = config;
    this.progress = progress;
    this.onCount = onCount;
    this.billboards = this.scene.primitives.add(new Cesium.BillboardCollection({ scene: this.scene }));
    this.labels = this.scene.primitives.add(new Cesium.LabelCollection({ scene: this.scene }));
    this.count = 0;
    this.pending = 0;
  }

  get idle() {
    return this.pending === 0;
  }

  setEnabled(on) {
    this.billboards.show = on;
    this.labels.show = on;
    this.scene.requestRender();
  }

  async load(extent) {
    this.pending += 1;
    this.progress.set("poi", t("loadingLayer", { layer: t("layerPoi") }));
    try {
      const params = { page_size: 5000 };
      if (extent) params.bbox = bboxParam(extent);
      const features = await getAllFeatures(withParams(this.config.servicePointsUrl, params));
      for (const f of features) {
        const [lon, lat] = f.geometry.coordinates;
        const position = Cesium.Cartesian3.fromDegrees(lon, lat);
        const record = { kind: "service_point", id: f.id, ...f.properties, lon, lat };
        this.billboards.add({
          position,
          image: icon(f.properties.category),
          width: 24, height: 24,
          heightReference: Cesium.HeightReference.CLAMP_TO_GROUND,
          verticalOrigin: Cesium.VerticalOrigin.CENTER,
          disableDepthTestDistance: Number.POSITIVE_INFINITY,
          // Icons from street to district scale; the whole-city view stays uncluttered.
          distanceDisplayCondition: new Cesium.DistanceDisplayCondition(0, 15000),
          scaleByDistance: new Cesium.NearFarScalar(1500, 1.0, 15000, 0.6),
          id: record,
        });
        this.labels.add({
          position,
          text: localName(f.properties),
          font: `13px ${LABEL_FONT}`,
          fillColor: Cesium.Color.WHITE,
          outlineColor: Cesium.Color.fromCssColorString("#03101f"),
          outlineWidth: 3,
          style: Cesium.LabelStyle.FILL_AND_OUTLINE,
          pixelOffset: new Cesium.Cartesian2(0, -20),
          heightReference: Cesium.HeightReference.CLAMP_TO_GROUND,
          verticalOrigin: Cesium.VerticalOrigin.BOTTOM,
          disableDepthTestDistance: Number.POSITIVE_INFINITY,
          distanceDisplayCondition: new Cesium.DistanceDisplayCondition(0, 4000),
          id: record,
        });
      }
      this.count = features.length;
      this.onCount("poi", features.length);
      return features.length;
    } finally {
      this.pending -= 1;
      this.progress.done("poi");
      this.scene.requestRender();
    }
  }
}

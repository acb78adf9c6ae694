// The cameras layer of the operations map: video points, shown below 15 km, greyed when off.
/* global Cesium */

import { cameraIcon } from "./icons.js";

export class CameraLayer {
  constructor(source, { requestRender }) {
    this.source = source;
    this.requestRender = requestRender;
  }

  /** Show exactly these cameras (GeoJSON features). */
  set(features) {
    const layer = this.source.entities;
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
}

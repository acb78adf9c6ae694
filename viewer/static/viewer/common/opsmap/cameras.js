// The cameras layer of the operations map: video points, shown below 15 km, greyed when off.
/* global Cesium */

import { cameraIcon } from "./icons.js";
import { PointFeatureLayer } from "./points.js";

export class CameraLayer extends PointFeatureLayer {
  constructor(source, shared) {
    super(source, "camera", shared);
  }

  graphics(f) {
    return {
      billboard: {
        image: cameraIcon(f.properties.active !== false), scale: 0.75,
        heightReference: Cesium.HeightReference.CLAMP_TO_GROUND,
        disableDepthTestDistance: Number.POSITIVE_INFINITY,
        distanceDisplayCondition: new Cesium.DistanceDisplayCondition(0, 15000),
      },
    };
  }
}

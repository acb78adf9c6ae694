// The depots layer of the operations map: the reserve stores, marked when an item is below
// its reserve minimum.
/* global Cesium */

import { depotIcon } from "./icons.js";
import { PointFeatureLayer } from "./points.js";
import { labelOptions } from "./style.js";

export class DepotLayer extends PointFeatureLayer {
  constructor(source, shared) {
    super(source, "depot", shared);
    this.i18n = shared.i18n;
  }

  graphics(f) {
    return {
      billboard: {
        image: depotIcon(f.properties.below_minimum || 0, { english: this.i18n.english }), scale: 0.8,
        heightReference: Cesium.HeightReference.CLAMP_TO_GROUND,
        disableDepthTestDistance: Number.POSITIVE_INFINITY,
      },
      label: labelOptions(f.properties.name, { size: 12, fill: "#99f6e4", far: 8000, offsetY: -26 }),
    };
  }
}

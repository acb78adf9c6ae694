// The depots layer of the operations map: the reserve stores, marked when an item is below
// its reserve minimum.
/* global Cesium */

import { depotIcon } from "./icons.js";
import { labelOptions } from "./style.js";

export class DepotLayer {
  constructor(source, { i18n, requestRender }) {
    this.source = source;
    this.i18n = i18n;
    this.requestRender = requestRender;
  }

  /** Show exactly these depots (GeoJSON features). */
  set(features) {
    const layer = this.source.entities;
    layer.removeAll();
    for (const f of features) {
      if (!f.geometry) continue;
      const [lon, lat] = f.geometry.coordinates;
      const entity = layer.add({
        id: `depot-${f.id}`,
        position: Cesium.Cartesian3.fromDegrees(lon, lat),
        billboard: {
          image: depotIcon(f.properties.below_minimum || 0, { english: this.i18n.english }), scale: 0.8,
          heightReference: Cesium.HeightReference.CLAMP_TO_GROUND,
          disableDepthTestDistance: Number.POSITIVE_INFINITY,
        },
        label: labelOptions(f.properties.name, { size: 12, fill: "#99f6e4", far: 8000, offsetY: -26 }),
      });
      entity.ops = { kind: "depot", id: f.id, data: { ...f.properties, lon, lat } };
    }
    this.requestRender();
  }

  /** [lon, lat] of a depot on the map, or null. */
  position(id) {
    const entity = this.source.entities.getById(`depot-${id}`);
    return entity ? [entity.ops.data.lon, entity.ops.data.lat] : null;
  }
}

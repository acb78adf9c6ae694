// A layer of points from GeoJSON features (depots, cameras): one entity per
// feature, picked as { kind, id, data }, its position asked back by id.
/* global Cesium */

export class PointFeatureLayer {
  constructor(source, kind, { requestRender }) {
    this.source = source;
    this.kind = kind;
    this.requestRender = requestRender;
  }

  /** The entity's graphics (billboard, label …) for one feature: subclasses say. */
  graphics(_feature) {
    return {};
  }

  /** Show exactly these features. */
  set(features) {
    const layer = this.source.entities;
    layer.removeAll();
    for (const f of features) {
      if (!f.geometry) continue;
      const [lon, lat] = f.geometry.coordinates;
      const entity = layer.add({
        id: `${this.kind}-${f.id}`,
        position: Cesium.Cartesian3.fromDegrees(lon, lat),
        ...this.graphics(f),
      });
      entity.ops = { kind: this.kind, id: f.id, data: { ...f.properties, lon, lat } };
    }
    this.requestRender();
  }

  /** [lon, lat] of a feature on the map, or null. */
  position(id) {
    const entity = this.source.entities.getById(`${this.kind}-${id}`);
    return entity ? [entity.ops.data.lon, entity.ops.data.lat] : null;
  }
}

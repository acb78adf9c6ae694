// The control zones layer of the operations map: sealed, controlled and prevention areas as
// translucent ground polygons in their tier's colour, a dashed edge and a label with the tier,
// the name and the people inside.
/* global Cesium */

import { centroid, colour, degreesArray, labelOptions, polygons } from "./style.js";

export class ZoneLayer {
  constructor(source, { i18n, requestRender }) {
    this.source = source;
    this.i18n = i18n;
    this.requestRender = requestRender;
  }

  /** Show exactly the active zones among these GeoJSON features. */
  set(features) {
    const { label, t } = this.i18n;
    const layer = this.source.entities;
    layer.removeAll();
    for (const f of features) {
      const p = f.properties;
      if (p.status && p.status !== "active") continue;
      const css = label("zoneTierColour", p.tier) || "#ffd21f";
      polygons(f.geometry).forEach((rings, k) => {
        const hierarchy = new Cesium.PolygonHierarchy(degreesArray(rings[0]),
          rings.slice(1).map((h) => new Cesium.PolygonHierarchy(degreesArray(h))));
        const entity = layer.add({
          id: `zone-${f.id}-${k}`,
          polygon: { hierarchy, material: colour(css, 0.28), classificationType: Cesium.ClassificationType.BOTH },
        });
        entity.ops = { kind: "zone", id: f.id, data: p };
        layer.add({
          id: `zone-${f.id}-${k}-edge`,
          polyline: {
            positions: degreesArray(rings[0]), width: 3, clampToGround: true,
            material: new Cesium.PolylineDashMaterialProperty({ color: colour(css), dashLength: 14 }),
          },
        });
        if (k === 0) {
          const [lon, lat] = centroid(rings[0]);
          layer.add({
            id: `zone-${f.id}-label`,
            position: Cesium.Cartesian3.fromDegrees(lon, lat),
            label: labelOptions(`${p.tier_label}${p.name && p.name !== p.tier_label ? ` · ${p.name}` : ""}\n`
              + t("peopleShort", { n: p.people_estimate ?? "—" }), { size: 13, fill: "#ffffff", far: 20000, offsetY: 0 }),
          });
        }
      });
    }
    this.requestRender();
  }

  /** How many zones the map shows (one polygon entity per zone part carries `ops`). */
  get count() {
    return this.source.entities.values.filter((e) => e.ops?.kind === "zone").length;
  }
}

// The incidents layer of the operations map: a pin per incident in its response level's
// colour, the selected one larger with its number and title readable from afar.
/* global Cesium */

import { incidentIcon } from "./icons.js";
import { labelOptions } from "./style.js";

const ENDED = ["closed", "cancelled", "merged"];

export class IncidentLayer {
  /** `source`: the Cesium data source to draw in; `i18n`: the page's translator. */
  constructor(source, { i18n, requestRender }) {
    this.source = source;
    this.i18n = i18n;
    this.requestRender = requestRender;
    this.entities = new Map(); // id → entity
    this.selected = null;
  }

  /** Show exactly these incidents. */
  set(list) {
    const seen = new Set();
    for (const incident of list) {
      seen.add(incident.id);
      this.upsert(incident);
    }
    for (const id of [...this.entities.keys()]) if (!seen.has(id)) this.remove(id);
    this.requestRender();
  }

  upsert(incident) {
    const loc = incident.location || (incident.geometry && {
      lon: incident.geometry.coordinates[0], lat: incident.geometry.coordinates[1] });
    if (!loc) return;
    const closed = ENDED.includes(incident.status);
    const selected = this.selected === incident.id;
    const fill = this.i18n.label("levelColour", incident.level) || "#2f7bff";
    let entity = this.entities.get(incident.id);
    if (!entity) {
      entity = this.source.entities.add({ id: `incident-${incident.id}` });
      entity.ops = { kind: "incident", id: incident.id };
      this.entities.set(incident.id, entity);
    }
    entity.ops.data = incident;
    entity.position = Cesium.Cartesian3.fromDegrees(loc.lon, loc.lat);
    entity.billboard = {
      image: incidentIcon(fill, incident.incident_type, { selected, closed, english: this.i18n.english }),
      verticalOrigin: Cesium.VerticalOrigin.BOTTOM,
      heightReference: Cesium.HeightReference.CLAMP_TO_GROUND,
      disableDepthTestDistance: Number.POSITIVE_INFINITY,
      scale: selected ? 0.9 : 0.72,
    };
    entity.label = labelOptions(`${incident.number || ""} ${incident.title || ""}`.trim(), {
      size: selected ? 14 : 12, fill: selected ? "#ffe28a" : "#ffffff", far: selected ? 60000 : 9000,
      offsetY: selected ? -62 : -52,
    });
    this.requestRender();
  }

  remove(id) {
    const entity = this.entities.get(id);
    if (entity) this.source.entities.remove(entity);
    this.entities.delete(id);
  }

  select(id) {
    const previous = this.selected;
    this.selected = id;
    for (const key of [previous, id]) {
      const entity = this.entities.get(key);
      if (entity) this.upsert(entity.ops.data);
    }
  }
}

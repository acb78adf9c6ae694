// Routes of the operations map: the road route of each active assignment (from the unit's start
// to the incident, coloured by unit type) and the dashed supply runs from depots to an incident.
/* global Cesium */

import { colour, degreesArray, lines } from "./style.js";

const ROUTE_COLOUR = {
  fire_engine: "#ff5a36", aerial_ladder: "#ff5a36", rescue_team: "#ff9f1a", hazmat: "#c084fc",
  ambulance: "#34d399", epidemic_team: "#34d399", police_car: "#60a5fa", command_vehicle: "#f472b6",
  other: "#e5e7eb",
};

export class RouteLayer {
  /** `routes` and `supplies`: the data sources of the assignment routes and the supply runs. */
  constructor(routes, supplies, { requestRender }) {
    this.routes = routes;
    this.supplies = supplies;
    this.requestRender = requestRender;
  }

  /** Routes of active assignments (each from the unit's start to the incident). */
  setRoutes(assignments) {
    const layer = this.routes.entities;
    layer.removeAll();
    for (const a of assignments) {
      if (!a.route || a.active === false) continue;
      const css = ROUTE_COLOUR[a.unit_type] || ROUTE_COLOUR.other;
      lines(a.route).forEach((coords, k) => {
        if (coords.length < 2) return;
        const entity = layer.add({
          id: `route-${a.id}-${k}`,
          polyline: {
            positions: degreesArray(coords), width: 9, clampToGround: true, zIndex: 5,
            material: new Cesium.PolylineOutlineMaterialProperty({
              color: colour(css), outlineColor: colour("#ffffff", 0.85), outlineWidth: 2 }),
          },
        });
        entity.ops = { kind: "route", id: a.id, data: a };
      });
    }
    this.requestRender();
  }

  get routeCount() {
    return this.routes.entities.values.length;
  }

  /** Dashed lines from the depots that supply an incident to it ({from, to} as [lon, lat]). */
  setSupplyRuns(runs) {
    const layer = this.supplies.entities;
    layer.removeAll();
    runs.forEach((run, k) => {
      layer.add({
        id: `supply-${k}`,
        polyline: {
          positions: degreesArray([run.from, run.to]), width: 4, clampToGround: true,
          material: new Cesium.PolylineDashMaterialProperty({ color: colour("#2dd4bf"), dashLength: 20 }),
        },
      });
    });
    this.requestRender();
  }
}

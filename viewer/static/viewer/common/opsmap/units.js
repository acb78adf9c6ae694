// The units layer of the operations map: a badge per unit in its status colour, moving live
// (each move glides over ~1 s so that the eye can follow it), grey when its position is stale;
// units standing at one station fan out in a small ring so each one shows.
/* global Cesium */

import { unitIcon } from "./icons.js";
import { labelOptions } from "./style.js";

const TWEEN_MS = 900;

export class UnitLayer {
  /** `source`: the Cesium data source to draw in; `staleSeconds`: age of a stale position. */
  constructor(source, { scene, i18n, staleSeconds = null, requestRender }) {
    this.source = source;
    this.scene = scene;
    this.i18n = i18n;
    this.staleSeconds = staleSeconds;
    this.requestRender = requestRender;
    this.units = new Map(); // id → {entity, data, from, to, start, offset}
    this.highlighted = new Set();
    this.tweening = 0;
  }

  /** Units from the GeoJSON layer (features at their last position or station). */
  setFeatures(features) {
    const seen = new Set();
    for (const f of features) {
      if (!f.geometry) continue;
      seen.add(f.id);
      const p = f.properties;
      this.upsert({
        id: f.id, code: p.code, name: p.name, unit_type: p.unit_type, status: p.status,
        lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1],
        at: p.last_position_at, atStation: p.at_station,
      }, { animate: false });
    }
    for (const id of [...this.units.keys()]) {
      if (!seen.has(id)) {
        this.source.entities.remove(this.units.get(id).entity);
        this.units.delete(id);
      }
    }
    this.spread();
    this.requestRender();
  }

  /** Units standing at the same place (a station) fan out in a small ring so each shows. */
  spread() {
    const groups = new Map();
    for (const unit of this.units.values()) {
      const key = `${unit.data.lon.toFixed(4)},${unit.data.lat.toFixed(4)}`;
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(unit);
    }
    for (const members of groups.values()) {
      members.sort((a, b) => a.data.id - b.data.id);
      members.forEach((unit, k) => {
        const n = members.length;
        const angle = (2 * Math.PI * k) / Math.max(n, 1) - Math.PI / 2;
        const radius = n > 1 ? 13 + 2 * n : 0;
        const offset = [Math.round(radius * Math.cos(angle)), Math.round(radius * Math.sin(angle))];
        if (unit.offset?.[0] !== offset[0] || unit.offset?.[1] !== offset[1]) {
          unit.offset = offset;
          this.draw(unit);
        }
      });
    }
  }

  /** Create or update a unit; a move glides over ~1 s so that the eye can follow it. */
  upsert(data, { animate = true } = {}) {
    let unit = this.units.get(data.id);
    const to = Cesium.Cartesian3.fromDegrees(data.lon, data.lat);
    if (!unit) {
      const entity = this.source.entities.add({ id: `unit-${data.id}` });
      unit = { entity, data: { ...data }, from: to, to, start: 0 };
      entity.ops = { kind: "unit", id: data.id };
      entity.position = new Cesium.CallbackProperty((time, result) => this.position(unit, result), false);
      this.units.set(data.id, unit);
    } else {
      const moved = unit.data.lon !== data.lon || unit.data.lat !== data.lat;
      if (moved) {
        unit.from = animate ? this.position(unit, new Cesium.Cartesian3()) : to;
        unit.to = to;
        unit.start = performance.now();
        if (animate) this.tween();
      }
      unit.data = { ...unit.data, ...data };
    }
    this.draw(unit);
    this.requestRender();
  }

  position(unit, result) {
    const f = Math.min(1, (performance.now() - unit.start) / TWEEN_MS);
    return Cesium.Cartesian3.lerp(unit.from, unit.to, f < 1 ? f * (2 - f) : 1, result || new Cesium.Cartesian3());
  }

  tween() {
    if (this.tweening) return;
    const step = () => {
      this.scene.requestRender();
      const busy = [...this.units.values()].some((u) => performance.now() - u.start < TWEEN_MS);
      this.tweening = busy ? requestAnimationFrame(step) : 0;
    };
    this.tweening = requestAnimationFrame(step);
  }

  /** Coalesced positions from the WebSocket. */
  applyPositions(items) {
    for (const p of items) {
      const known = this.units.get(p.unit);
      if (!known && !p.code) continue;
      if (known?.data.at && p.at && new Date(p.at) < new Date(known.data.at)) continue; // older than shown
      this.upsert({
        id: p.unit, code: p.code ?? known?.data.code, lon: p.lon, lat: p.lat, at: p.at,
        status: p.status ?? known?.data.status, stale: Boolean(p.stale), atStation: false,
        unit_type: known?.data.unit_type, speed_kmh: p.speed_kmh, heading: p.heading,
      });
    }
    if (items.length) this.spread();
  }

  /** The complete set of units whose position is stale (the server's "stale" message). */
  setStale(ids) {
    const stale = new Set(ids);
    for (const unit of this.units.values()) {
      const now = stale.has(unit.data.id);
      if (Boolean(unit.data.stale) !== now) {
        unit.data.stale = now;
        this.draw(unit);
      }
    }
    this.requestRender();
  }

  /** False when the unit is not on the map (the caller reloads the layer). */
  setStatus(id, status) {
    const unit = this.units.get(id);
    if (!unit) return false;
    unit.data.status = status;
    this.draw(unit);
    this.requestRender();
    return true;
  }

  highlight(ids) {
    const before = this.highlighted;
    this.highlighted = new Set(ids);
    for (const id of new Set([...before, ...ids])) {
      const unit = this.units.get(id);
      if (unit) this.draw(unit);
    }
    this.requestRender();
  }

  /** The unit's badge and call sign as its data, offset and highlight say. */
  draw(unit) {
    const d = unit.data;
    const highlighted = this.highlighted.has(d.id);
    const age = d.at ? (Date.now() - new Date(d.at).getTime()) / 1000 : Infinity;
    const stale = d.stale !== undefined
      ? Boolean(d.stale)
      : Boolean(!d.atStation && this.staleSeconds && age > this.staleSeconds);
    const css = this.i18n.label("unitStatusColour", d.status) || "#8a94a6";
    unit.entity.ops.data = d;
    const [dx, dy] = unit.offset || [0, 0];
    unit.entity.billboard = {
      image: unitIcon(css, d.unit_type, { stale, selected: highlighted, english: this.i18n.english }),
      scale: highlighted ? 0.95 : 0.78,
      pixelOffset: new Cesium.Cartesian2(dx, dy),
      heightReference: Cesium.HeightReference.CLAMP_TO_GROUND,
      disableDepthTestDistance: Number.POSITIVE_INFINITY,
    };
    unit.entity.label = labelOptions(d.code || "", {
      size: 11, fill: highlighted ? "#ffe28a" : "#dbeafe", far: highlighted ? 40000 : 3500, offsetY: -22 + dy });
    unit.entity.label.pixelOffset = new Cesium.Cartesian2(dx, -22 + dy);
  }
}

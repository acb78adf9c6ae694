// Search box: the platform's server-side search (addresses, buildings, admin areas, service
// points; fuzzy Chinese), debounced; choosing a result flies there and drops a marker.
/* global Cesium */

import { getJSON, withParams } from "../common/http.js";
import { flyToView } from "../common/scene.js";
import { config, t } from "./i18n.js";
import { $, debounce, el } from "./ui.js";

const RANGE_BY_TYPE = { building: 650, address: 400, service_point: 500, area: 3500 };

/** One search hit of /api/cim/search/ ({type, kind, id, label, code, lon, lat, bbox}). */
export function normaliseHit(raw) {
  const type = raw.type || "address";
  return {
    type,
    kind: raw.kind || "",
    id: raw.id ?? null,
    // the building an address is on (doors, units, rooms) or the building itself
    buildingId: raw.building_id ?? (type === "building" ? raw.id : null),
    title: raw.label || raw.name || "",
    subtitle: subtitleOf(type, raw),
    lon: raw.lon === null || raw.lon === undefined ? null : Number(raw.lon),
    lat: raw.lat === null || raw.lat === undefined ? null : Number(raw.lat),
    bbox: Array.isArray(raw.bbox) ? raw.bbox : null,
  };
}

function subtitleOf(type, raw) {
  if (type === "service_point") return config.serviceLabels[raw.kind] || raw.kind || "";
  if (type === "building") return config.useLabels[raw.kind] || raw.kind || "";
  if (type === "area") return [config.adminLevelLabels?.[raw.kind] || raw.kind, raw.code].filter(Boolean).join(" · ");
  return [config.addressKindLabels?.[raw.kind] || raw.kind, raw.code].filter(Boolean).join(" · ");
}

/** How far from the target the camera should stop for a hit. */
export function rangeFor(hit) {
  let range = RANGE_BY_TYPE[hit.type] || 400;
  if (hit.bbox) {
    const dx = (hit.bbox[2] - hit.bbox[0]) * 111320 * Math.cos((hit.lat * Math.PI) / 180);
    const dy = (hit.bbox[3] - hit.bbox[1]) * 110574;
    const size = Math.hypot(dx, dy);
    range = hit.type === "area" ? Math.max(600, size * 0.9) : Math.max(range, size * 4);
  }
  return range;
}

export class Search {
  constructor(viewer, { onChoose, groundHeight }) {
    this.viewer = viewer;
    this.onChoose = onChoose;
    this.groundHeight = groundHeight;
    this.input = $("#search-input");
    this.list = $("#search-results");
    this.status = $("#search-status");
    this.hits = [];
    this.focus = -1;
    this.controller = null;
    this.lastQuery = null; // promise of the latest search, for tests
    this.lastFlight = null;
    this.marker = null;
    const run = debounce(() => { this.lastQuery = this.run(this.input.value.trim()); }, 300);
    this.input.addEventListener("input", run);
    this.input.addEventListener("keydown", (event) => this.onKey(event));
    $("#search-form").addEventListener("submit", (event) => {
      event.preventDefault();
      if (this.focus >= 0 && this.hits[this.focus]) this.choose(this.hits[this.focus]);
      else if (this.hits.length) this.choose(this.hits[0]);
      else this.lastQuery = this.run(this.input.value.trim());
    });
  }

  say(text) {
    this.status.textContent = text || "";
    this.status.hidden = !text;
  }

  async run(query) {
    this.controller?.abort();
    if (!query) {
      this.render([]);
      this.say("");
      return [];
    }
    if (!config.searchUrl) {
      this.say(t("searchUnavailable"));
      return [];
    }
    const controller = new AbortController();
    this.controller = controller;
    this.say(t("searching"));
    try {
      const data = await getJSON(withParams(config.searchUrl, { q: query }), { signal: controller.signal });
      const hits = (data.results || []).map(normaliseHit).filter((h) => h.lon !== null && h.lat !== null);
      if (controller.signal.aborted) return [];
      this.render(hits);
      this.say(hits.length ? "" : t("searchEmpty"));
      return hits;
    } catch (error) {
      if (error.name === "AbortError") return [];
      this.render([]);
      this.say(t("searchFailed", { error: error.message }));
      return [];
    }
  }

  render(hits) {
    this.hits = hits;
    this.focus = -1;
    this.list.replaceChildren(...hits.map((hit, i) => el("li", {
      dataset: { index: String(i), type: hit.type, id: String(hit.id) },
      onclick: () => this.choose(hit),
    }, el("span", { class: "kind" }, t(`kind_${hit.type}`)), hit.title, hit.subtitle ? el("span", { class: "sub" }, hit.subtitle) : null)));
    this.list.hidden = hits.length === 0;
  }

  onKey(event) {
    if (!this.hits.length) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      this.focus = (this.focus + step + this.hits.length) % this.hits.length;
      [...this.list.children].forEach((li, i) => li.classList.toggle("focus", i === this.focus));
    } else if (event.key === "Escape") {
      this.render([]);
    }
  }

  /** Fly to a hit and mark it; resolves when the camera has arrived. */
  async choose(hit) {
    this.list.hidden = true;
    const height = await this.groundHeight(hit.lon, hit.lat);
    this.placeMarker(hit, height);
    const range = rangeFor(hit);
    this.lastFlight = flyToView(this.viewer, { lon: hit.lon, lat: hit.lat, height, heading: 0, pitch: -45, range }, { duration: 1.5 });
    await this.lastFlight;
    this.onChoose?.(hit);
    return hit;
  }

  placeMarker(hit, height) {
    const entities = this.viewer.entities;
    if (this.marker) entities.remove(this.marker);
    this.marker = entities.add({
      id: "search-marker",
      position: Cesium.Cartesian3.fromDegrees(hit.lon, hit.lat, height),
      billboard: {
        image: pinImage(),
        verticalOrigin: Cesium.VerticalOrigin.BOTTOM,
        heightReference: Cesium.HeightReference.CLAMP_TO_GROUND,
        disableDepthTestDistance: Number.POSITIVE_INFINITY,
      },
      label: {
        text: hit.title,
        font: "bold 15px 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif",
        fillColor: Cesium.Color.fromCssColorString("#ffd400"),
        outlineColor: Cesium.Color.fromCssColorString("#03101f"),
        outlineWidth: 3,
        style: Cesium.LabelStyle.FILL_AND_OUTLINE,
        pixelOffset: new Cesium.Cartesian2(0, -46),
        heightReference: Cesium.HeightReference.CLAMP_TO_GROUND,
        disableDepthTestDistance: Number.POSITIVE_INFINITY,
      },
    });
    this.viewer.scene.requestRender();
  }
}

let pin = null;

function pinImage() {
  if (pin) return pin;
  const canvas = document.createElement("canvas");
  canvas.width = 28; canvas.height = 40;
  const g = canvas.getContext("2d");
  g.beginPath();
  g.moveTo(14, 39);
  g.bezierCurveTo(4, 24, 1, 20, 1, 13);
  g.arc(14, 13, 13, Math.PI, 0);
  g.bezierCurveTo(27, 20, 24, 24, 14, 39);
  g.fillStyle = "#e8453c"; g.fill();
  g.lineWidth = 2; g.strokeStyle = "#ffffff"; g.stroke();
  g.beginPath(); g.arc(14, 13, 5, 0, 2 * Math.PI); g.fillStyle = "#ffffff"; g.fill();
  pin = canvas;
  return pin;
}

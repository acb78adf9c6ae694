// The route on a small 2D map drawn as SVG (no map library, no tile server): the roads
// around the route from the platform's road layer, the route, the unit and the incident.
// Web Mercator keeps angles true, so turns look as the crew sees them.

import { getAllFeatures, withParams } from "../common/http.js";

const NS = "http://www.w3.org/2000/svg";
const W = 600;
const H = 400;
const PAD = 24;
const ROAD_WIDTH = { motorway: 4, trunk: 3.5, primary: 3, secondary: 2.5, tertiary: 2 };

function svg(tag, attrs = {}) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function mercator([lon, lat]) {
  const y = Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360));
  return [lon * (Math.PI / 180), y];
}

const roadCache = new Map();

async function roadsAround(url, bbox) {
  const key = bbox.map((v) => v.toFixed(3)).join(",");
  if (!roadCache.has(key)) {
    roadCache.set(key, getAllFeatures(withParams(url, { bbox: key, page_size: 500 }), { maxPages: 6 })
      .catch(() => []));
  }
  return roadCache.get(key);
}

/** Draw `route` ({coords, origin}) towards `target` ({lon, lat}) into the <svg> `node`. */
export async function drawRoute(node, { route, target, roadsUrl }) {
  const coords = route.coords || [];
  const points = [...coords, [target.lon, target.lat]];
  if (route.origin) points.push([route.origin.lon, route.origin.lat]);
  const lons = points.map((p) => p[0]);
  const lats = points.map((p) => p[1]);
  const margin = 0.002;
  const bbox = [Math.min(...lons) - margin, Math.min(...lats) - margin, Math.max(...lons) + margin, Math.max(...lats) + margin];
  const [x0, y0] = mercator([bbox[0], bbox[1]]);
  const [x1, y1] = mercator([bbox[2], bbox[3]]);
  const scale = Math.min((W - 2 * PAD) / (x1 - x0 || 1e-9), (H - 2 * PAD) / (y1 - y0 || 1e-9));
  const ox = (W - (x1 - x0) * scale) / 2;
  const oy = (H - (y1 - y0) * scale) / 2;
  const project = (p) => {
    const [x, y] = mercator(p);
    return [(ox + (x - x0) * scale).toFixed(1), (H - oy - (y - y0) * scale).toFixed(1)];
  };
  const path = (line) => line.map((p, i) => `${i ? "L" : "M"}${project(p).join(",")}`).join("");
  node.setAttribute("viewBox", `0 0 ${W} ${H}`);
  node.replaceChildren();
  const roads = svg("g", { class: "roads", fill: "none", stroke: "#c9c3b3", "stroke-linecap": "round" });
  node.append(roads);
  const routeLine = svg("path", { d: path(coords), fill: "none", stroke: "#c0392b", "stroke-width": 6,
    "stroke-linejoin": "round", "stroke-linecap": "round", class: "route-line" });
  node.append(routeLine);
  const marker = (p, colour, label) => {
    const [cx, cy] = project(p);
    const g = svg("g", { class: `marker ${label}` });
    g.append(svg("circle", { cx, cy, r: 9, fill: colour, stroke: "#fff", "stroke-width": 3 }));
    node.append(g);
  };
  if (route.origin) marker([route.origin.lon, route.origin.lat], "#1f4e9c", "unit");
  marker([target.lon, target.lat], "#c0392b", "incident");
  const features = await roadsAround(roadsUrl, bbox);
  for (const f of features) {
    const g = f.geometry;
    if (!g) continue;
    const lines = g.type === "MultiLineString" ? g.coordinates : [g.coordinates];
    const width = ROAD_WIDTH[f.properties?.road_class] || 1.5;
    for (const line of lines) roads.append(svg("path", { d: path(line), "stroke-width": width }));
  }
}

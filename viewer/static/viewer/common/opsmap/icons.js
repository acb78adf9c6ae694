// Map symbols drawn on canvases (no image files, no fonts from outside): incidents as pins in
// their level colour, units as badges in their status colour, depots, cameras.

const FONT = "'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif";
const cache = new Map();

const TYPE_GLYPH_ZH = {
  flood: "涝", earthquake: "震", landslide: "滑", forest_fire: "林", snowstorm: "雪", fire: "火",
  traffic_accident: "车", hazmat: "危", gas_leak: "气", building_collapse: "塌", utility_failure: "电",
  epidemic: "疫", food_poisoning: "食", medical: "医", public_order: "群", crime: "案", terrorism: "恐",
  other: "事",
};
const TYPE_GLYPH_EN = {
  flood: "Fl", earthquake: "Eq", landslide: "Ls", forest_fire: "FF", snowstorm: "Sn", fire: "F",
  traffic_accident: "T", hazmat: "Hz", gas_leak: "G", building_collapse: "Co", utility_failure: "U",
  epidemic: "Ep", food_poisoning: "FP", medical: "M", public_order: "PO", crime: "Cr", terrorism: "Te",
  other: "?",
};
const UNIT_GLYPH_ZH = {
  fire_engine: "消", aerial_ladder: "梯", ambulance: "救", police_car: "警", rescue_team: "援",
  epidemic_team: "疫", hazmat: "危", command_vehicle: "指", other: "其",
};
const UNIT_GLYPH_EN = {
  fire_engine: "E", aerial_ladder: "L", ambulance: "A", police_car: "P", rescue_team: "R",
  epidemic_team: "Q", hazmat: "H", command_vehicle: "C", other: "O",
};

export const typeGlyph = (type, english = false) => (english ? TYPE_GLYPH_EN : TYPE_GLYPH_ZH)[type] || "•";
export const unitGlyph = (type, english = false) => (english ? UNIT_GLYPH_EN : UNIT_GLYPH_ZH)[type] || "•";

function canvas(w, h) {
  const c = document.createElement("canvas");
  c.width = w;
  c.height = h;
  return [c, c.getContext("2d")];
}

function darker(hex, f = 0.55) {
  const n = parseInt(hex.slice(1), 16);
  const r = Math.round(((n >> 16) & 255) * f);
  const g = Math.round(((n >> 8) & 255) * f);
  const b = Math.round((n & 255) * f);
  return `rgb(${r},${g},${b})`;
}

function textColour(hex) {
  const n = parseInt(hex.slice(1), 16);
  const lum = 0.299 * ((n >> 16) & 255) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255);
  return lum > 150 ? "#111a28" : "#ffffff";
}

/** A map pin in the level colour with the incident type's glyph; `selected` adds a halo. */
export function incidentIcon(colour, type, { selected = false, closed = false, english = false } = {}) {
  const key = `i|${colour}|${type}|${selected}|${closed}|${english}`;
  if (cache.has(key)) return cache.get(key);
  const [c, g] = canvas(56, 68);
  const cx = 28; const cy = 24; const r = 17;
  if (selected) {
    g.beginPath(); g.arc(cx, cy, r + 8, 0, Math.PI * 2);
    g.fillStyle = "rgba(255,255,255,0.25)"; g.fill();
    g.lineWidth = 2; g.strokeStyle = "#ffffff"; g.stroke();
  }
  g.beginPath();
  g.moveTo(cx, 64);
  g.bezierCurveTo(cx - 6, 50, cx - r, 38, cx - r, cy);
  g.arc(cx, cy, r, Math.PI, 0);
  g.bezierCurveTo(cx + r, 38, cx + 6, 50, cx, 64);
  g.closePath();
  g.fillStyle = closed ? "#6b7280" : colour;
  g.fill();
  g.lineWidth = 2.5; g.strokeStyle = closed ? "#374151" : darker(colour); g.stroke();
  g.beginPath(); g.arc(cx, cy, r - 5, 0, Math.PI * 2);
  g.fillStyle = "rgba(255,255,255,0.92)"; g.fill();
  const glyph = typeGlyph(type, english);
  g.fillStyle = closed ? "#374151" : darker(colour, 0.75);
  g.font = `bold ${glyph.length > 1 ? 12 : 16}px ${FONT}`;
  g.textAlign = "center"; g.textBaseline = "middle";
  g.fillText(glyph, cx, cy + 1);
  cache.set(key, c);
  return c;
}

/** A rounded badge in the unit status colour with the unit type's glyph; stale units fade. */
export function unitIcon(colour, type, { stale = false, selected = false, english = false } = {}) {
  const key = `u|${colour}|${type}|${stale}|${selected}|${english}`;
  if (cache.has(key)) return cache.get(key);
  const [c, g] = canvas(40, 40);
  const x = 6; const y = 6; const w = 28; const h = 28; const rad = 7;
  if (selected) {
    g.beginPath(); g.arc(20, 20, 19, 0, Math.PI * 2); g.fillStyle = "rgba(255,255,255,.35)"; g.fill();
  }
  g.globalAlpha = stale ? 0.55 : 1;
  g.beginPath();
  g.moveTo(x + rad, y); g.arcTo(x + w, y, x + w, y + h, rad); g.arcTo(x + w, y + h, x, y + h, rad);
  g.arcTo(x, y + h, x, y, rad); g.arcTo(x, y, x + w, y, rad); g.closePath();
  g.fillStyle = colour; g.fill();
  g.lineWidth = 2; g.strokeStyle = stale ? "#9aa4b2" : "#0b1220";
  if (stale) g.setLineDash([3, 2]);
  g.stroke();
  g.setLineDash([]);
  g.fillStyle = textColour(colour);
  g.font = `bold 16px ${FONT}`;
  g.textAlign = "center"; g.textBaseline = "middle";
  g.fillText(unitGlyph(type, english), 20, 21);
  cache.set(key, c);
  return c;
}

/** A depot: a dark-teal hexagon, a red corner dot when an item is below its minimum. */
export function depotIcon(belowMinimum, { english = false } = {}) {
  const key = `d|${belowMinimum > 0}|${english}`;
  if (cache.has(key)) return cache.get(key);
  const [c, g] = canvas(44, 44);
  g.beginPath();
  for (let k = 0; k < 6; k += 1) {
    const a = Math.PI / 6 + (k * Math.PI) / 3;
    const px = 22 + 16 * Math.cos(a); const py = 22 + 16 * Math.sin(a);
    if (k === 0) g.moveTo(px, py); else g.lineTo(px, py);
  }
  g.closePath();
  g.fillStyle = "#0f766e"; g.fill();
  g.lineWidth = 2.5; g.strokeStyle = "#99f6e4"; g.stroke();
  g.fillStyle = "#ffffff"; g.font = `bold 15px ${FONT}`;
  g.textAlign = "center"; g.textBaseline = "middle";
  g.fillText(english ? "D" : "储", 22, 23);
  if (belowMinimum > 0) {
    g.beginPath(); g.arc(35, 9, 7, 0, Math.PI * 2); g.fillStyle = "#e8262a"; g.fill();
    g.strokeStyle = "#fff"; g.lineWidth = 1.5; g.stroke();
    g.fillStyle = "#fff"; g.font = `bold 10px ${FONT}`; g.fillText("!", 35, 9.5);
  }
  cache.set(key, c);
  return c;
}

/** A camera: a small dark-blue disc with a lens. */
export function cameraIcon(active = true) {
  const key = `c|${active}`;
  if (cache.has(key)) return cache.get(key);
  const [c, g] = canvas(28, 28);
  g.beginPath(); g.arc(14, 14, 11, 0, Math.PI * 2);
  g.fillStyle = active ? "#1e3a8a" : "#4b5563"; g.fill();
  g.lineWidth = 2; g.strokeStyle = active ? "#93c5fd" : "#9ca3af"; g.stroke();
  g.fillStyle = "#e0f2fe";
  g.fillRect(7, 10, 10, 8);
  g.beginPath(); g.moveTo(17, 12); g.lineTo(22, 9); g.lineTo(22, 19); g.lineTo(17, 16); g.closePath(); g.fill();
  cache.set(key, c);
  return c;
}

/** A small square marker for a picked point or a zone vertex. */
export function vertexIcon(colour = "#36c5f0") {
  const key = `v|${colour}`;
  if (cache.has(key)) return cache.get(key);
  const [c, g] = canvas(16, 16);
  g.fillStyle = colour; g.fillRect(3, 3, 10, 10);
  g.strokeStyle = "#03101f"; g.lineWidth = 2; g.strokeRect(3, 3, 10, 10);
  cache.set(key, c);
  return c;
}

/** Crosshair for the point chosen for a new incident. */
export function pickIcon() {
  if (cache.has("pick")) return cache.get("pick");
  const [c, g] = canvas(44, 44);
  g.strokeStyle = "#ffffff"; g.lineWidth = 3;
  g.beginPath(); g.arc(22, 22, 12, 0, Math.PI * 2); g.stroke();
  g.strokeStyle = "#e8262a"; g.lineWidth = 2;
  g.beginPath(); g.arc(22, 22, 12, 0, Math.PI * 2); g.stroke();
  g.beginPath();
  g.moveTo(22, 2); g.lineTo(22, 14); g.moveTo(22, 30); g.lineTo(22, 42);
  g.moveTo(2, 22); g.lineTo(14, 22); g.moveTo(30, 22); g.lineTo(42, 22);
  g.stroke();
  cache.set("pick", c);
  return c;
}

// Thematic colouring of the 3D buildings (height, use, year) with a legend.
/* global Cesium */

import { DEFAULT_BUILDING_COLOR } from "../common/scene.js";
import { config, t } from "./i18n.js";
import { el } from "./ui.js";

// Names of the per-building properties in the tiles' EXT_structural_metadata table.
export const PROP = { id: "id", name: "name", height: "height", floors: "floors", use: "use", year: "year" };

const HEIGHT_CLASSES = [
  { key: "h1", upTo: 10, color: "#3b6fb6" },
  { key: "h2", upTo: 24, color: "#4fb0c6" },
  { key: "h3", upTo: 50, color: "#9fd26a" },
  { key: "h4", upTo: 100, color: "#f6b93b" },
  { key: "h5", upTo: Infinity, color: "#e8453c" },
];

const YEAR_CLASSES = [
  { key: "y1", before: 1980, color: "#8c510a" },
  { key: "y2", before: 2000, color: "#d8b365" },
  { key: "y3", before: 2010, color: "#c7eae5" },
  { key: "y4", before: 2020, color: "#5ab4ac" },
  { key: "y5", before: Infinity, color: "#1f78b4" },
];

// Colours follow the usual land-use map palette (居住黄、商业红、办公紫、公服橙、工业棕…).
const USE_COLORS = {
  residential: "#f5d76e",
  commercial: "#e8453c",
  office: "#b07cd8",
  public: "#f39c4a",
  education: "#ffa7c4",
  healthcare: "#ff6f91",
  industrial: "#a67c52",
  religious: "#9ad0a8",
  transport: "#8fa3b8",
  agricultural: "#7fbf5a",
  other: "#c8ccd2",
};
const UNKNOWN_COLOR = "#9aa3ad";

const p = (name) => `\${${name}}`;
const colorOf = (css) => `color('${css}')`;

function heightStyle() {
  const conditions = [[`${p(PROP.height)} === undefined || ${p(PROP.height)} === null`, colorOf(UNKNOWN_COLOR)]];
  for (const c of HEIGHT_CLASSES) {
    conditions.push([c.upTo === Infinity ? "true" : `${p(PROP.height)} < ${c.upTo}`, colorOf(c.color)]);
  }
  return conditions;
}

function yearStyle() {
  const y = p(PROP.year);
  const conditions = [[`${y} === undefined || ${y} === null || ${y} < 1000`, colorOf(UNKNOWN_COLOR)]];
  for (const c of YEAR_CLASSES) {
    conditions.push([c.before === Infinity ? "true" : `${y} < ${c.before}`, colorOf(c.color)]);
  }
  return conditions;
}

function useStyle() {
  const conditions = Object.entries(USE_COLORS).map(([name, css]) => [`${p(PROP.use)} === '${name}'`, colorOf(css)]);
  conditions.push(["true", colorOf(UNKNOWN_COLOR)]);
  return conditions;
}

export const THEMES = {
  none: { style: () => DEFAULT_BUILDING_COLOR, legend: null },
  height: {
    style: heightStyle,
    legend: () => ({ title: t("legendHeight"), items: HEIGHT_CLASSES.map((c) => [c.color, t(c.key)]) }),
  },
  use: {
    style: useStyle,
    legend: () => ({
      title: t("legendUse"),
      items: Object.entries(USE_COLORS).map(([name, css]) => [css, config.useLabels[name] || name]),
    }),
  },
  year: {
    style: yearStyle,
    legend: () => ({
      title: t("legendYear"),
      items: [...YEAR_CLASSES.map((c) => [c.color, t(c.key)]), [UNKNOWN_COLOR, t("unknown")]],
    }),
  },
};

/** Apply a theme to the tileset and draw its legend; returns the style applied. */
export function applyTheme(tileset, name, legendBox) {
  const theme = THEMES[name] || THEMES.none;
  const rule = theme.style();
  const style = new Cesium.Cesium3DTileStyle({
    color: Array.isArray(rule) ? { conditions: rule } : rule,
  });
  if (tileset) tileset.style = style;
  renderLegend(legendBox, theme.legend ? theme.legend() : null);
  return style;
}

function renderLegend(box, legend) {
  box.replaceChildren();
  if (!legend) {
    box.hidden = true;
    return;
  }
  box.append(
    el("h4", {}, legend.title),
    el("ul", {}, legend.items.map(([css, label]) => el("li", {}, el("i", { style: { background: css } }), label))),
  );
  box.hidden = false;
}

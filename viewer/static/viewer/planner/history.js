// 历史变化: compare the city at two dates (a date slider sets the first) and colour the buildings
// new, changed and demolished since (the history diff API), by feature id in the 3D Tiles style.
// The buildings that stood at the first date and are deleted now are not in the tiles: they are
// drawn from their stored versions (footprint extruded to their height then, translucent red) as
// entities the info panel shows when picked.
/* global Cesium */

import { errorText, getJSON, withParams } from "../common/http.js";
import { config, fmtInt, t } from "./i18n.js";
import { $, debounce, el } from "./ui.js";

export const HISTORY_COLOURS = { new: "#2e9d4f", changed: "#f28c28", removed: "#d64541" };
const DEMOLISHED_ALPHA = 0.55;
const MAX_STYLED = 3000;
const DAY = 24 * 3600 * 1000;

function isoDay(date) {
  return new Date(date.getTime() - date.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
}

export class HistoryTool {
  constructor(viewer, hooks) {
    this.viewer = viewer;
    this.hooks = hooks;
    this.box = $("#panel-history");
    this.last = null; // the last diff shown (for tests)
    if (!this.box || !config.historyDiffUrl) return;
    this.demolished = null; // {at, count, ids}: what the slider's date draws (for tests)
    this.demolishedSource = new Cesium.CustomDataSource("history-demolished");
    viewer.dataSources.add(this.demolishedSource);
    $("#hi-to").value = isoDay(new Date());
    this.slide();
    const redraw = debounce(() => this.drawDemolished($("#hi-from").value), 250);
    $("#hi-slider").addEventListener("input", () => {
      this.slide();
      redraw();
    });
    $("#hi-run").addEventListener("click", () => this.compare());
    $("#hi-clear").addEventListener("click", () => this.clear());
  }

  /** Draw the buildings that stood on ``day`` and are deleted now, as they were then. */
  async drawDemolished(day) {
    if (!config.historyDemolishedUrl || !day) return null;
    this.drawing = day;
    let data;
    try {
      data = await getJSON(withParams(config.historyDemolishedUrl, { at: day }));
    } catch (error) {
      this.hooks.toast(errorText(error));
      return null;
    }
    if (this.drawing !== day) return null; // the slider has moved on
    const entities = this.demolishedSource.entities;
    entities.suspendEvents();
    entities.removeAll();
    const colour = Cesium.Color.fromCssColorString(HISTORY_COLOURS.removed).withAlpha(DEMOLISHED_ALPHA);
    for (const feature of data.features) {
      const props = feature.properties;
      const polygons = feature.geometry.type === "MultiPolygon"
        ? feature.geometry.coordinates : [feature.geometry.coordinates];
      polygons.forEach((rings, part) => {
        const [outer, ...holes] = rings.map((ring) => Cesium.Cartesian3.fromDegreesArray(ring.flat()));
        entities.add({
          id: `demolished-${props.id}-${part}`,
          name: props.name || props.source_id,
          polygon: {
            hierarchy: new Cesium.PolygonHierarchy(outer, holes.map((h) => new Cesium.PolygonHierarchy(h))),
            height: 0, heightReference: Cesium.HeightReference.RELATIVE_TO_GROUND,
            extrudedHeight: props.height, extrudedHeightReference: Cesium.HeightReference.RELATIVE_TO_GROUND,
            material: colour,
          },
          properties: { demolished: props },
        });
      });
    }
    entities.resumeEvents();
    this.demolished = { at: day, count: data.features.length, ids: data.features.map((f) => f.id) };
    this.legend();
    this.viewer.scene.requestRender();
    return this.demolished;
  }

  /** The slider sets the first date, counted back from the second. */
  slide() {
    const to = new Date($("#hi-to").value || Date.now());
    $("#hi-from").value = isoDay(new Date(to.getTime() - Number($("#hi-slider").value) * DAY));
  }

  async compare() {
    const from = $("#hi-from").value;
    const to = $("#hi-to").value;
    try {
      const [diff] = await Promise.all([getJSON(withParams(config.historyDiffUrl, { from, to })),
        this.drawDemolished(from)]);
      this.last = diff;
      this.colour(diff);
      $("#hi-summary").textContent = t("hiSummary", {
        from, to, new: fmtInt(diff.new.length), changed: fmtInt(diff.changed.length),
        removed: fmtInt(diff.removed.length),
      });
      this.box.dataset.state = "shown";
    } catch (error) {
      this.hooks.toast(errorText(error));
    }
  }

  colour(diff) {
    const tileset = this.hooks.getTileset();
    if (!tileset) return;
    const conditions = [];
    for (const kind of ["new", "changed"]) {
      for (const row of diff[kind].slice(0, MAX_STYLED)) {
        conditions.push([`\${id} === '${row.id}' || \${id} === ${Number(row.id)}`,
          `color('${HISTORY_COLOURS[kind]}')`]);
      }
    }
    conditions.push(["true", "color('#d5e1f2', 0.85)"]);
    tileset.style = new Cesium.Cesium3DTileStyle({ color: { conditions } });
    this.legend();
    this.viewer.scene.requestRender();
  }

  /** The legend: the diff's colours, and the demolished buildings drawn for the slider's date. */
  legend() {
    const items = [];
    if (this.last) {
      items.push(...["new", "changed", "removed"].map((kind) => el("li", {},
        el("i", { style: { background: HISTORY_COLOURS[kind] } }),
        t(`hiLegend_${kind}`, { n: fmtInt(this.last[kind].length) }))));
    }
    if (this.demolished) {
      const swatch = Cesium.Color.fromCssColorString(HISTORY_COLOURS.removed).withAlpha(DEMOLISHED_ALPHA);
      items.push(el("li", { id: "hi-legend-demolished" },
        el("i", { style: { background: swatch.toCssColorString() } }),
        t("hiLegend_demolished", { date: this.demolished.at, n: fmtInt(this.demolished.count) })));
    }
    const legend = $("#legend");
    legend.replaceChildren(el("h4", {}, t("hiLegend")), el("ul", {}, ...items));
    legend.hidden = false;
  }

  clear() {
    $("#hi-summary").textContent = "";
    $("#legend").hidden = true;
    delete this.box.dataset.state;
    this.drawing = null;
    this.last = null;
    this.demolished = null;
    this.demolishedSource.entities.removeAll();
    this.hooks.restyle();
  }
}

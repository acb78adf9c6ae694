// 历史变化: compare the city at two dates (a date slider sets the first) and colour the buildings
// new, changed and demolished since (the history diff API), by feature id in the 3D Tiles style.
/* global Cesium */

import { errorText, getJSON, withParams } from "../common/http.js";
import { config, fmtInt, t } from "./i18n.js";
import { $, el } from "./ui.js";

export const HISTORY_COLOURS = { new: "#2e9d4f", changed: "#f28c28", removed: "#d64541" };
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
    $("#hi-to").value = isoDay(new Date());
    this.slide();
    $("#hi-slider").addEventListener("input", () => this.slide());
    $("#hi-run").addEventListener("click", () => this.compare());
    $("#hi-clear").addEventListener("click", () => this.clear());
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
      const diff = await getJSON(withParams(config.historyDiffUrl, { from, to }));
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
    const legend = $("#legend");
    legend.replaceChildren(el("h4", {}, t("hiLegend")), el("ul", {},
      ...["new", "changed", "removed"].map((kind) => el("li", {},
        el("i", { style: { background: HISTORY_COLOURS[kind] } }),
        t(`hiLegend_${kind}`, { n: fmtInt(diff[kind].length) })))));
    legend.hidden = false;
    this.viewer.scene.requestRender();
  }

  clear() {
    $("#hi-summary").textContent = "";
    $("#legend").hidden = true;
    delete this.box.dataset.state;
    this.hooks.restyle();
  }
}

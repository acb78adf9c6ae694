// Sunlight study (日照分析): sun shadows at a chosen date and time of day, Beijing time.
/* global Cesium */

import { t } from "./i18n.js";
import { $ } from "./ui.js";

const BEIJING_OFFSET_MIN = 8 * 60; // Asia/Shanghai has no daylight saving time

const pad = (n) => String(n).padStart(2, "0");

/** The Julian date of a Beijing local date (YYYY-MM-DD) and minutes after midnight. */
export function beijingTime(dateText, minutes) {
  const [y, m, d] = dateText.split("-").map(Number);
  const utcMs = Date.UTC(y, m - 1, d, 0, minutes) - BEIJING_OFFSET_MIN * 60000;
  return Cesium.JulianDate.fromDate(new Date(utcMs));
}

/** Beijing local "YYYY-MM-DD HH:MM" of a Julian date. */
export function beijingText(julian) {
  const local = new Date(Cesium.JulianDate.toDate(julian).getTime() + BEIJING_OFFSET_MIN * 60000);
  return `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())} `
    + `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}`;
}

export class SunStudy {
  constructor(viewer, getTileset) {
    this.viewer = viewer;
    this.getTileset = getTileset;
    this.mapLight = null; // the hill-shading light used while the study is off
    this.toggle = $("#sun-shadows");
    this.date = $("#sun-date");
    this.time = $("#sun-time");
    this.label = $("#sun-label");
    const now = beijingText(viewer.clock.currentTime);
    this.date.value = now.slice(0, 10);
    this.time.value = String(Number(now.slice(11, 13)) * 60 + Number(now.slice(14, 16)));
    this.toggle.addEventListener("change", () => this.setShadows(this.toggle.checked));
    this.date.addEventListener("change", () => this.update());
    this.time.addEventListener("input", () => this.update());
    for (const button of document.querySelectorAll("[data-sun-date]")) {
      button.addEventListener("click", () => {
        const year = (this.date.value || now).slice(0, 4);
        this.date.value = `${year}-${button.dataset.sunDate}`;
        this.update();
      });
    }
    this.update();
  }

  /** The light to use while shadows are off (set once the city is known). */
  setMapLight(light) {
    this.mapLight = light;
    if (!this.viewer.shadows) this.viewer.scene.light = light;
    this.viewer.scene.requestRender();
  }

  setShadows(on) {
    const viewer = this.viewer;
    viewer.shadows = on;
    viewer.scene.light = on || !this.mapLight ? new Cesium.SunLight() : this.mapLight;
    if (on) {
      const map = viewer.shadowMap;
      map.softShadows = false;
      map.size = 2048;
      map.maximumDistance = 4000;
      map.darkness = 0.35;
      viewer.scene.globe.shadows = Cesium.ShadowMode.RECEIVE_ONLY;
      const tileset = this.getTileset();
      if (tileset) tileset.shadows = Cesium.ShadowMode.ENABLED;
    }
    this.toggle.checked = on;
    viewer.scene.requestRender();
  }

  /** Move the clock to the chosen moment and show it in Beijing time. */
  update() {
    const minutes = Number(this.time.value);
    if (!this.date.value) return;
    this.viewer.clock.currentTime = beijingTime(this.date.value, minutes);
    this.label.textContent = t("sunTime", { time: beijingText(this.viewer.clock.currentTime) });
    this.viewer.scene.requestRender();
  }

  /** For tests and bookmarks: set date and minutes after midnight at once. */
  set(dateText, minutes) {
    this.date.value = dateText;
    this.time.value = String(minutes);
    this.update();
  }
}

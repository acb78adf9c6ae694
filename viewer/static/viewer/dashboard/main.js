// The operations dashboard (网络理政中心): the city map and the charts, all figures from the
// statistics API, refreshed when the live feed says something changed.
// `window.cimDashboard` is the page's test hook.
import * as echarts from "../../vendor/echarts/echarts.esm.min.mjs";
import { $, el, messageBox } from "../common/dom.js";
import { errorText, getAll, getAllFeatures, getJSON, withParams } from "../common/http.js";
import { LiveClient } from "../common/live.js";
import { OpsMap } from "../common/opsmap/map.js";
import { Progress } from "../common/progress.js";
import { config, fmtDuration, fmtInt, fmtTime, i18n, t } from "./i18n.js";
import {
  categoryOption, hourOption, levelOption, platesOption, responseOption, suppliesOption, unitsOption,
} from "./charts.js";

const notify = messageBox("#ops-toast", "ops-toast");
const REFRESH_EVERY_MS = 60000; // the 24-hour windows roll on even when nothing happens

// Which figures an event kind changes.
const AFFECTS = [
  [/^incident\./, ["incidents", "response", "map"]],
  [/^task\./, ["incidents"]],
  [/^assignment\./, ["response", "units"]],
  [/^unit\.status/, ["units", "response"]],
  [/^(stock|supply_request)\./, ["supplies"]],
  [/^report\./, ["plates"]],
  [/^zone\./, ["map"]],
];

function deferred() {
  let resolve; let reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

class Dashboard {
  constructor() {
    this.data = {};
    this.charts = {};
    this.errors = [];
    this.loads = 0;
    this.ready = deferred();
    this.progress = new Progress();
    this.map = new OpsMap($("#cesium"), {
      progress: this.progress, basemapUrls: config.basemap, i18n, staleSeconds: config.staleSeconds,
      onError: (m) => this.errors.push(m),
    });
    for (const id of ["category", "level", "hour", "response", "units", "supplies", "plates"]) {
      const box = document.getElementById(`chart-${id}`);
      box.replaceChildren();
      this.charts[id] = echarts.init(box, null, { renderer: "canvas" });
    }
    window.addEventListener("resize", () => Object.values(this.charts).forEach((c) => c.resize()));
    this.live = new LiveClient({ wsBase: config.wsUrl, lastEventId: config.lastEventId });
    this.live.on("state", (state) => this.showLive(state));
    this.live.on("event", (event) => this.onEvent(event));
    this.live.on("positions", (items) => this.map.applyPositions(items));
    this.live.on("stale", (ids) => this.map.setStale(ids));
    this.live.on("resync", () => this.refresh(["incidents", "response", "units", "supplies", "plates", "map"]));
    this.pending = new Set();
    setInterval(() => this.tick(), 1000);
    setInterval(() => this.refresh(["incidents", "response", "plates"]), REFRESH_EVERY_MS);
  }

  async start() {
    const figures = this.refresh(["incidents", "response", "units", "supplies", "plates"]);
    try {
      const city = await getJSON(config.api.cityInfo);
      await this.map.loadCity(city);
      this.map.viewer.scene.screenSpaceCameraController.enableTilt = true;
    } catch (error) {
      this.errors.push(`city: ${errorText(error)}`);
    }
    await Promise.all([figures, this.loadMap()]);
    this.live.connect();
    this.ready.resolve(true);
  }

  async loadMap() {
    const [incidents, units, zones] = await Promise.allSettled([
      getAll(withParams(config.api.incidents, { active: true, page_size: 500 })),
      getAllFeatures(withParams(config.api.unitsGeo, { page_size: 2000 })),
      getAllFeatures(withParams(config.api.zones, { active: true, page_size: 500 })),
    ]);
    if (incidents.status === "fulfilled") this.map.setIncidents(incidents.value);
    if (units.status === "fulfilled") this.map.setUnits(units.value);
    if (zones.status === "fulfilled") this.map.setZones(zones.value);
    const active = incidents.status === "fulfilled" ? incidents.value.length : 0;
    $("#map-sub").textContent = t("mapSub", { incidents: active, units: units.status === "fulfilled" ? units.value.length : 0 });
  }

  /** Fetch and draw the named figures. */
  async refresh(parts) {
    const jobs = parts.map((part) => this.load(part).catch((error) => {
      this.errors.push(`${part}: ${errorText(error)}`);
      notify(t("loadFailed", { error: `${part}: ${errorText(error)}` }));
    }));
    this.progress.set("stats", t("loadingStats"));
    await Promise.all(jobs);
    this.progress.done("stats");
    this.renderKpis();
    this.loads += 1;
  }

  async load(part) {
    const api = config.api;
    switch (part) {
      case "incidents":
        this.data.incidents = await getJSON(api.statsIncidents);
        this.charts.category.setOption(categoryOption(this.data.incidents), true);
        this.charts.level.setOption(levelOption(this.data.incidents), true);
        this.charts.hour.setOption(hourOption(this.data.incidents), true);
        break;
      case "response": {
        this.data.response = await getJSON(api.statsResponse);
        this.charts.response.setOption(responseOption(this.data.response), true);
        const s = this.data.response.summary;
        sub("chart-response", s.response_s.count ? t("responseSub", {
          median: fmtDuration(s.response_s.median_s), p90: fmtDuration(s.response_s.p90_s),
          share: s.response_s.met_share === null ? "—" : Math.round(s.response_s.met_share * 100),
        }) : t("noResponses"));
        break;
      }
      case "units":
        this.data.units = await getJSON(api.statsUnits);
        this.charts.units.setOption(unitsOption(this.data.units), true);
        sub("chart-units", t("unitsSub", { stale: this.data.units.stale, none: this.data.units.no_position }));
        break;
      case "supplies":
        this.data.supplies = await getJSON(api.statsSupplies);
        this.charts.supplies.setOption(suppliesOption(this.data.supplies), true);
        sub("chart-supplies", t("suppliesSub", { n: this.data.supplies.below_minimum.length }));
        break;
      case "plates":
        this.data.plates = await getJSON(api.statsPlates);
        this.charts.plates.setOption(platesOption(this.data.plates), true);
        sub("chart-plates", t("platesSub", { scans: fmtInt(this.data.plates.totals.scans), reports: fmtInt(this.data.plates.totals.reports) }));
        break;
      case "map":
        await this.loadMap();
        break;
      default:
        break;
    }
  }

  renderKpis() {
    const d = this.data;
    const set = (key, value, note = "") => {
      const card = document.querySelector(`[data-kpi="${key}"]`);
      if (!card) return;
      card.querySelector("[data-value]").textContent = value;
      card.querySelector("[data-note]").textContent = note;
    };
    if (d.incidents) {
      const major = d.incidents.by_level.filter((r) => r.key === "I" || r.key === "II").reduce((a, r) => a + r.count, 0);
      set("incidents", fmtInt(d.incidents.total), t("kpiMajorNote", { n: major }));
      set("active", fmtInt(d.incidents.active));
      set("overdue", fmtInt(d.incidents.overdue_tasks ?? 0));
    }
    if (d.response) {
      const r = d.response.summary.response_s;
      set("response", r.median_s === null ? "—" : fmtDuration(r.median_s), t("kpiTarget", { t: fmtDuration(d.response.targets.response_s) }));
      set("met", r.met_share === null ? "—" : `${Math.round(r.met_share * 100)}%`, t("kpiIncidents", { n: r.count }));
    }
    if (d.units) {
      const available = d.units.by_status.find((s) => s.key === "available")?.count ?? 0;
      set("available", fmtInt(available), t("kpiOf", { n: d.units.total }));
    }
    if (d.supplies) set("low", fmtInt(d.supplies.below_minimum.length), t("kpiAlerts", { n: d.supplies.open_alerts }));
    if (d.plates) set("reports", fmtInt(d.plates.totals.reports), t("kpiOpen", { n: d.plates.totals.open_reports }));
    for (const card of document.querySelectorAll("[data-kpi=low], [data-kpi=active], [data-kpi=overdue]")) {
      card.classList.toggle("alarm", Number(card.querySelector("[data-value]").textContent.replace(/\D/g, "")) > 0);
    }
  }

  onEvent(event) {
    for (const [pattern, parts] of AFFECTS) {
      if (pattern.test(event.kind)) for (const part of parts) this.pending.add(part);
    }
    if (event.kind === "unit.status") this.map.setUnitStatus(event.payload?.unit, event.payload?.status);
    clearTimeout(this.flushTimer);
    this.flushTimer = setTimeout(() => {
      const parts = [...this.pending];
      this.pending.clear();
      if (parts.length) this.refresh(parts);
    }, 400); // a burst of events (an assignment of six units) → one refresh
  }

  showLive(state) {
    const box = $("#live-state");
    box.dataset.state = state;
    $("#live-text").textContent = {
      connecting: t("liveConnecting"), live: t("liveOn"), closed: t("liveClosed"), denied: t("liveDenied"),
      retrying: t("liveRetrying", { s: "…" }), idle: t("liveIdle") }[state] || state;
  }

  tick() {
    const now = new Date();
    $("#dash-clock").textContent = fmtTime(now.toISOString());
    $("#dash-date").textContent = now.toLocaleDateString(config.language?.startsWith("en") ? "en-GB" : "zh-CN",
      { timeZone: "Asia/Shanghai", year: "numeric", month: "long", day: "numeric", weekday: "long" });
  }
}

function sub(chartId, text) {
  const box = document.getElementById(chartId)?.closest(".chart-box")?.querySelector("[data-sub]");
  if (box) box.textContent = text;
}

const dashboard = new Dashboard();
dashboard.start().catch((error) => {
  dashboard.errors.push(String(error?.message || error));
  dashboard.ready.reject(error);
});

window.cimDashboard = {
  dashboard,
  ready: dashboard.ready.promise,
  viewer: dashboard.map.viewer,
  live: dashboard.live,
  get data() { return dashboard.data; },
  get loads() { return dashboard.loads; },
  get errors() { return [...dashboard.errors, ...dashboard.map.errors]; },
  /** The option a chart is drawn with (series data for the tests). */
  option: (id) => dashboard.charts[id].getOption(),
  idle(timeoutMs = 120000) {
    const scene = dashboard.map.scene;
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const check = () => {
        const tiles = !dashboard.map.tileset || dashboard.map.tileset.tilesLoaded;
        if (tiles && scene.globe.tilesLoaded && dashboard.map.basemap.idle && !dashboard.progress.busy) resolve(true);
        else if (performance.now() - started > timeoutMs) reject(new Error("dashboard not idle"));
        else { scene.requestRender(); setTimeout(check, 300); }
      };
      check();
    });
  },
  el,
};

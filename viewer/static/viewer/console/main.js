// The emergency command console: loads the operations picture over REST, keeps it live from the
// WebSocket, and wires the map, the incident list and the detail panel together.
// `window.cimConsole` is the page's test hook.

import { markUnacknowledged } from "./acks.js";
import { ApiError, errorText, getAll, getAllFeatures, getJSON, withParams } from "../common/http.js";
import { LiveClient } from "../common/live.js";
import { OpsMap } from "../common/opsmap/map.js";
import { Progress } from "../common/progress.js";
import { ClosuresPanel } from "./closures.js";
import { IncidentDetail } from "./detail.js";
import { IncidentTools } from "./incident_tools.js";
import { DispatchTab } from "./dispatch.js";
import { config, fmtInt, fmtTime, i18n, label, t } from "./i18n.js";
import { ACTIVE, IncidentList } from "./list.js";
import { NewIncidentForm } from "./new_incident.js";
import { SuppliesTab } from "./supplies.js";
import { $, $$, debounce, el, fill, notify } from "./ui.js";
import { ZonesTab } from "./zones.js";

function deferred() {
  let resolve; let reject;
  const promise = new Promise((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
}

class ConsoleApp {
  constructor() {
    this.config = config;
    this.can = config.can;
    this.incidents = new Map();
    this.assignments = [];
    this.feed = [];
    this.errors = [];
    this.ready = deferred();
    this.progress = new Progress();
    this.map = new OpsMap($("#cesium"), {
      progress: this.progress, basemapUrls: config.basemap, i18n, staleSeconds: config.staleSeconds,
      onError: (m) => this.errors.push(m),
    });
    this.map.onPick((picked) => this.picked(picked));
    this.closures = new ClosuresPanel(this);
    this.list = new IncidentList({ onSelect: (id) => this.select(id), onScope: (scope) => this.loadScope(scope) });
    this.detail = new IncidentDetail(this);
    if (config.mode === "command") {
      this.dispatch = new DispatchTab(this);
      this.detail.register("dispatch", this.dispatch);
      this.detail.register("supplies", new SuppliesTab(this));
      this.detail.register("zones", new ZonesTab(this));
      this.incidentTools = new IncidentTools(this);
    }
    this.form = new NewIncidentForm({ map: this.map, hint: (text) => this.hint(text), onCreated: (incident) => {
      this.upsertIncident(incident);
      this.select(incident.id, { fly: false });
    } });
    this.live = new LiveClient({ wsBase: config.wsUrl, lastEventId: config.lastEventId });
    this.wire();
  }

  wire() {
    $("#btn-new-incident")?.addEventListener("click", () => this.form.open());
    $("#btn-home").addEventListener("click", () => this.home());
    $("#btn-focus").addEventListener("click", () => this.focusSelected());
    for (const box of $$("[data-layer]")) box.addEventListener("change", () => this.map.setLayerVisible(box.dataset.layer, box.checked));
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape") this.map.cancelTool();
    });
    this.live.on("state", (state, detail) => this.showLiveState(state, detail));
    this.live.on("event", (event) => this.onEvent(event));
    this.live.on("positions", (items) => this.map.applyPositions(items) || this.renderUnitSummary());
    this.live.on("stale", (ids) => this.map.setStale(ids));
    this.live.on("resync", () => this.reload());
    this.live.on("notification", (n) => notify(`${n.subject}: ${n.body}`, { kind: "info", ms: 15000 }));
    setInterval(() => {
      $("#clock").textContent = fmtTime(new Date().toISOString());
      if (config.mode === "command") markUnacknowledged(this.assignments);
    }, 1000);
  }

  // --- loading -------------------------------------------------------------------------------

  async start() {
    this.progress.set("city", t("loadingCity"));
    let city = null;
    try {
      city = await getJSON(config.api.cityInfo);
    } catch (error) {
      this.errors.push(`city-info: ${error.message}`);
    } finally {
      this.progress.done("city");
    }
    if (city) {
      this.city = city;
      await this.map.loadCity(city);
    }
    await this.reload();
    this.live.connect();
    this.ready.resolve(true);
  }

  /** Everything over REST (start, and after the server asks for a resync). */
  async reload() {
    this.progress.set("ops", t("loadingOps"));
    const jobs = [this.loadIncidents(), this.refreshUnits(), this.refreshAssignments()];
    if (this.can.readRegistry) jobs.push(this.refreshDepots(), this.refreshCameras(), this.refreshZones(), this.refreshReplenishment());
    jobs.push(this.closures.refresh()); // every console draws the closed roads; the panel is the control room's
    const results = await Promise.allSettled(jobs);
    this.progress.done("ops");
    for (const r of results) {
      if (r.status === "rejected") {
        this.errors.push(String(r.reason?.message || r.reason));
        notify(t("loadFailed", { error: errorText(r.reason) }));
      }
    }
    if (this.detail.id) this.refreshIncident(this.detail.id);
    this.renderOverview();
  }

  async loadIncidents() {
    const list = await getAll(withParams(config.api.incidents, { active: true, page_size: 500 }));
    for (const i of list) this.incidents.set(i.id, i);
    if (this.list.scope !== "active") await this.loadScope(this.list.scope);
    this.renderIncidents();
  }

  async loadScope(scope) {
    if (scope === "active") return;
    const list = await getAll(withParams(config.api.incidents, { active: false, page_size: 200 }), { maxPages: 2 });
    for (const i of list) this.incidents.set(i.id, i);
    this.renderIncidents();
  }

  renderIncidents() {
    this.list.setAll(this.incidents);
    const shown = [...this.incidents.values()].filter((i) => ACTIVE.has(i.status) || i.id === this.detail.id || this.list.scope !== "active");
    this.map.setIncidents(shown);
    this.renderOverview();
  }

  upsertIncident(incident) {
    this.incidents.set(incident.id, incident);
    this.renderIncidents();
    if (this.detail.id === incident.id) this.detail.show(incident);
  }

  async refreshIncident(id) {
    try {
      const incident = await getJSON(`${config.api.incidents}${id}/`);
      this.upsertIncident(incident);
      return incident;
    } catch (error) {
      if (error instanceof ApiError && (error.status === 404 || error.status === 403)) {
        this.incidents.delete(id);
        this.renderIncidents();
        if (this.detail.id === id) this.select(null);
      }
      return null;
    }
  }

  async refreshUnits() {
    const features = await getAllFeatures(withParams(config.api.unitsGeo, { page_size: 2000 }));
    this.unitFeatures = features;
    this.map.setUnits(features);
    this.renderUnitSummary();
  }

  async refreshAssignments() {
    this.assignments = await getAll(withParams(config.api.assignments, { active: true, page_size: 500 }));
    this.map.setRoutes(this.assignments);
  }

  async refreshDepots() {
    this.map.setDepots(await getAllFeatures(withParams(config.api.depotsGeo, { page_size: 1000 })));
  }

  async refreshCameras() {
    this.map.setCameras(await getAllFeatures(withParams(config.api.camerasGeo, { page_size: 2000 })));
  }

  async refreshZones() {
    this.zones = await getAllFeatures(withParams(config.api.zones, { active: true, page_size: 500 }));
    this.map.setZones(this.zones);
  }

  async refreshReplenishment() {
    this.replenishment = await getAll(config.api.replenishment);
    this.renderOverview();
  }

  // --- selection -------------------------------------------------------------------------------

  select(id, { fly = true } = {}) {
    const incident = id ? this.incidents.get(id) : null;
    this.list.select(incident ? id : null);
    this.map.selectIncident(incident ? id : null);
    $("#btn-focus").disabled = !incident;
    if (!incident) {
      this.detail.show(null);
      this.dispatch?.reset();
      this.map.setSupplyRuns([]);
      this.renderIncidents();
      return;
    }
    this.detail.show(incident);
    this.renderIncidents();
    if (fly) this.focusSelected();
  }

  focusSelected() {
    const i = this.incidents.get(this.detail.id);
    if (i?.location) this.map.flyTo(i.location.lon, i.location.lat, { range: 2200 });
  }

  home() {
    this.map.home();
  }

  picked(what) {
    if (what.kind === "incident") {
      this.select(what.id, { fly: false });
      return;
    }
    const d = what.data || {};
    const popup = $("#map-popup");
    let body;
    if (what.kind === "unit") {
      body = [el("b", {}, `${d.code} ${d.name || ""}`), el("div", {}, label("unitType", d.unit_type)),
        el("div", {}, el("span", { class: `status-badge us-${d.status}` }, label("unitStatus", d.status))),
        el("div", { class: "muted small" }, d.at ? t("fixAt", { at: fmtTime(d.at) }) : t("atStation"))];
    } else if (what.kind === "depot") {
      body = [el("b", {}, d.name), el("div", { class: "muted small" }, d.address || ""),
        d.below_minimum ? el("div", { class: "warn" }, t("belowMinimum", { n: d.below_minimum })) : null];
    } else if (what.kind === "camera") {
      body = [el("b", {}, d.name || d.code), el("div", {}, el("span", { class: "tag" }, label("cameraProtocol", d.protocol))),
        el("button", { type: "button", class: "small", "data-play-camera": what.id, onclick: () => this.detail.wall.openCamera(what.id, d.name || d.code) }, t("videoPlay"))];
    } else if (what.kind === "zone") {
      body = [el("b", {}, `${d.tier_label} ${d.name || ""}`),
        el("div", {}, t("zoneCounts", { b: fmtInt(d.buildings_count ?? 0), a: fmtInt(d.addresses_count ?? 0), p: fmtInt(d.people_estimate ?? 0) }))];
    } else if (what.kind === "closure") {
      body = this.closures.describe(d);
    } else if (what.kind === "route") {
      body = [el("b", {}, `${d.unit_code} → ${d.incident_number}`), el("div", {}, t("etaShort", { eta: d.eta_s ? Math.round(d.eta_s / 60) : "—" }))];
    } else {
      return;
    }
    fill(popup, el("button", { type: "button", class: "icon", onclick: () => { popup.hidden = true; } }, "✕"), ...body);
    popup.hidden = false;
    popup.dataset.kind = what.kind;
  }

  hint(text) {
    const box = $("#tool-hint");
    box.textContent = text || "";
    box.hidden = !text;
  }

  // --- live ---------------------------------------------------------------------------------

  showLiveState(state, detail) {
    const box = $("#live-state");
    box.dataset.state = state;
    const text = {
      connecting: t("liveConnecting"), live: t("liveOn"), closed: t("liveClosed"),
      denied: t("liveDenied"), idle: t("liveIdle"),
      retrying: t("liveRetrying", { s: Math.round((detail?.inMs || 0) / 1000) }),
    }[state] || state;
    $("#live-text").textContent = text;
    $("#live-event").textContent = this.live.lastEventId ? t("lastEvent", { id: this.live.lastEventId }) : "";
  }

  onEvent(event) {
    $("#live-event").textContent = t("lastEvent", { id: event.id });
    this.pushFeed(event);
    const p = event.payload || {};
    const incidentId = event.kind.startsWith("incident.") ? (p.id ?? p.incident) : p.incident;
    switch (event.kind) {
      case "incident.created":
      case "incident.updated":
      case "incident.status":
      case "incident.level":
      case "incident.merged":
        this.later(`incident-${incidentId}`, () => this.refreshIncident(incidentId).then(() => this.list.pulse(incidentId)));
        if (p.into) this.later(`incident-${p.into}`, () => this.refreshIncident(p.into));
        if (this.detail.id === incidentId) this.later("detail-all", () => this.detail.refresh(["timeline", "dispatch", "zones"]));
        break;
      case "incident.timeline":
        if (this.detail.id === incidentId) this.later("detail-timeline", () => this.detail.refresh(["timeline"]));
        break;
      case "incident.attachment":
      case "incident.camera":
        if (this.detail.id === incidentId) this.later("detail-media", () => this.detail.refresh(["media", "timeline"]));
        break;
      case "assignment.created":
      case "assignment.acknowledged":
        this.later("assignments", () => this.refreshAssignments());
        if (this.detail.id === incidentId) this.later("detail-dispatch", () => this.detail.refresh(["dispatch"]));
        break;
      case "unit.status":
        if (!this.map.setUnitStatus(p.unit, p.status)) this.later("units", () => this.refreshUnits());
        this.renderUnitSummary();
        this.later("assignments", () => this.refreshAssignments());
        if (this.detail.id && (p.incident === this.detail.id || this.detail.tab === "dispatch")) {
          this.later("detail-dispatch", () => this.detail.refresh(["dispatch"]));
        }
        break;
      case "mutual_aid.requested":
        if (this.can.approveMutualAid) notify(t("aidNewRequest", { number: p.number ?? "", code: p.code ?? "" }), { kind: "info", ms: 8000 });
        if (this.detail.id === incidentId) this.later("detail-dispatch", () => this.detail.refresh(["dispatch", "timeline"]));
        break;
      case "mutual_aid.decided":
        if (this.detail.id === incidentId) this.later("detail-dispatch", () => this.detail.refresh(["dispatch", "timeline"]));
        break;
      case "plan.activated":
      case "task.sent":
      case "task.updated":
      case "task.escalated":
      case "dispatch_request.created":
        if (this.detail.id === incidentId) this.later("detail-dispatch", () => this.detail.refresh(["dispatch"]));
        break;
      case "closure.created":
      case "closure.lifted":
        this.later("closures", () => this.closures.refresh());
        break;
      case "incident.split":
      case "assignment.moved":
        this.later(`incident-${incidentId}`, () => this.refreshIncident(incidentId));
        if (p.new) this.later(`incident-${p.new}`, () => this.refreshIncident(p.new));
        this.later("assignments", () => this.refreshAssignments());
        if (this.detail.id === incidentId) this.later("detail-all", () => this.detail.refresh(["overview", "timeline", "media", "dispatch"]));
        break;
      case "zone.created":
      case "zone.lifted":
        this.later("zones", () => this.refreshZones());
        if (this.detail.id) this.later("detail-zones", () => this.detail.refresh(["zones"]));
        break;
      case "alert.issued":
      case "alert.updated":
      case "alert.cancelled":
        if (this.detail.id) this.later("detail-zones", () => this.detail.refresh(["zones"]));
        break;
      case "stock.changed":
      case "stock.replenishment_alert":
      case "stock.replenished":
        if (this.can.readRegistry) {
          this.later("depots", () => this.refreshDepots());
          this.later("replenishment", () => this.refreshReplenishment());
        }
        break;
      default:
        if (event.kind.startsWith("supply_request.") && this.detail.id === incidentId) {
          this.later("detail-supplies", () => this.detail.refresh(["supplies"]));
        }
        if (event.kind === "report.created") notify(t("newReport"), { kind: "info", ms: 5000 });
    }
  }

  /** Run `job` once shortly, however many events ask for it (a burst of events, one reload). */
  later(key, job) {
    this.pendingJobs ??= new Map();
    if (this.pendingJobs.has(key)) return;
    this.pendingJobs.set(key, setTimeout(() => {
      this.pendingJobs.delete(key);
      Promise.resolve(job()).catch((error) => this.errors.push(`${key}: ${error?.message || error}`));
    }, 120));
  }

  pushFeed(event) {
    const text = describe(event);
    this.feed.unshift({ id: event.id, at: event.at, kind: event.kind, text });
    this.feed.length = Math.min(this.feed.length, 30);
    $("#live-feed").textContent = `${fmtTime(event.at)} ${text}`;
    if (!this.detail.id) this.renderFeed();
  }

  // --- summaries ------------------------------------------------------------------------------

  renderUnitSummary() {
    const counts = {};
    for (const unit of this.map.units.values()) counts[unit.data.status] = (counts[unit.data.status] || 0) + 1;
    fill($("#unit-summary"), ...Object.keys(config.labels.unitStatus).map((status) => el("span", {
      class: `us-chip us-${status}`, title: label("unitStatus", status) }, el("i", {}), label("unitStatus", status), el("b", {}, counts[status] || 0))));
  }

  renderOverview() {
    const box = $("#ops-overview");
    if (!box) return;
    const active = [...this.incidents.values()].filter((i) => ACTIVE.has(i.status));
    const byStatus = {};
    for (const i of active) byStatus[i.status] = (byStatus[i.status] || 0) + 1;
    const low = this.replenishment || [];
    fill(box, 
      el("h3", {}, t("situation")),
      el("div", { class: "kpis" },
        el("div", { class: "kpi" }, el("b", {}, active.length), el("span", {}, t("kpiActive"))),
        el("div", { class: "kpi danger" }, el("b", {}, active.filter((i) => i.level === "I" || i.level === "II").length), el("span", {}, t("kpiMajor"))),
        el("div", { class: "kpi" }, el("b", {}, this.assignments.length), el("span", {}, t("kpiAssigned"))),
        el("div", { class: "kpi warn" }, el("b", {}, low.length), el("span", {}, t("kpiLowStock")))),
      el("ul", { class: "status-bars" }, Object.entries(config.labels.status).filter(([s]) => ACTIVE.has(s)).map(([s, name]) =>
        el("li", {}, el("span", {}, name), el("span", { class: "bar" }, el("i", { style: { width: `${active.length ? (100 * (byStatus[s] || 0)) / active.length : 0}%` } })),
          el("b", {}, byStatus[s] || 0)))),
      low.length ? el("h3", {}, t("lowStockTitle")) : null,
      low.length ? el("ul", { class: "low-stock" }, low.slice(0, 6).map((a) => el("li", {},
        el("b", {}, a.item_name), ` ${a.depot_name}`, el("span", { class: "warn" }, ` ${a.quantity}/${a.minimum}`)))) : null,
      el("h3", {}, t("feedTitle")),
      el("ol", { class: "feed", id: "feed-list" }));
    this.renderFeed();
  }

  renderFeed() {
    const list = $("#feed-list");
    if (!list) return;
    fill(list, ...(this.feed.length ? this.feed.slice(0, 12).map((f) => el("li", {},
      el("span", { class: "mono muted" }, fmtTime(f.at)), " ", f.text)) : [el("li", { class: "muted" }, t("feedEmpty"))]));
  }
}

/** One line for the live feed. */
function describe(event) {
  const p = event.payload || {};
  const key = `ev_${event.kind.replaceAll(".", "_")}`;
  const text = t(key, {
    number: p.number ?? "", title: p.title ?? "", code: p.code ?? "", status: label("unitStatus", p.status) || label("status", p.status),
    incidentStatus: label("status", p.status), level: label("level", p.level), tier: label("zoneTier", p.tier), name: p.name ?? "",
    headline: p.headline ?? "", incident: p.incident ?? "",
  });
  return text === key ? event.kind : text;
}

const app = new ConsoleApp();
app.start().catch((error) => {
  app.errors.push(String(error?.message || error));
  notify(String(error?.message || error));
  app.ready.reject(error);
});

window.cimConsole = {
  app,
  map: app.map,
  viewer: app.map.viewer,
  live: app.live,
  ready: app.ready.promise,
  get errors() { return [...app.errors, ...app.map.errors]; },
  get selected() { return app.detail.id; },
  incident: (id) => app.incidents.get(id) || null,
  select: (id) => app.select(id),
  /** The unit's latest known position ([lon, lat]) on this console's map. */
  unitAt(id) {
    const unit = app.map.units.get(id);
    return unit ? [unit.data.lon, unit.data.lat] : null;
  },
  unitStatus: (id) => app.map.units.get(id)?.data.status ?? null,
  routeCount: () => app.map.routeCount,
  zoneCount: () => app.map.zoneCount,
  closureCount: () => app.closures.count,
  toPage: (lon, lat) => app.map.toPage(lon, lat),
  /** Resolves once the tiles, terrain and basemap have settled and nothing is loading. */
  idle(timeoutMs = 120000) {
    const scene = app.map.scene;
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const check = () => {
        const tiles = !app.map.tileset || app.map.tileset.tilesLoaded;
        if (tiles && scene.globe.tilesLoaded && app.map.basemap.idle && !app.progress.busy) resolve(true);
        else if (performance.now() - started > timeoutMs) reject(new Error(`not idle: ${[...app.progress.tasks.keys()]}`));
        else { scene.requestRender(); setTimeout(check, 250); }
      };
      check();
    });
  },
  debounce,
  Cesium: window.Cesium,
};

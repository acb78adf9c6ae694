// Road closures on the command console: a map layer every console shows (closed roads in red,
// scheduled ones dashed orange, drawn areas shaded), kept live from the event stream, and for
// the control room a panel that lists active and scheduled closures (lift one) and creates a
// new one — an area drawn on the map or road segments picked by clicking them (the server finds
// the nearest segment) — with a reason, a time window and a note.  Routing honours a closure
// from the next query on; the API refuses bad windows and areas naming the field.
/* global Cesium */

import { errorText, getJSON, post, withParams } from "../common/http.js";
import { addLayer, centroid, colour, degreesArray, labelOptions, lines, polygons } from "../common/opsmap/style.js";
import { config, fmtTime, t } from "./i18n.js";
import { $, busy, el, fill, notify, select } from "./ui.js";

const ACTIVE_CSS = "#ff4d4f";
const SCHEDULED_CSS = "#ffb020";
const PICKED_CSS = "#36c5f0";

/** `datetime-local` value → ISO string (null when empty). */
function isoOf(value) {
  if (!value) return null;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? undefined : at.toISOString();
}

export class ClosuresPanel {
  constructor(app) {
    this.app = app;
    this.api = config.api.closures;
    this.closures = [];
    this.picked = new Map(); // segment id → {id, name, geometry}
    this.area = null; // closed ring drawn on the map
    this.source = addLayer(app.map.viewer, "closures");
    this.sketch = addLayer(app.map.viewer, "closure-sketch");
    this.panel = null;
    if (app.can.closures) this.addToolbarButton();
  }

  get count() {
    return this.closures.length;
  }

  addToolbarButton() {
    const button = el("button", { type: "button", id: "btn-closures", title: t("closuresTip") }, t("closuresTitle"));
    button.addEventListener("click", () => (this.panel && !this.panel.hidden ? this.close() : this.open()));
    $(".map-toolbar")?.append(button);
  }

  // --- data and the map layer -------------------------------------------------------------

  async refresh() {
    if (!this.api) return;
    this.closures = await getJSON(`${this.api}current/`);
    this.draw();
    if (this.panel && !this.panel.hidden) this.renderList();
    this.scheduleBoundary();
  }

  /** A scheduled closure starts and a closure ends by itself without an event: refresh just
   *  after the next start or end time, so the map and the list change when routing does. */
  scheduleBoundary() {
    clearTimeout(this.boundaryTimer);
    const now = Date.now();
    const times = this.closures.flatMap((c) => [c.state === "scheduled" ? c.starts_at : null, c.ends_at])
      .filter(Boolean).map((at) => new Date(at).getTime()).filter((ms) => ms > now);
    if (!times.length) return;
    const wait = Math.min(Math.min(...times) - now + 1000, 2 ** 31 - 1);
    this.boundaryTimer = setTimeout(() => this.refresh().catch((e) => this.app.errors.push(String(e))), wait);
  }

  draw() {
    const layer = this.source.entities;
    layer.removeAll();
    for (const c of this.closures) {
      const css = c.state === "scheduled" ? SCHEDULED_CSS : ACTIVE_CSS;
      const material = c.state === "scheduled"
        ? new Cesium.PolylineDashMaterialProperty({ color: colour(css), dashLength: 10 })
        : new Cesium.PolylineOutlineMaterialProperty({ color: colour(css), outlineColor: colour("#2b0000"), outlineWidth: 1 });
      lines(c.roads).forEach((coords, k) => {
        const entity = layer.add({ id: `closure-${c.id}-${k}`,
          polyline: { positions: degreesArray(coords), width: 6, clampToGround: true, material } });
        entity.ops = { kind: "closure", id: c.id, data: c };
      });
      polygons(c.area).forEach((rings, k) => {
        const entity = layer.add({ id: `closure-${c.id}-area-${k}`, polygon: {
          hierarchy: new Cesium.PolygonHierarchy(degreesArray(rings[0])), material: colour(css, 0.16),
          classificationType: Cesium.ClassificationType.BOTH } });
        entity.ops = { kind: "closure", id: c.id, data: c };
        layer.add({ id: `closure-${c.id}-edge-${k}`, polyline: { positions: degreesArray(rings[0]), width: 2, clampToGround: true,
          material: new Cesium.PolylineDashMaterialProperty({ color: colour(css), dashLength: 8 }) } });
      });
      const anchor = c.area ? centroid(polygons(c.area)[0][0]) : lines(c.roads)[0]?.[0];
      if (anchor) {
        layer.add({ id: `closure-${c.id}-label`, position: Cesium.Cartesian3.fromDegrees(anchor[0], anchor[1]),
          label: labelOptions(`${t("closureShort")} · ${c.reason_label}${c.state === "scheduled" ? ` · ${t("closureScheduled")}` : ""}`,
            { size: 12, fill: c.state === "scheduled" ? "#ffe08a" : "#ffd0d0", far: 9000, offsetY: -14 }) });
      }
    }
    this.app.map.requestRender();
  }

  /** The picked segments and the drawn area, shown while a closure is being prepared. */
  drawSketch() {
    const layer = this.sketch.entities;
    layer.removeAll();
    for (const seg of this.picked.values()) {
      layer.add({ id: `pick-${seg.id}`, polyline: { positions: degreesArray(seg.geometry.coordinates), width: 8,
        clampToGround: true, material: new Cesium.PolylineGlowMaterialProperty({ color: colour(PICKED_CSS), glowPower: 0.25 }) } });
    }
    if (this.area) {
      layer.add({ id: "pick-area", polygon: { hierarchy: new Cesium.PolygonHierarchy(degreesArray(this.area)),
        material: colour(PICKED_CSS, 0.2), classificationType: Cesium.ClassificationType.BOTH } });
      layer.add({ id: "pick-area-edge", polyline: { positions: degreesArray(this.area), width: 3, clampToGround: true,
        material: colour(PICKED_CSS) } });
    }
    this.app.map.requestRender();
  }

  /** A closure clicked on the map: its popup lines. */
  describe(c) {
    return [el("b", {}, t("closureOf", { reason: c.reason_label })),
      el("div", {}, this.windowText(c)),
      c.road_names?.length ? el("div", { class: "muted small" }, c.road_names.join("、")) : null,
      c.note ? el("div", { class: "small" }, c.note) : null];
  }

  windowText(c) {
    const end = c.ends_at ? fmtTime(c.ends_at) : t("untilLifted");
    return `${fmtTime(c.starts_at)} → ${end}`;
  }

  // --- the panel --------------------------------------------------------------------------

  open() {
    if (!this.panel) this.build();
    this.panel.hidden = false;
    this.renderList();
  }

  close() {
    this.stopPicking();
    this.app.map.cancelTool();
    this.picked.clear();
    this.area = null;
    this.drawSketch();
    if (this.panel) this.panel.hidden = true;
  }

  build() {
    this.reason = select("closure_reason", config.labels.closureReason, "manual");
    this.startsAt = el("input", { type: "datetime-local", name: "closure_starts_at", title: t("closureStartHint") });
    this.endsAt = el("input", { type: "datetime-local", name: "closure_ends_at", title: t("closureEndHint") });
    this.note = el("input", { type: "text", name: "closure_note", maxlength: 500, placeholder: t("closureNotePh") });
    this.drawButton = el("button", { type: "button", id: "btn-closure-draw" }, t("closureDraw"));
    this.pickButton = el("button", { type: "button", id: "btn-closure-pick" }, t("closurePick"));
    this.selection = el("div", { class: "closure-selection muted small", id: "closure-selection" });
    this.saveButton = el("button", { type: "submit", class: "primary", id: "btn-closure-save" }, t("closureSave"));
    this.drawButton.addEventListener("click", () => this.drawArea());
    this.pickButton.addEventListener("click", () => (this.picking ? this.stopPicking() : this.pickSegments()));
    this.list = el("div", { class: "closure-list", id: "closure-list" });
    const form = el("form", { class: "closure-form", onsubmit: (e) => { e.preventDefault(); this.save(); } },
      el("h4", {}, t("closureNew")),
      el("div", { class: "row" }, this.drawButton, this.pickButton),
      this.selection,
      el("div", { class: "form-grid" },
        el("label", {}, t("closureReason"), this.reason),
        el("label", {}, t("closureStart"), this.startsAt),
        el("label", {}, t("closureEnd"), this.endsAt),
        el("label", {}, t("closureNote"), this.note)),
      el("footer", {}, el("button", { type: "button", onclick: () => this.clearSketch() }, t("closureClear")), this.saveButton));
    this.panel = el("section", { class: "float-panel closure-panel", id: "closure-panel", hidden: true, "aria-label": t("closuresTitle") },
      el("header", {}, el("h3", {}, t("closuresTitle")),
        el("button", { type: "button", class: "icon", "aria-label": t("close"), onclick: () => this.close() }, "✕")),
      this.list, form);
    $(".console-centre").append(this.panel);
    this.renderSelection();
  }

  renderList() {
    if (!this.list) return;
    const active = this.closures.filter((c) => c.state === "active");
    const scheduled = this.closures.filter((c) => c.state === "scheduled");
    const rows = (items) => items.map((c) => el("li", { dataset: { closure: c.id }, class: `closure-row cl-${c.state}` },
      el("div", { class: "closure-line" },
        el("span", { class: `tag ${c.state === "active" ? "danger" : "warn"}` }, c.state === "active" ? t("closureActive") : t("closureScheduled")),
        el("b", {}, c.reason_label),
        el("span", { class: "muted small" }, t("closureSegments", { n: c.segments.length })),
        el("button", { type: "button", class: "small ghost", title: t("closureLocate"), dataset: { locate: c.id }, onclick: () => this.locate(c) }, "◎"),
        el("button", { type: "button", class: "small", dataset: { lift: c.id }, onclick: (e) => this.lift(c, e.currentTarget) },
          c.state === "active" ? t("closureLift") : t("closureCancel"))),
      el("div", { class: "small" }, this.windowText(c)),
      c.road_names?.length || c.note ? el("div", { class: "muted small" }, [c.road_names?.join("、"), c.note].filter(Boolean).join(" · ")) : null,
      c.incident_number ? el("div", { class: "muted small mono" }, t("closureIncident", { number: c.incident_number })) : null));
    fill(this.list,
      el("h4", {}, t("closureActiveList", { n: active.length })),
      active.length ? el("ul", {}, rows(active)) : el("p", { class: "muted small" }, t("closureNoneActive")),
      el("h4", {}, t("closureScheduledList", { n: scheduled.length })),
      scheduled.length ? el("ul", {}, rows(scheduled)) : el("p", { class: "muted small" }, t("closureNoneScheduled")));
  }

  renderSelection() {
    const parts = [];
    if (this.area) parts.push(t("closureAreaDrawn"));
    if (this.picked.size) parts.push(t("closurePicked", { n: this.picked.size, names: [...new Set([...this.picked.values()].map((s) => s.name).filter(Boolean))].join("、") }));
    this.selection.textContent = parts.length ? parts.join(" · ") : t("closureNothing");
    this.pickButton.classList.toggle("on", Boolean(this.picking));
    this.pickButton.textContent = this.picking ? t("closurePickDone") : t("closurePick");
  }

  locate(c) {
    const anchor = c.area ? centroid(polygons(c.area)[0][0]) : lines(c.roads)[0]?.[0];
    if (anchor) this.app.map.flyTo(anchor[0], anchor[1], { range: 1500 });
  }

  async drawArea() {
    this.stopPicking();
    this.app.hint(t("closureDrawHint"));
    this.drawButton.disabled = true;
    const ring = await this.app.map.drawPolygon(PICKED_CSS);
    this.drawButton.disabled = false;
    this.app.hint(null);
    if (!ring) return;
    this.area = ring;
    this.drawSketch();
    this.renderSelection();
  }

  /** Click roads one after another; each click asks the server for the nearest segment
   *  (a second click on a picked one drops it).  Esc or the button ends picking. */
  async pickSegments() {
    this.picking = true;
    this.renderSelection();
    this.app.hint(t("closurePickHint"));
    while (this.picking) {
      const at = await this.app.map.pickLocation();
      this.app.map.clearPickedPoint();
      if (!at) break;
      try {
        const seg = await getJSON(withParams(`${this.api}nearest-segment/`, { lon: at[0].toFixed(7), lat: at[1].toFixed(7) }));
        if (this.picked.has(seg.id)) this.picked.delete(seg.id);
        else this.picked.set(seg.id, seg);
        this.drawSketch();
      } catch (error) {
        notify(errorText(error), { kind: "info", ms: 3000 });
      }
      this.renderSelection();
    }
    this.picking = false;
    this.app.hint(null);
    this.renderSelection();
  }

  stopPicking() {
    if (!this.picking) return;
    this.picking = false;
    this.app.map.cancelTool();
  }

  clearSketch() {
    this.stopPicking();
    this.picked.clear();
    this.area = null;
    this.drawSketch();
    this.renderSelection();
  }

  async save() {
    if (!this.area && !this.picked.size) {
      notify(t("closureNeedRoads"));
      return;
    }
    const startsAt = isoOf(this.startsAt.value);
    const endsAt = isoOf(this.endsAt.value);
    if (startsAt === undefined || endsAt === undefined) {
      notify(t("closureBadTime"));
      return;
    }
    const body = { reason: this.reason.value, note: this.note.value.trim(), segments: [...this.picked.keys()] };
    if (this.area) body.area = { type: "Polygon", coordinates: [this.area] };
    if (startsAt) body.starts_at = startsAt;
    if (endsAt) body.ends_at = endsAt;
    if (this.app.detail.id && this.reason.value === "incident") body.incident = this.app.detail.id;
    await busy(this.saveButton, async () => {
      try {
        const closure = await post(this.api, body);
        notify(t("closureSaved", { n: closure.segments.length }), { kind: "success", ms: 5000 });
        this.clearSketch();
        this.note.value = "";
        this.startsAt.value = "";
        this.endsAt.value = "";
        await this.refresh();
      } catch (error) {
        notify(t("closureRefused", { reason: errorText(error) }));
      }
    });
  }

  /** Lifting asks once more in the button itself (a second click within a few seconds). */
  async lift(c, button) {
    if (button.dataset.armed !== "1") {
      button.dataset.armed = "1";
      button.classList.add("danger");
      button.textContent = t("closureConfirm");
      button.title = c.state === "active" ? t("closureLiftConfirm", { reason: c.reason_label }) : t("closureCancelConfirm");
      setTimeout(() => { if (button.isConnected) this.renderList(); }, 4000);
      return;
    }
    await busy(button, async () => {
      try {
        await post(`${this.api}${c.id}/lift/`);
        notify(t("closureLifted"), { kind: "success", ms: 3000 });
        await this.refresh();
      } catch (error) {
        notify(errorText(error));
      }
    });
  }
}

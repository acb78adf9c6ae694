// The units back office: the status board (units grouped by status, live from /ws/ops/) and the
// roster (crews, member accounts, station).  Out of service needs a reason; the API refuses a
// unit that is still assigned (409), and the page shows the refusal.  `window.cimUnits` is the
// page's test hook.
import { $, $$, debounce, el, fill, messageBox } from "../common/dom.js";
import { errorField, errorText, getJSON, post } from "../common/http.js";
import { createI18n, readJSON } from "../common/i18n.js";
import { LiveClient } from "../common/live.js";

const config = readJSON("units-config");
const { t, label, fmtTime } = createI18n({ catalogue: readJSON("units-i18n"), language: config.language, labels: config.labels });
const notify = messageBox("#ops-toast", "ops-toast");
const STATUSES = Object.keys(config.labels.unitStatus);

class UnitsPage {
  constructor() {
    this.units = new Map();
    this.view = "board";
    this.errors = [];
    this.live = new LiveClient({ wsBase: config.wsUrl, lastEventId: config.lastEventId });
    fill($("#f-agency"), el("option", { value: "" }, $("#f-agency").options[0].textContent),
      Object.entries(config.agencies).map(([id, name]) => el("option", { value: id }, name)));
    for (const id of ["#f-agency", "#f-type"]) $(id).addEventListener("change", () => this.render());
    $("#f-q").addEventListener("input", debounce(() => this.render(), 150));
    for (const b of $$("[data-view]")) b.addEventListener("click", () => this.showView(b.dataset.view));
    this.dialog("#oos-dialog");
    this.dialog("#crew-dialog");
    $("#oos-form").addEventListener("submit", (e) => { e.preventDefault(); this.confirmOutOfService(); });
    $("#crew-form").addEventListener("submit", (e) => { e.preventDefault(); this.saveCrew(); });
    this.live.on("state", (state, detail) => this.showLive(state, detail));
    this.live.on("event", (event) => this.onEvent(event));
    this.live.on("resync", () => this.load());
  }

  dialog(selector) {
    const box = $(selector);
    for (const b of box.querySelectorAll("[data-action=close]")) b.addEventListener("click", () => { box.hidden = true; });
    box.addEventListener("keydown", (e) => { if (e.key === "Escape") box.hidden = true; });
  }

  async start() {
    await this.load();
    this.live.connect();
  }

  async load() {
    try {
      const rows = await getJSON(config.api.board);
      this.units = new Map(rows.map((u) => [u.id, u]));
      this.render();
    } catch (error) {
      this.errors.push(String(error?.message || error));
      notify(t("loadFailed", { error: errorText(error) }));
    }
  }

  // --- filtering and rendering ----------------------------------------------------------------

  shown() {
    const agency = $("#f-agency").value;
    const type = $("#f-type").value;
    const q = $("#f-q").value.trim().toLowerCase();
    return [...this.units.values()].filter((u) => (!agency || String(u.agency) === agency)
      && (!type || u.unit_type === type)
      && (!q || [u.code, u.name, ...(u.crew || []), ...(u.members || [])].some((s) => String(s).toLowerCase().includes(q))));
  }

  render() {
    const units = this.shown();
    const counts = Object.fromEntries(STATUSES.map((s) => [s, 0]));
    for (const u of units) counts[u.status] += 1;
    fill($("#status-chips"), STATUSES.map((s) => el("span", { class: `us-chip us-${s}`, dataset: { status: s } },
      el("i", {}), label("unitStatus", s), el("b", {}, counts[s]))));
    $("#units-count").textContent = t("unitsCount", { n: units.length });
    this.renderBoard(units);
    this.renderRoster(units);
  }

  renderBoard(units) {
    fill($("#board"), STATUSES.map((status) => {
      const here = units.filter((u) => u.status === status);
      return el("div", { class: `board-col col-${status}`, dataset: { column: status } },
        el("h2", {}, el("i", { class: `sq us-${status}` }), label("unitStatus", status), el("b", {}, here.length)),
        el("ul", {}, here.length ? here.map((u) => this.card(u)) : el("li", { class: "empty muted" }, t("boardEmpty"))));
    }));
  }

  card(u) {
    // Every unit in service offers "out of service": for a busy one the server says why not (409).
    const actions = u.status === "out_of_service"
      ? el("button", { type: "button", class: "small", dataset: { action: "available" }, onclick: (e) => this.setStatus(u, "available", "", e.currentTarget) }, t("setAvailable"))
      : el("button", { type: "button", class: "small ghost", dataset: { action: "oos" }, onclick: () => this.askOutOfService(u) }, t("setOutOfService"));
    return el("li", { class: "unit-card", dataset: { unit: u.id, code: u.code } },
      el("div", { class: "card-head" }, el("b", { class: "mono" }, u.code), el("span", {}, u.name)),
      el("div", { class: "muted small" }, `${u.unit_type_label} · ${u.agency_name}`),
      u.incident_number ? el("div", { class: "small serving" }, t("serving", { number: u.incident_number })) : null,
      u.status_note ? el("div", { class: "small reason" }, u.status_note) : null,
      el("div", { class: "card-foot" }, el("span", { class: "muted small" }, t("since", { at: fmtTime(u.status_changed_at) })),
        el("span", { class: "actions" }, actions)));
  }

  renderRoster(units) {
    fill($("#roster-body"), units.map((u) => el("tr", { dataset: { unit: u.id } },
      el("td", { class: "mono" }, u.code), el("td", {}, u.name), el("td", {}, u.unit_type_label), el("td", {}, u.agency_name),
      el("td", {}, u.home_station_name || "—"),
      el("td", {}, el("div", { class: "small" }, t("crewOf", { n: (u.crew || []).length, size: u.crew_size })),
        (u.crew || []).length ? el("div", { class: "crew" }, u.crew.join("、")) : el("div", { class: "muted small" }, t("noCrew"))),
      el("td", { class: "small" }, (u.members || []).join("、") || "—"),
      el("td", {}, el("span", { class: `status-badge us-${u.status}` }, u.status_label), u.status_note ? el("div", { class: "small reason" }, u.status_note) : null),
      el("td", {}, config.can.crew ? el("button", { type: "button", class: "small", dataset: { action: "crew" }, onclick: () => this.askCrew(u) }, t("editCrew")) : null))));
  }

  showView(view) {
    this.view = view;
    for (const b of $$("[data-view]")) b.classList.toggle("active", b.dataset.view === view);
    for (const pane of $$("[data-pane]")) pane.hidden = pane.dataset.pane !== view;
  }

  // --- writes -----------------------------------------------------------------------------------

  askOutOfService(u) {
    this.pending = u;
    $("#oos-title").textContent = t("oosTitle", { code: `${u.code} ${u.name}` });
    const form = $("#oos-form");
    form.note.value = "";
    form.querySelector(".form-error").hidden = true;
    $("#oos-dialog").hidden = false;
    form.note.focus();
  }

  async confirmOutOfService() {
    const form = $("#oos-form");
    const error = form.querySelector(".form-error");
    const note = form.note.value.trim();
    if (!note) {
      error.textContent = t("needReason");
      error.hidden = false;
      form.note.focus();
      return;
    }
    const ok = await this.setStatus(this.pending, "out_of_service", note, $("#oos-confirm"), error);
    if (ok) $("#oos-dialog").hidden = true;
  }

  async setStatus(u, status, note, button, errorBox = null) {
    if (button) button.disabled = true;
    try {
      const unit = await post(`${config.api.units}${u.id}/status/`, { status, note });
      this.units.set(u.id, { ...this.units.get(u.id), ...unit });
      this.render();
      notify(t("statusSet", { code: u.code, status: unit.status_label }), { kind: "success", ms: 3000 });
      return true;
    } catch (error) {
      // 409: the unit is still serving an incident (say so in the page's language)
      const reason = error?.status === 409 && status === "out_of_service"
        ? t("oosBusy", { code: u.code, number: this.units.get(u.id)?.incident_number || "" }) : errorText(error);
      const text = t("statusRefused", { reason });
      if (errorBox) { errorBox.textContent = text; errorBox.hidden = false; }
      notify(text);
      return false;
    } finally {
      if (button) button.disabled = false;
    }
  }

  askCrew(u) {
    this.pending = u;
    $("#crew-title").textContent = `${t("editCrew")} · ${u.code} ${u.name}`;
    const form = $("#crew-form");
    form.crew.value = (u.crew || []).join("\n");
    form.crew_size.value = u.crew_size;
    form.querySelector(".form-error").hidden = true;
    $("#crew-dialog").hidden = false;
    form.crew.focus();
  }

  async saveCrew() {
    const form = $("#crew-form");
    const error = form.querySelector(".form-error");
    const button = form.querySelector("button[type=submit]");
    const u = this.pending;
    // A cleared establishment field keeps the unit's establishment (it is not 0 people).
    const size = form.crew_size.value.trim();
    const body = { crew: form.crew.value.split("\n").map((s) => s.trim()).filter(Boolean) };
    if (size !== "") body.crew_size = Number(size);
    button.disabled = true;
    try {
      const row = await post(`${config.api.units}${u.id}/crew/`, body);
      this.units.set(u.id, row);
      this.render();
      $("#crew-dialog").hidden = true;
      notify(t("crewSaved", { code: u.code }), { kind: "success", ms: 3000 });
    } catch (failure) {
      // the refusal stays in the dialog, next to what was typed, naming the field
      error.textContent = errorText(failure);
      error.dataset.field = errorField(failure);
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  }

  // --- live ---------------------------------------------------------------------------------------

  showLive(state, detail) {
    $("#live-state").dataset.state = state;
    $("#live-text").textContent = {
      connecting: t("liveConnecting"), live: t("liveOn"), closed: t("liveClosed"), denied: t("liveDenied"), idle: t("liveIdle"),
      retrying: t("liveRetrying", { s: Math.round((detail?.inMs || 0) / 1000) }),
    }[state] || state;
  }

  onEvent(event) {
    const p = event.payload || {};
    if (event.kind === "unit.status" && this.units.has(p.unit)) {
      const u = this.units.get(p.unit);
      this.units.set(p.unit, { ...u, status: p.status, status_label: label("unitStatus", p.status), status_changed_at: p.at,
        status_note: p.status === "out_of_service" ? u.status_note : "" });
      this.render();
      $("#live-feed").textContent = `${fmtTime(event.at)} ${t("updated", { code: p.code, status: label("unitStatus", p.status) })}`;
      this.later();
    } else if (["unit.updated", "assignment.created", "assignment.moved", "unit.saved"].includes(event.kind)) {
      this.later();
    }
  }

  /** Reload the board shortly (reasons and incident numbers come from the API), once per burst. */
  later() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.load(), 300);
  }
}

const page = new UnitsPage();
page.start();

window.cimUnits = {
  page,
  get errors() { return [...page.errors]; },
  status: (id) => page.units.get(id)?.status ?? null,
  liveState: () => page.live.state,
};

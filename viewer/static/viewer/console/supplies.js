// The supplies tab: the incident's supply requests through request → commit (allocation from
// the depots nearest by road that hold enough) → ship → receive, a new request, and the runs
// from the allocating depots drawn on the map.
import { errorText, getAll, getJSON, post } from "../common/http.js";
import { config, fmtDuration, fmtTime, t } from "./i18n.js";
import { busy, el, fill, heading, loading, notify } from "./ui.js";

const STEPS = {
  requested: [["commit", "commitSupplies", "actCommit"], ["cancel", "commitSupplies", "actCancelRequest"]],
  committed: [["ship", "shipSupplies", "actShip"], ["cancel", "commitSupplies", "actCancelRequest"]],
  shipped: [["receive", "shipSupplies", "actReceive"]],
};

export class SuppliesTab {
  constructor(app) {
    this.app = app;
    this.items = null;
    this.lines = [];
  }

  reset() {
    this.shown = null;
    this.lines = [];
    this.app.map.setSupplyRuns([]);
  }

  async render(incident, box) {
    const id = incident.id;
    if (!box.childElementCount) fill(box, loading(t("loading")));
    if (!this.items) this.items = await getAll(config.api.items).catch(() => []);
    let requests;
    try {
      requests = await getJSON(`${config.api.incidents}${id}/supply-requests/`);
    } catch (error) {
      fill(box, el("p", { class: "error" }, errorText(error)));
      return;
    }
    if (this.app.detail.id !== id) return;
    const key = JSON.stringify([incident.status, requests]);
    if (key === this.shown && box.childElementCount) return; // nothing changed: keep the panel as it is
    this.shown = key;
    this.drawRuns(incident, requests);
    const finished = ["closed", "cancelled", "merged"].includes(incident.status);
    fill(box, 
      heading(t("supplyRequests", { n: requests.length })),
      requests.length ? el("div", { class: "requests" }, requests.map((r) => this.requestCard(r))) : el("p", { class: "muted" }, t("noRequestsYet")),
      this.app.can.requestSupplies && !finished ? this.newRequestForm(incident) : null,
    );
  }

  requestCard(r) {
    const steps = (STEPS[r.status] || []).filter(([, can]) => this.app.can[can]);
    return el("div", { class: `supply-card st-${r.status}`, dataset: { request: r.id } },
      el("div", { class: "card-head" }, el("b", {}, t("requestNo", { id: r.id })),
        el("span", { class: `status-badge sr-${r.status}` }, r.status_label),
        el("span", { class: "muted small" }, fmtTime(r.requested_at))),
      el("table", { class: "lines" }, el("tbody", {}, r.lines.map((ln) => el("tr", {},
        el("td", {}, el("b", {}, ln.item_name)), el("td", { class: "num" }, ln.quantity),
        el("td", { class: "small" }, ln.allocations.length
          ? ln.allocations.map((a) => el("div", {}, `${a.depot_name} ×${a.quantity}`, el("span", { class: "muted" }, ` · ${fmtDuration(a.eta_s)}`)))
          : el("span", { class: "muted" }, t("notAllocated"))))))),
      r.note ? el("p", { class: "muted small" }, r.note) : null,
      steps.length ? el("div", { class: "card-actions" }, steps.map(([step, , key]) => el("button", {
        type: "button", class: step === "cancel" ? "small danger" : "small primary", dataset: { step },
        onclick: (e) => this.step(r, step, e.currentTarget) }, t(key)))) : null);
  }

  async step(request, step, button) {
    await busy(button, async () => {
      try {
        await post(`${config.api.supplyRequests}${request.id}/${step}/`);
        notify(t(`supply_${step}`), { kind: "success", ms: 3000 });
      } catch (error) {
        notify(errorText(error), { ms: 9000 });
      }
      this.app.detail.refresh(["supplies"]);
    });
  }

  newRequestForm(incident) {
    if (!this.lines.length) this.lines = [{ item: this.items?.[0]?.id, quantity: 10 }];
    const rows = el("div", { class: "req-lines" });
    const draw = () => fill(rows, ...this.lines.map((line, k) => el("div", { class: "inline-form" },
      el("select", { name: "item", onchange: (e) => { line.item = Number(e.currentTarget.value); } },
        (this.items || []).map((it) => el("option", { value: it.id, selected: it.id === line.item }, `${it.name}（${it.unit_of_measure}）`))),
      el("input", { type: "number", name: "quantity", min: 1, max: 10000000, value: line.quantity,
        oninput: (e) => { line.quantity = Number(e.currentTarget.value); } }),
      this.lines.length > 1 ? el("button", { type: "button", class: "small ghost", onclick: () => { this.lines.splice(k, 1); draw(); } }, "✕") : null)));
    draw();
    const note = el("input", { type: "text", name: "note", maxlength: 500, placeholder: t("requestNote") });
    const submit = el("button", { type: "submit", class: "primary" }, t("submitRequest"));
    return el("form", { class: "new-request", onsubmit: async (e) => {
      e.preventDefault();
      const lines = this.lines.filter((l) => l.item && l.quantity > 0).map((l) => ({ item: l.item, quantity: l.quantity }));
      if (!lines.length) { notify(t("needLines")); return; }
      await busy(submit, async () => {
        try {
          await post(config.api.supplyRequests, { incident: incident.id, lines, note: note.value });
          this.lines = [];
          notify(t("requestCreated"), { kind: "success", ms: 3000 });
          this.app.detail.refresh(["supplies"]);
        } catch (error) {
          notify(errorText(error));
        }
      });
    } }, heading(t("newRequest")), rows,
    el("div", { class: "inline-form" }, el("button", { type: "button", class: "small", onclick: () => {
      this.lines.push({ item: this.items?.[0]?.id, quantity: 10 }); draw(); } }, t("addLine")), note, submit));
  }

  drawRuns(incident, requests) {
    const to = incident.location ? [incident.location.lon, incident.location.lat] : null;
    const runs = [];
    if (to) {
      for (const r of requests) {
        if (!["committed", "shipped"].includes(r.status)) continue;
        for (const ln of r.lines) {
          for (const a of ln.allocations) {
            const from = this.app.map.depotPosition(a.depot);
            if (from) runs.push({ from, to });
          }
        }
      }
    }
    this.app.map.setSupplyRuns(runs);
  }
}

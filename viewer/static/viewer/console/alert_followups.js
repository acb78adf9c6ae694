// The follow-ups of a CAP alert already issued, in the zones & alerts tab: an Update (headline,
// description, instruction, severity, expiry; the area kept, taken from an active control zone or
// drawn again on the map) and a Cancel with its reason. Both ask for a confirmation that says what
// reaches the public, then post to the alert API (msgType Update/Cancel with `references` to the
// original); a refusal stays written in the form. The list shows each message's state: in force,
// updated (superseded) or cancelled.
import { errorText, post } from "../common/http.js";
import { config, fmtTime, label, t } from "./i18n.js";
import { busy, el, fill, heading, notify, select } from "./ui.js";

/** A `datetime-local` value as an ISO instant, or null when empty. */
function instant(value) {
  if (!value) return null;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? null : at.toISOString();
}

/** Each alert's state: "cancelled" and "superseded" follow from the messages that reference it. */
export function alertStates(alerts) {
  const followups = new Map();
  for (const a of alerts) if (a.references) followups.set(a.references, a);
  const states = new Map();
  for (const a of alerts) {
    const next = followups.get(a.id);
    if (a.msg_type === "Cancel") states.set(a.id, "cancelled");
    else if (next) states.set(a.id, next.msg_type === "Cancel" ? "cancelled" : "superseded");
    else states.set(a.id, "inForce");
  }
  return states;
}

const STATE_TEXT = { inForce: "alertInForce", superseded: "alertSuperseded", cancelled: "alertCancelled" };

export class AlertFollowups {
  constructor(app, tab) {
    this.app = app;
    this.tab = tab; // the zones & alerts tab, re-rendered when a form opens or a message is sent
    this.open = null; // {id, mode: "update" | "cancel"}
    this.error = null;
    this.drawn = null; // a redrawn area (GeoJSON Polygon) for the open update
  }

  reset() {
    this.open = null;
    this.error = null;
    this.drawn = null;
  }

  /** The incident's alerts with their state and, for commanders, Update / Cancel on those in force. */
  list(alerts, zones, finished) {
    if (!alerts.length) return el("p", { class: "muted" }, t("noAlerts"));
    const states = alertStates(alerts);
    const byId = new Map(alerts.map((a) => [a.id, a]));
    if (this.open && states.get(this.open.id) !== "inForce") this.reset();
    const may = this.app.can.alerts && !finished;
    return el("ul", { class: "alerts" }, alerts.map((a) => {
      const state = states.get(a.id);
      const original = a.references ? byId.get(a.references) : null;
      const button = (mode, text, cls) => el("button", { type: "button", class: `small ${cls}`,
        dataset: { alertAction: mode, alert: a.id }, onclick: () => this.toggle(a, mode) }, text);
      return el("li", { class: `sev-${a.severity} ${state === "inForce" ? "" : "cancelled"}`,
        dataset: { alert: a.id, msgType: a.msg_type, state } },
      el("div", {}, el("span", { class: "tag" }, label("capSeverity", a.severity)),
        el("span", { class: `tag msg-${a.msg_type}` }, t(`msgType_${a.msg_type}`)), el("b", {}, a.headline)),
      el("div", { class: "muted small mono" }, `${a.identifier} · ${a.msg_type} · ${fmtTime(a.sent)}`),
      original ? el("div", { class: "muted small mono" }, t("alertReferences", { id: original.identifier })) : null,
      el("div", { class: "small alert-actions" },
        el("span", { class: `tag alert-state st-${state}` }, t(STATE_TEXT[state])),
        el("a", { href: a.cap_url, target: "_blank", rel: "noopener", class: "cap-link" }, t("capXml")),
        may && state === "inForce" ? button("update", t("updateAlert"), "") : null,
        may && state === "inForce" ? button("cancel", t("cancelAlert"), "ghost") : null),
      this.open?.id === a.id ? this.form(a, zones) : null);
    }));
  }

  toggle(alert, mode) {
    const same = this.open?.id === alert.id && this.open.mode === mode;
    this.open = same ? null : { id: alert.id, mode };
    this.error = null;
    this.drawn = null;
    this.tab.rerender();
  }

  form(alert, zones) {
    return this.open.mode === "update" ? this.updateForm(alert, zones) : this.cancelForm(alert);
  }

  errorBox() {
    return el("p", { class: "form-error", id: "alert-followup-error", role: "alert", hidden: !this.error }, this.error || "");
  }

  confirmBox() {
    return el("div", { class: "confirm-box", id: "alert-followup-confirm", hidden: true });
  }

  /** Ask before anything reaches the public; `send` runs on "confirm". */
  ask(box, question, send) {
    const yes = el("button", { type: "button", class: "danger", id: "btn-alert-confirm" }, t("alertConfirmSend"));
    yes.addEventListener("click", () => busy(yes, send));
    fill(box, el("p", {}, question),
      el("div", { class: "inline-form" }, yes, el("button", { type: "button", onclick: () => { box.hidden = true; } }, t("cancel"))));
    box.hidden = false;
    box.scrollIntoView({ block: "nearest" });
  }

  async send(url, body, done) {
    let message;
    try {
      message = await post(url, body);
    } catch (error) {
      // shown in the open form, which is not redrawn: what is being corrected stays as typed
      this.showError(t("alertRefused", { reason: errorText(error) }));
      return;
    }
    this.reset();
    notify(t(done, { id: message.identifier }), { kind: "success", ms: 5000 });
    this.tab.rerender();
    this.app.detail.refresh(["timeline"]);
  }

  showError(text) {
    this.error = text;
    const box = document.getElementById("alert-followup-error");
    if (box) { box.textContent = text; box.hidden = false; }
    const confirmBox = document.getElementById("alert-followup-confirm");
    if (confirmBox) confirmBox.hidden = true;
  }

  updateForm(alert, zones) {
    const active = zones.filter((z) => z.properties.status === "active");
    const headline = el("input", { type: "text", name: "upd_headline", maxlength: 200, value: alert.headline });
    const description = el("textarea", { name: "upd_description", rows: 2, maxlength: 4000 }, alert.description);
    const instruction = el("textarea", { name: "upd_instruction", rows: 2, maxlength: 2000 }, alert.instruction || "");
    const severity = select("upd_severity", config.labels.capSeverity, alert.severity);
    const expires = el("input", { type: "datetime-local", name: "upd_expires" });
    const area = el("select", { name: "upd_area" },
      el("option", { value: "" }, t("alertAreaKeep")),
      active.map((z) => el("option", { value: `zone:${z.id}` }, t("alertAreaZone", { zone: `${z.properties.tier_label} ${z.properties.name || ""}`.trim() }))),
      this.drawn ? el("option", { value: "drawn", selected: true }, t("alertAreaDrawn")) : null);
    const draw = el("button", { type: "button", class: "small", id: "btn-alert-redraw" }, t("alertAreaDraw"));
    draw.addEventListener("click", async () => {
      this.app.hint(t("alertAreaDrawHint"));
      draw.disabled = true;
      const ring = await this.app.map.drawPolygon("#ff8a1f");
      draw.disabled = false;
      this.app.hint(null);
      if (!ring) return;
      this.drawn = { type: "Polygon", coordinates: [ring] };
      if (!area.querySelector("option[value=drawn]")) area.append(el("option", { value: "drawn" }, t("alertAreaDrawn")));
      area.value = "drawn";
    });
    const confirmBox = this.confirmBox();
    const submit = el("button", { type: "submit", class: "primary", id: "btn-alert-update" }, t("sendUpdate"));
    return el("form", { class: "alert-followup", id: "alert-update-form", onsubmit: (e) => {
      e.preventDefault();
      const body = {};
      const changed = (field, value, before) => { if (value.trim() !== (before || "").trim()) body[field] = value.trim(); };
      changed("headline", headline.value, alert.headline);
      changed("description", description.value, alert.description);
      changed("instruction", instruction.value, alert.instruction);
      if (severity.value !== alert.severity) body.severity = severity.value;
      const until = instant(expires.value);
      if (until) body.expires = until;
      if (area.value === "drawn" && this.drawn) body.area = this.drawn;
      const zone = active.find((z) => area.value === `zone:${z.id}`);
      if (zone) {
        body.area = zone.geometry;
        body.area_desc = `${zone.properties.tier_label}${zone.properties.name ? ` ${zone.properties.name}` : ""}`;
      }
      this.ask(confirmBox, t("alertConfirmUpdate", { headline: body.headline || alert.headline }),
        () => this.send(`${config.api.alerts}${alert.id}/update/`, body, "alertUpdated"));
    } },
    heading(t("updateAlertTitle", { id: alert.identifier })),
    el("label", {}, t("headline"), headline), el("label", {}, t("description"), description),
    el("label", {}, t("instruction"), instruction),
    el("div", { class: "grid2" }, el("label", {}, t("severity"), severity),
      el("label", {}, t("alertExpires"), expires, el("span", { class: "muted small" }, t("alertExpiresKeep"),
        alert.expires ? ` · ${fmtTime(alert.expires)}` : ""))),
    el("label", {}, t("alertArea"), el("div", { class: "inline-form" }, area, draw)),
    this.errorBox(), el("div", { class: "form-actions" }, submit), confirmBox);
  }

  cancelForm(alert) {
    const reason = el("textarea", { name: "cancel_reason", rows: 2, maxlength: 1000, placeholder: t("cancelAlertReasonPh") });
    const confirmBox = this.confirmBox();
    const submit = el("button", { type: "submit", class: "danger", id: "btn-alert-cancel" }, t("sendCancel"));
    return el("form", { class: "alert-followup", id: "alert-cancel-form", onsubmit: (e) => {
      e.preventDefault();
      if (!reason.value.trim()) {
        this.showError(t("needCancelReason"));
        reason.focus();
        return;
      }
      this.ask(confirmBox, t("alertConfirmCancel", { headline: alert.headline }),
        () => this.send(`${config.api.alerts}${alert.id}/cancel/`, { reason: reason.value.trim() }, "alertCancelledDone"));
    } },
    heading(t("cancelAlertTitle", { id: alert.identifier })),
    el("label", {}, t("cancelAlertReason"), reason),
    this.errorBox(), el("div", { class: "form-actions" }, submit), confirmBox);
  }
}

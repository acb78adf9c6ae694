// Mutual aid across districts (跨区支援) in the dispatch tab. A district dispatcher sees the other
// districts' fastest units apart from their own and asks for one with a reason; a city-level
// commander or dispatcher approves (the unit is sent at once) or declines with a note. The API
// decides who may do what; this only offers the buttons the console configuration allows.
import { ApiError, errorText, getJSON, post } from "../common/http.js";
import { config, fmtDuration, fmtTime, label, t } from "./i18n.js";
import { busy, el, heading, notify } from "./ui.js";

const STATUS_TAG = { pending: "warn", approved: "ok", declined: "bad", withdrawn: "" };

/** The text for a refused assignment or request (403 mutual_aid_required / city_level_required). */
export function aidErrorText(error) {
  const code = error instanceof ApiError ? error.body?.error : null;
  if (code === "mutual_aid_required") return t("aidNeeded");
  if (code === "city_level_required") return t("aidCityOnly");
  return errorText(error);
}

export class MutualAid {
  constructor(app) {
    this.app = app;
  }

  url(incident) {
    return `${config.api.incidents}${incident.id}/mutual-aid/`;
  }

  load(incident) {
    return getJSON(this.url(incident));
  }

  /** The other districts' candidates of one unit type (a district dispatcher's recommendation). */
  candidates(incident, group, pending) {
    const aid = group.mutual_aid || [];
    if (!aid.length) return null;
    const asked = new Set(pending.map((r) => r.unit));
    const can = this.app.can.requestMutualAid;
    const formBox = el("div", { class: "aid-form-box" });
    const toggle = (c) => {
      const same = formBox.dataset.unit === String(c.unit);
      formBox.replaceChildren(...(same ? [] : [this.requestForm(incident, c)]));
      formBox.dataset.unit = same ? "" : String(c.unit);
      formBox.querySelector("input")?.focus();
    };
    return el("div", { class: "aid-candidates", dataset: { type: group.unit_type } },
      el("div", { class: "aid-head" }, el("span", { class: "tag aid" }, t("aidTag")), el("span", { class: "muted small" }, t("aidTitle"))),
      el("table", { class: "rec-table aid-table" },
        el("colgroup", {}, el("col", {}), el("col", { class: "c-eta" }), el("col", { class: "c-act" })),
        el("tbody", {}, aid.map((c) => el("tr", { dataset: { unit: c.unit } },
          el("td", { title: `${c.name} · ${c.agency}` }, el("b", {}, c.code),
            el("div", { class: "muted small unit-name" }, `${c.district || c.agency} · ${c.name}`)),
          el("td", { class: "eta" }, fmtDuration(c.eta_s)),
          el("td", {}, asked.has(c.unit) ? el("span", { class: "tag warn" }, t("aidWaiting"))
            : can ? el("button", { type: "button", class: "small", dataset: { aidUnit: c.unit }, onclick: () => toggle(c) }, t("aidRequest"))
              : null))))),
      formBox);
  }

  requestForm(incident, candidate) {
    const reason = el("input", { type: "text", name: "reason", maxlength: 500, required: true,
      placeholder: t("aidReasonPlaceholder"), "aria-label": t("aidReason") });
    return el("form", { class: "inline-form aid-form", onsubmit: (e) => {
      e.preventDefault();
      return busy(e.currentTarget.querySelector("button"), async () => {
        try {
          await post(this.url(incident), { unit: candidate.unit, reason: reason.value });
          notify(t("aidRequested", { code: candidate.code }), { kind: "success", ms: 4000 });
        } catch (error) {
          notify(aidErrorText(error));
        }
        this.app.detail.refresh(["dispatch", "timeline"]);
      });
    } }, el("span", { class: "small" }, t("aidFor", { code: candidate.code })), reason,
    el("button", { type: "submit", class: "primary small" }, t("aidSend")));
  }

  /** The incident's requests, with approve / decline for city-level users. */
  section(incident, requests) {
    if (requests instanceof Error) return el("p", { class: "error" }, errorText(requests));
    if (!requests.length) return null;
    const decide = this.app.can.approveMutualAid;
    return el("section", { class: "mutual-aid", id: "mutual-aid" },
      heading(t("aidListTitle", { n: requests.length })),
      el("ul", { class: "aid-list" }, requests.map((r) => el("li", { dataset: { request: r.id, status: r.status } },
        el("div", {}, el("span", { class: `tag ${STATUS_TAG[r.status] || ""}` }, label("mutualAidStatus", r.status) || r.status_label),
          " ", el("b", {}, r.unit_code), el("span", { class: "muted small" }, ` ${r.agency} · ${label("unitType", r.unit_type)}`)),
        el("div", { class: "small" }, t("aidBy", { user: r.requested_by_name || "—", at: fmtTime(r.requested_at) }), " ", r.reason),
        r.decided_at ? el("div", { class: "small muted" }, t("aidDecidedBy", { user: r.decided_by_name || "—", at: fmtTime(r.decided_at) }),
          r.decision_note ? ` ${r.decision_note}` : "") : null,
        decide && r.status === "pending" ? this.decisionForm(r) : null))));
  }

  decisionForm(request) {
    const note = el("input", { type: "text", name: "note", maxlength: 500, placeholder: t("aidNotePlaceholder"), "aria-label": t("aidNote") });
    const send = (approve) => (e) => busy(e.currentTarget, async () => {
      try {
        await post(`${config.api.mutualAid}${request.id}/decide/`, { approve, note: note.value });
        notify(approve ? t("aidApproved", { code: request.unit_code }) : t("aidDeclined", { code: request.unit_code }),
          { kind: "success", ms: 4000 });
        if (approve) this.app.refreshAssignments();
      } catch (error) {
        notify(aidErrorText(error), { ms: 8000 });
      }
      this.app.detail.refresh(["dispatch", "timeline"]);
    });
    return el("div", { class: "inline-form aid-decide" }, note,
      el("button", { type: "button", class: "primary small", dataset: { aidApprove: request.id }, onclick: send(true) }, t("aidApprove")),
      el("button", { type: "button", class: "small", dataset: { aidDecline: request.id }, onclick: send(false) }, t("aidDecline")));
  }
}

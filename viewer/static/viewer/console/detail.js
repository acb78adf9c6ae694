// The incident detail panel: header, tabs, the overview (facts, life cycle, level), the timeline
// and the media tab.  Dispatch, supplies and zones/alerts live in their own modules.
import { pushToTalk, voiceSupported } from "../common/voice.js";
import { errorText, getJSON, post } from "../common/http.js";
import { config, fmtDistance, fmtDuration, fmtTime, label, t } from "./i18n.js";
import { $, $$, busy, el, fill, heading, kv, loading, notify, select } from "./ui.js";
import { VideoWall } from "./video_wall.js";

// The life cycle in the order a commander walks it; each button is enabled only when the
// state machine allows the move from the current status (allowed_transitions from the API).
const FLOW = [
  ["verified", "actVerify"], ["dispatched", "actDispatch"], ["on_scene", "actOnScene"],
  ["contained", "actContain"], ["closed", "actClose"], ["cancelled", "actCancel"],
];

export class IncidentDetail {
  constructor(app) {
    this.app = app;
    this.body = $("#detail-body");
    this.empty = $("#detail-empty");
    this.incident = null;
    this.tab = "overview";
    this.tabs = {};
    this.pending = null;
    this.wall = new VideoWall();
    for (const button of $$(".tabs [data-tab]")) button.addEventListener("click", () => this.showTab(button.dataset.tab));
    $("#detail-close").addEventListener("click", () => app.select(null));
  }

  register(name, renderer) {
    this.tabs[name] = renderer;
  }

  panel(name) {
    return this.body.querySelector(`[data-panel="${name}"]`);
  }

  get id() {
    return this.incident?.id ?? null;
  }

  show(incident) {
    const changed = this.incident?.id !== incident?.id;
    this.incident = incident;
    this.empty.hidden = Boolean(incident);
    this.body.hidden = !incident;
    if (!incident) return;
    this.renderHead();
    if (changed) {
      for (const name of Object.keys(this.tabs)) this.tabs[name].reset?.();
      this.showTab(this.tab in this.tabs || this.tab === "overview" ? this.tab : "overview");
    } else {
      this.refresh(["overview"]);
    }
  }

  showTab(name) {
    this.tab = name;
    for (const button of $$(".tabs [data-tab]")) button.classList.toggle("active", button.dataset.tab === name);
    for (const panel of $$(".tab-panel")) panel.classList.toggle("active", panel.dataset.panel === name);
    this.refresh([name]);
  }

  /** Re-render the named parts if they are on screen (live events call this). */
  refresh(parts) {
    if (!this.incident) return;
    for (const part of parts) {
      if (part !== this.tab) continue;
      const panel = this.panel(part);
      if (part === "overview") this.keep(panel, () => this.renderOverview());
      else if (part === "timeline") this.keep(panel, () => this.renderTimeline());
      else if (part === "media") this.keep(panel, () => this.renderMedia());
      else if (this.tabs[part]) this.keep(panel, () => this.tabs[part].render(this.incident, panel));
    }
  }

  /**
   * Re-render a panel without losing what the user is typing: values changed from their
   * defaults (and the focus) are put back into the fields of the same name afterwards.
   * A live event must never wipe a half-written alert or reason.
   */
  async keep(panel, render) {
    const changed = [];
    for (const field of panel.querySelectorAll("input[name], select[name], textarea[name]")) {
      if (field.type === "file") continue;
      const dirty = field.type === "checkbox" || field.type === "radio" ? field.checked !== field.defaultChecked
        : field.tagName === "SELECT" ? [...field.options].some((o) => o.selected !== o.defaultSelected)
          : field.value !== field.defaultValue;
      if (dirty) changed.push([field.name, field.type === "checkbox" ? field.checked : field.value]);
    }
    const focused = panel.contains(document.activeElement) ? document.activeElement.name : null;
    await render();
    for (const [name, value] of changed) {
      const field = panel.querySelector(`[name="${name}"]`);
      if (!field) continue;
      if (field.type === "checkbox") field.checked = value;
      else field.value = value;
    }
    if (focused) panel.querySelector(`[name="${focused}"]`)?.focus();
  }

  renderHead() {
    const i = this.incident;
    const badge = $("#d-level");
    badge.textContent = label("level", i.level);
    badge.className = `level-badge lv-${i.level}`;
    $("#d-number").textContent = i.number;
    const status = $("#d-status");
    status.textContent = i.status_label;
    status.className = `status-badge st-${i.status}`;
    $("#d-title").textContent = i.title;
    $("#d-sub").textContent = [i.incident_type_label, i.category_label, i.address?.full_name].filter(Boolean).join(" · ");
  }

  // --- overview ------------------------------------------------------------------------------

  renderOverview() {
    const i = this.incident;
    const box = this.panel("overview");
    const caller = i.caller_name || i.caller_phone
      ? el("span", {}, [i.caller_name, i.caller_phone].filter(Boolean).join("  "),
        i.caller_masked ? el("span", { class: "tag" }, t("masked")) : null)
      : "—";
    const loc = i.location ? `${i.location.lon.toFixed(6)}, ${i.location.lat.toFixed(6)}` : "—";
    const snapped = i.snapped ? t("snappedRoad", { d: fmtDistance(i.snapped.distance_m) }) : "";
    fill(box, 
      this.app.can.transition ? this.flowBox(i) : null,
      heading(t("facts")),
      kv([
        [t("fieldType"), `${i.incident_type_label} · ${i.category_label}`],
        [t("fieldSource"), `${i.source_label}${i.external_ref ? ` · ${i.external_ref}` : ""}`],
        this.app.config.mode === "command" ? [t("fieldCaller"), caller] : null,
        [t("fieldAddress"), i.address?.full_name || "—"],
        [t("fieldArea"), i.admin_area ? `${i.admin_area.name}（${i.admin_area.code}）` : "—"],
        [t("fieldLocation"), `${loc}${snapped ? ` · ${snapped}` : ""}`],
        [t("fieldReported"), fmtTime(i.reported_at)],
      ]),
      i.description ? el("p", { class: "description" }, i.description) : null,
      heading(t("lifecycle")),
      this.timesBox(i),
      this.app.can.level && !["closed", "cancelled", "merged"].includes(i.status) ? this.levelBox(i) : null,
      this.app.config.mode === "responder" ? this.myAssignments(i) : null,
      this.app.incidentTools?.box(i),
    );
  }

  flowBox(i) {
    const allowed = new Set(i.allowed_transitions || []);
    const buttons = FLOW.map(([to, key]) => el("button", {
      type: "button", class: `flow-btn ${to === "cancelled" ? "danger" : ""}`, dataset: { to },
      disabled: !allowed.has(to), title: allowed.has(to) ? "" : t("notAllowedNow", { status: i.status_label }),
      onclick: (e) => this.transition(to, e.currentTarget),
    }, t(key)));
    const extra = el("div", { class: "flow-extra", id: "flow-extra", hidden: true });
    const box = el("div", { class: "flow" }, el("div", { class: "flow-buttons" }, buttons), extra);
    // A reason being written survives a re-render (the fields' values are kept by keep()).
    if (this.asking && allowed.has(this.asking)) queueMicrotask(() => this.askReason(this.asking));
    else this.asking = null;
    return box;
  }

  transition(to, button) {
    if (to === "closed" || to === "cancelled") {
      this.askReason(to);
      return;
    }
    this.doTransition({ to }, button);
  }

  askReason(to) {
    const extra = $("#flow-extra");
    if (!extra) return;
    this.asking = to;
    const reason = el("input", { type: "text", name: "reason", maxlength: 500,
      placeholder: to === "closed" ? t("closeNote") : t("cancelReason") });
    const disposition = to === "closed" ? select("disposition", this.app.config.labels.disposition) : null;
    const confirm = el("button", { type: "button", class: to === "cancelled" ? "danger" : "primary", dataset: { confirm: to } },
      to === "closed" ? t("confirmClose") : t("confirmCancel"));
    confirm.addEventListener("click", () => {
      if (to === "cancelled" && !reason.value.trim()) {
        notify(t("needReason"));
        reason.focus();
        return;
      }
      const body = { to, reason: reason.value.trim() };
      if (disposition) body.disposition = disposition.value;
      this.doTransition(body, confirm);
    });
    fill(extra, el("div", { class: "inline-form" }, disposition, reason, confirm,
      el("button", { type: "button", onclick: () => { extra.hidden = true; this.asking = null; } }, t("cancel"))));
    extra.hidden = false;
    if (!extra.contains(document.activeElement)) (disposition || reason).focus();
  }

  async doTransition(body, button) {
    await busy(button, async () => {
      try {
        const incident = await post(`${config.api.incidents}${this.incident.id}/transition/`, body);
        this.asking = null;
        this.app.upsertIncident(incident);
        notify(t("statusChanged", { status: incident.status_label }), { kind: "success", ms: 3000 });
      } catch (error) {
        notify(t("transitionRefused", { reason: errorText(error) }));
      }
    });
  }

  timesBox(i) {
    const steps = [
      ["reported_at", t("tReceived")], ["verified_at", t("tVerified")], ["dispatched_at", t("tDispatched")],
      ["on_scene_at", t("tOnScene")], ["contained_at", t("tContained")], ["closed_at", t("tClosed")],
    ];
    const rows = [];
    let previous = null;
    for (const [field, text] of steps) {
      const at = i[field];
      const gap = at && previous ? (new Date(at) - new Date(previous)) / 1000 : null;
      rows.push(el("li", { class: at ? "done" : "todo" },
        el("i", {}), el("span", { class: "step" }, text), el("span", { class: "at" }, at ? fmtTime(at) : "—"),
        el("span", { class: "gap muted" }, gap !== null ? `+${fmtDuration(gap)}` : "")));
      if (at) previous = at;
    }
    if (i.cancelled_at) rows.push(el("li", { class: "done cancelled" }, el("i", {}), el("span", { class: "step" }, t("tCancelled")),
      el("span", { class: "at" }, fmtTime(i.cancelled_at)), el("span", { class: "gap muted" }, i.status_reason || "")));
    return el("ol", { class: "steps" }, rows);
  }

  levelBox(i) {
    const levels = this.app.config.labels.level;
    const choose = select("level", levels, i.level);
    const reason = el("input", { type: "text", name: "level_reason", maxlength: 500, placeholder: t("levelReason") });
    const button = el("button", { type: "button" }, t("changeLevel"));
    button.addEventListener("click", async () => {
      if (choose.value === i.level) { notify(t("levelSame")); return; }
      if (!reason.value.trim()) { notify(t("needReason")); reason.focus(); return; }
      await busy(button, async () => {
        try {
          const incident = await post(`${config.api.incidents}${i.id}/level/`, { level: choose.value, reason: reason.value.trim() });
          this.app.upsertIncident(incident);
          notify(t("levelChanged", { level: incident.level_label }), { kind: "success", ms: 3000 });
        } catch (error) {
          notify(errorText(error));
        }
      });
    });
    return el("div", { class: "inline-form level-form" }, el("span", { class: "muted" }, t("responseLevel")), choose, reason, button);
  }

  myAssignments(i) {
    const box = el("div", { class: "my-assignments" }, loading(t("loading")));
    getJSON(`${config.api.incidents}${i.id}/assignments/`).then((list) => {
      fill(box, heading(t("myAssignments")), ...list.map((a) => el("div", { class: "assign-card" },
        el("b", {}, `${a.unit_code} ${a.unit_name}`), el("span", { class: `status-badge us-${a.unit_status}` }, label("unitStatus", a.unit_status)),
        el("div", { class: "muted small" }, t("etaDistance", { eta: fmtDuration(a.eta_s), d: fmtDistance(a.distance_m) })))));
      this.app.map.setRoutes(list.filter((a) => a.active));
    }).catch((error) => fill(box, el("p", { class: "error" }, errorText(error))));
    return box;
  }

  // --- timeline ----------------------------------------------------------------------------

  async renderTimeline() {
    const box = this.panel("timeline");
    const id = this.incident.id;
    if (!box.childElementCount) fill(box, loading(t("loading")));
    let entries;
    try {
      entries = await getJSON(`${config.api.incidents}${id}/timeline/`);
    } catch (error) {
      fill(box, el("p", { class: "error" }, errorText(error)));
      return;
    }
    if (this.incident?.id !== id) return;
    const key = JSON.stringify([id, entries]);
    if (key === this.shownTimeline && box.childElementCount) return;
    this.shownTimeline = key;
    const note = this.app.can.note ? this.noteForm(id) : null;
    fill(box, note, el("ol", { class: "timeline" }, [...entries].reverse().map((e) => el("li", { class: `tl-${e.kind}` },
      el("span", { class: "tl-time mono" }, fmtTime(e.at)),
      el("span", { class: "tl-kind" }, e.kind_label),
      el("span", { class: "tl-text" }, e.text),
      e.data?.channel ? el("audio", { controls: true, preload: "none", src: `${config.api.incidents}${id}/attachments/${e.data.attachment}/file/` }) : null,
      el("span", { class: "tl-actor muted" }, e.actor_label || "")))));
  }

  noteForm(id) {
    const input = el("input", { type: "text", name: "note", maxlength: 1000, placeholder: t("notePlaceholder") });
    const button = el("button", { type: "submit" }, t("addNote"));
    return el("form", { class: "inline-form", onsubmit: async (e) => {
      e.preventDefault();
      if (!input.value.trim()) return;
      await busy(button, async () => {
        try {
          await post(`${config.api.incidents}${id}/timeline/`, { text: input.value.trim() });
          input.value = "";
          this.renderTimeline();
        } catch (error) {
          notify(errorText(error));
        }
      });
    } }, input, button);
  }

  // --- attachments and cameras ------------------------------------------------------------

  async renderMedia() {
    const box = this.panel("media");
    const id = this.incident.id;
    if (!box.childElementCount) fill(box, loading(t("loading")));
    const [attachments, cameras] = await Promise.all([
      getJSON(`${config.api.incidents}${id}/attachments/`).catch((e) => e),
      this.app.can.readRegistry ? getJSON(`${config.api.incidents}${id}/cameras/`).catch((e) => e) : null,
    ]);
    if (this.incident?.id !== id) return;
    const key = JSON.stringify([id, attachments instanceof Error ? String(attachments) : attachments,
      cameras instanceof Error ? String(cameras) : cameras]);
    if (key === this.shownMedia && box.childElementCount) return;
    this.shownMedia = key;
    const parts = [heading(t("attachments"))];
    if (attachments instanceof Error) parts.push(el("p", { class: "error" }, errorText(attachments)));
    else if (!attachments.length) parts.push(el("p", { class: "muted" }, t("noAttachments")));
    else {
      parts.push(el("ul", { class: "files" }, attachments.map((a) => el("li", { class: a.channel ? "voice-message" : "" },
        el("span", { class: "tag" }, a.channel ? t("voiceMessage") : t(`att_${a.kind}`)),
        a.channel ? null : el("a", { href: a.url, target: "_blank", rel: "noopener" }, a.original_name || `#${a.id}`),
        el("span", { class: "muted small" }, a.channel ? `${Math.round(a.duration_s || 0)} s · ${fmtTime(a.uploaded_at)}`
          : `${(a.size_bytes / 1024).toFixed(0)} KB · ${fmtTime(a.uploaded_at)}`),
        a.kind === "audio" ? el("audio", { controls: true, preload: "none", src: a.url }) : null))));
    }
    if (this.app.can.upload) parts.push(this.uploadForm(id), this.pushToTalk(id));
    if (cameras) {
      const incident = this.incident;
      const wallButton = (n, text) => el("button", { type: "button", class: "small", "data-wall": n, onclick: () => this.wall.open(incident, n) }, text);
      parts.push(heading(t("camerasNearby"), wallButton(4, t("videoWall2")), wallButton(9, t("videoWall3"))));
      if (cameras instanceof Error) parts.push(el("p", { class: "error" }, errorText(cameras)));
      else {
        const linked = new Set(cameras.linked.map((c) => c.id));
        const all = [...cameras.linked, ...cameras.nearby.filter((c) => !linked.has(c.id))];
        if (!all.length) parts.push(el("p", { class: "muted" }, t("noCameras")));
        parts.push(el("ul", { class: "cameras" }, all.map((c) => el("li", { dataset: { camera: c.id } },
          el("b", {}, c.name || c.code), el("span", { class: "tag" }, label("cameraProtocol", c.protocol)),
          linked.has(c.id) ? el("span", { class: "tag ok" }, t("linked"))
            : this.app.can.linkCamera ? el("button", { type: "button", class: "small", onclick: (e) => this.linkCamera(id, c.id, e.currentTarget) }, t("link")) : null,
          this.streamAddress(c)))));
      }
    }
    fill(box, ...parts);
  }

  uploadForm(id) {
    const file = el("input", { type: "file", name: "file", accept: "image/*,video/*,audio/*" });
    const note = el("input", { type: "text", name: "note", maxlength: 500, placeholder: t("attachmentNote") });
    const button = el("button", { type: "submit" }, t("upload"));
    return el("form", { class: "inline-form upload", onsubmit: async (e) => {
      e.preventDefault();
      if (!file.files.length) { notify(t("chooseFile")); return; }
      const data = new FormData();
      data.append("file", file.files[0]);
      data.append("note", note.value);
      await busy(button, async () => {
        try {
          await post(`${config.api.incidents}${id}/attachments/`, data);
          notify(t("uploaded"), { kind: "success", ms: 3000 });
          this.renderMedia();
        } catch (error) {
          notify(errorText(error));
        }
      });
    } }, file, note, button);
  }

  pushToTalk(id) {
    const button = el("button", { type: "button", class: "ptt-console" }, t("voiceHold"));
    if (!voiceSupported()) {
      button.disabled = true;
      button.textContent = t("voiceUnsupported");
      return el("div", {}, heading(t("voiceTitle")), button);
    }
    pushToTalk(button, {
      maxSeconds: config.voiceMaxS,
      onState: (state) => {
        button.textContent = state === "recording" ? t("voiceRecording") : t("voiceHold");
        if (state === "too_long") notify(t("voiceTooLong", { s: config.voiceMaxS }), { kind: "info" });
      },
      onRecorded: async (blob) => {
        const data = new FormData();
        data.append("file", blob, "voice.webm");
        data.append("voice", "true");
        try {
          await post(`${config.api.incidents}${id}/attachments/`, data);
          notify(t("voiceSent"), { kind: "success", ms: 3000 });
          this.renderMedia();
        } catch (error) {
          notify(errorText(error));
        }
      },
    });
    return el("div", { class: "ptt-box" }, heading(t("voiceTitle")), button);
  }

  /** The camera's stream address as lists show it (masked), and the audited reveal of it whole. */
  streamAddress(camera) {
    if (!camera.stream_url) return null;
    const text = el("span", { class: "mono muted camera-url", title: t("streamMasked") }, camera.stream_url);
    const reveal = this.app.can.revealStream && camera.stream_masked
      ? el("button", { type: "button", class: "small ghost", dataset: { revealCamera: camera.id }, title: t("revealStreamTip") },
        t("revealStream"))
      : null;
    reveal?.addEventListener("click", () => busy(reveal, async () => {
      try {
        const whole = await getJSON(`${config.api.cameras}${camera.id}/?reveal=stream`);
        text.textContent = whole.stream_url;
        text.title = t("streamRevealed");
        text.classList.remove("muted");
        reveal.remove();
      } catch (error) {
        notify(errorText(error));
      }
    }));
    return el("div", { class: "small" }, text, " ", reveal);
  }

  async linkCamera(id, camera, button) {
    await busy(button, async () => {
      try {
        await post(`${config.api.incidents}${id}/cameras/`, { camera });
        this.renderMedia();
      } catch (error) {
        notify(errorText(error));
      }
    });
  }
}

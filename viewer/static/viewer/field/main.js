// The responder's field app: the unit's assignment, the route, status buttons, positions,
// photos and push-to-talk. Everything the crew does goes through the outbox (queue.js) so it
// survives a dead network; new assignments arrive over the live WebSocket with sound and
// vibration and stay on screen until acknowledged.

import { $, el, fill, messageBox } from "../common/dom.js";
import { errorText, getJSON, send } from "../common/http.js";
import { LiveClient } from "../common/live.js";
import { pushToTalk, voiceSupported } from "../common/voice.js";
import { Outbox } from "./queue.js";
import { drawRoute } from "./routemap.js";

const config = JSON.parse($("#field-config").textContent);
const strings = JSON.parse($("#field-i18n").textContent);
const notify = messageBox("#msg", "msg");
const STATE_KEY = `field.state.${config.user}`;

// button → the status it reports; 处置完毕 (done on scene) and 返回 (turned back before
// arriving) both start the way back, told apart by the note.
const BUTTONS = [
  { key: "en_route", status: "en_route" },
  { key: "on_scene", status: "on_scene" },
  { key: "returning", status: "returning", from: "on_scene", note: "处置完毕" },
  { key: "back", status: "returning", from: "en_route", note: "返回" },
  { key: "available", status: "available" },
  { key: "out_of_service", status: "out_of_service" },
];

function t(key, params = {}) {
  return String(strings[key] ?? key).replace(/\{(\w+)\}/g, (_, k) => params[k] ?? "");
}

const clock = (iso) => (iso ? new Date(iso).toLocaleTimeString() : "");

let state = null;
const fixes = [];
let lastFix = null;
let alarmFor = null;
let beepTimer = null;

const outbox = new Outbox({
  url: config.api.ops,
  storageKey: `field.outbox.${config.user}`,
  onAnswer: answered,
  onChange: showNet,
});

function unit() {
  return state?.units?.[0] || null;
}

function showNet(pending, online) {
  const box = $("#net");
  box.className = online ? "net" : "net offline";
  box.textContent = [online ? t("online") : t("offline"), pending ? t("queued", { n: pending }) : ""].filter(Boolean).join(" · ");
}

// --- state ------------------------------------------------------------------------------

async function reload() {
  try {
    state = await getJSON(config.api.state);
    localStorage.setItem(STATE_KEY, JSON.stringify(state));
  } catch (error) {
    if (!state) {
      const kept = localStorage.getItem(STATE_KEY);
      if (kept) state = JSON.parse(kept);
    }
    if (!state) { notify(errorText(error)); return; }
  }
  render();
}

function render() {
  const u = unit();
  if (!u) {
    fill($("#unit"), el("p", { class: "muted" }, t("noUnit")));
    return;
  }
  fill($("#unit"), el("h2", {}, u.name.startsWith(u.code) ? u.name : `${u.code} ${u.name}`),
    el("p", {}, `${t("status")}: `, el("b", { class: "unit-status", "data-status": u.status }, u.status_label)));
  renderAssignment(u);
  renderButtons(u);
  const a = u.assignment;
  if (a && !a.acknowledged_at) showAlarm(a);
  else hideAlarm();
}

function renderAssignment(u) {
  const a = u.assignment;
  const box = $("#assignment");
  if (!a) {
    fill(box, el("p", { class: "muted no-assignment" }, t("noAssignment")));
    fill($("#route"));
    fill($("#voice-list"));
    return;
  }
  const i = a.incident;
  fill(box,
    el("h2", {}, el("span", { class: `level ${i.level_colour}` }, i.level_label), " ", `${i.number || ""} ${i.title}`),
    el("p", { class: "muted small" }, `${i.type_label} · ${i.status_label} · ${t("assignedAt", { time: clock(a.assigned_at) })}`,
      a.acknowledged_at ? ` · ${t("acknowledged", { time: clock(a.acknowledged_at) })}` : ""),
    el("dl", { class: "facts" },
      el("dt", {}, t("address")), el("dd", { class: "address" }, i.address || "—"),
      el("dt", {}, t("caller")), el("dd", {}, [i.caller_name, i.caller_phone].filter(Boolean).join(" ") || "—")),
    i.description ? el("p", {}, i.description) : null,
    i.notes.length ? el("div", {}, el("h3", {}, t("notes")), el("ul", {}, i.notes.map((n) => el("li", {}, `${clock(n.at)} ${n.text}`)))) : null,
    el("h3", {}, t("tasks")),
    i.tasks.length ? el("ul", { class: "tasks" }, i.tasks.map((k) => el("li", { class: k.done ? "done" : "" }, k.title)))
      : el("p", { class: "muted" }, t("noTasks")));
  renderRoute(a);
  renderVoice(i);
}

function renderRoute(a) {
  const r = a.route;
  const box = $("#route");
  if (!r.available) {
    fill(box, el("h3", {}, t("route")), el("p", { class: "muted" }, t("noRoute", { reason: r.detail || r.reason })));
    return;
  }
  const map = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  map.setAttribute("class", "routemap");
  map.setAttribute("role", "img");
  const steps = r.steps.map((s) => el("li", {}, t(`turn:${s.turn}`, { road: s.road || t("unnamedRoad") }),
    el("span", { class: "dist" }, s.distance_m >= 1000 ? `${(s.distance_m / 1000).toFixed(1)} km` : `${Math.round(s.distance_m)} m`)));
  fill(box, el("h3", {}, t("route")),
    el("p", { class: "route-summary" }, t("routeFrom", { source: t(`source:${r.origin_source}`), min: (r.seconds / 60).toFixed(1), km: (r.meters / 1000).toFixed(2) }),
      r.closures_in_force ? ` · ${t("closures", { n: r.closures_in_force })}` : ""),
    map, el("ol", { class: "turns" }, steps, el("li", {}, t("arrive"))));
  drawRoute(map, { route: r, target: a.incident.location, roadsUrl: config.api.roads });
}

function renderVoice(i) {
  const box = $("#voice-list");
  fill(box, el("h3", {}, t("voiceMessages")),
    i.voice.length ? i.voice.map((v) => el("div", { class: "voice-item" }, el("span", { class: "small" }, `${clock(v.at)} ${v.by}`),
      el("audio", { controls: true, preload: "none", src: `${config.api.incidents}${i.id}/attachments/${v.id}/file/` })))
      : el("p", { class: "muted" }, t("noVoice")));
}

function renderButtons(u) {
  const box = $("#status-buttons");
  fill(box, BUTTONS.map((b) => {
    const enabled = u.allowed.includes(b.status) && (!b.from || b.from === u.status);
    return el("button", { type: "button", class: `status-${b.key}${u.status === b.status ? " current" : ""}`,
      "data-status": b.key, disabled: !enabled, onclick: () => reportStatus(b) }, t(`status:${b.key}`));
  }));
}

// --- operations --------------------------------------------------------------------------

function reportStatus(b) {
  const u = unit();
  let note = b.note || "";
  if (b.status === "out_of_service") {
    note = $("#oos-note").value.trim();
    if (!note) { notify(t("oosReason")); $("#oos-note").focus(); return; }
  }
  outbox.add({ type: "status", unit: u.id, status: b.status, note, label: t(`status:${b.key}`) });
  if (!outbox.online) notify(t("statusQueued", { status: t(`status:${b.key}`) }), { kind: "info" });
  // show the move at once; the server's answer (or a refusal) corrects it
  u.status = b.status;
  u.status_label = t(`status:${b.key}`);
  u.allowed = state.settings.unit_transitions[b.status] || [];
  if (b.status === "returning" && u.assignment) u.assignment = null;
  render();
}

function answered(op, status, body) {
  if (status >= 400) {
    const what = op.label || op.type;
    notify(`${what}: ${t("refused", { reason: body.detail || errorText({ body }) })}`, { ms: 12000 });
    let log = $("#refused");
    if (!log) {
      log = el("ul", { id: "refused", class: "small" });
      $("#status-buttons").after(log);
    }
    log.prepend(el("li", { class: "refused" }, `${clock(op.at)} ${what}: ${body.detail || status}`));
    reload();
    return;
  }
  if (op.type === "status") notify(t("statusSent", { status: op.label }), { kind: "success", ms: 3000 });
  if (op.type !== "positions") reload();
}

function acknowledge() {
  if (!alarmFor) return;
  outbox.add({ type: "ack", assignment: alarmFor, label: t("acknowledge") });
  const a = unit()?.assignment;
  if (a && a.id === alarmFor) a.acknowledged_at = new Date().toISOString();
  hideAlarm();
  render();
}

// --- the alarm -------------------------------------------------------------------------

function beep() {
  try {
    const ctx = new AudioContext();
    const osc = ctx.createOscillator();
    osc.frequency.value = 880;
    osc.connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.4);
  } catch { /* no sound on this device */ }
  navigator.vibrate?.([400, 200, 400]);
}

/** Alarm for assignment `id`; `text` says what and where (from the event, then the details). */
function showAlarm(a) {
  raiseAlarm(a.id, [`${a.incident.level_label} ${a.incident.title}`, a.incident.address].filter(Boolean).join(" · "));
}

function raiseAlarm(id, text) {
  $("#alarm-text").textContent = text;
  if (alarmFor === id) return;
  alarmFor = id;
  $("#alarm").hidden = false;
  beep();
  clearInterval(beepTimer);
  beepTimer = setInterval(beep, 5000);
}

function hideAlarm() {
  alarmFor = null;
  $("#alarm").hidden = true;
  clearInterval(beepTimer);
}

// --- position ----------------------------------------------------------------------------

function watchPosition() {
  if (!navigator.geolocation) return;
  navigator.geolocation.watchPosition((p) => {
    const u = unit();
    lastFix = p;
    $("#geo").textContent = t("positionAt", { time: clock(new Date(p.timestamp).toISOString()), acc: Math.round(p.coords.accuracy) });
    if (!u) return;
    const speed = p.coords.speed;
    const heading = p.coords.heading;
    fixes.push({ unit: u.id, lon: p.coords.longitude, lat: p.coords.latitude, at: new Date(p.timestamp).toISOString(),
      speed_kmh: speed == null || Number.isNaN(speed) ? null : speed * 3.6,
      heading: heading == null || Number.isNaN(heading) ? null : heading });
  }, (error) => { $("#geo").textContent = t("geoDenied", { reason: error.message }); },
  { enableHighAccuracy: true, maximumAge: 1000 });
  setInterval(sendFixes, (state?.settings?.position_interval_s || 5) * 1000);
}

function sendFixes() {
  if (!fixes.length) return;
  const items = fixes.splice(0, fixes.length);
  outbox.add({ type: "positions", items });
}

// --- photos and voice ------------------------------------------------------------------------

async function upload(file, { voice = false } = {}) {
  const a = unit()?.assignment;
  if (!a) { notify(t("noAssignment")); return; }
  const data = new FormData();
  data.append("file", file, voice ? "voice.webm" : file.name || "photo.jpg");
  data.append("assignment", a.id);
  if (voice) data.append("voice", "true");
  try {
    await send("POST", config.api.media, data);
    notify(voice ? t("voiceSent") : t("photoSent"), { kind: "success", ms: 3000 });
    reload();
  } catch (error) {
    notify(t("uploadFailed", { reason: errorText(error) }));
  }
}

function setupMedia() {
  $("#photo").addEventListener("change", (e) => {
    const file = e.target.files[0];
    if (file) upload(file);
    e.target.value = "";
  });
  const ptt = $("#ptt");
  if (!voiceSupported()) { ptt.disabled = true; ptt.textContent = t("voiceUnsupported"); return; }
  pushToTalk(ptt, {
    maxSeconds: state?.settings?.voice_max_s || 60,
    onRecorded: (blob) => upload(blob, { voice: true }),
    onState: (s, detail) => {
      if (s === "recording") ptt.textContent = t("voiceRecording");
      else ptt.textContent = t("voice");
      if (s === "too_long") notify(t("voiceTooLong", { s: state?.settings?.voice_max_s || 60 }), { kind: "info" });
      if (s === "error") notify(String(detail?.message || detail));
    },
  });
}

// --- in-app messages (the notification service's in-app channel: group user.<id>) -----------

const NOTES_KEPT = 20;
const noteIds = new Set();

function addNote(n, { fresh = false } = {}) {
  if (n.delivery != null) {
    if (noteIds.has(n.delivery)) return false;
    noteIds.add(n.delivery);
  }
  const list = $("#notes");
  const item = el("li", { class: fresh ? "fresh" : null, dataset: { delivery: n.delivery ?? "" } },
    el("b", {}, n.subject || ""), el("time", {}, clock(n.at)), el("span", { class: "note-body" }, n.body || ""));
  if (fresh) list.prepend(item); else list.append(item);
  while (list.children.length > NOTES_KEPT) list.lastElementChild.remove();
  $("#notes-panel").hidden = false;
  return true;
}

function setupNotes(client) {
  for (const n of config.messages || []) addNote(n);
  client.on("notification", (n) => {
    if (!addNote({ ...n, at: new Date().toISOString() }, { fresh: true })) return;
    notify(t("newMessage", { subject: n.subject }), { kind: "info", ms: 8000 });
    navigator.vibrate?.(200);
  });
}

// --- live ----------------------------------------------------------------------------------------

let live = null;

function setupLive() {
  live = new LiveClient({ wsBase: config.wsUrl, lastEventId: config.lastEventId });
  const mine = (payload) => {
    const ids = new Set((state?.units || []).map((u) => u.id));
    return ids.has(payload?.unit) || (payload?.units || []).some((id) => ids.has(id));
  };
  live.on("assignment.created", (event) => {
    if (!mine(event.payload)) return;
    // the alarm sounds at once; the details (route, tasks) follow
    const brief = event.payload.brief || {};
    raiseAlarm(event.payload.assignment, [brief.number, brief.title].filter(Boolean).join(" "));
    reload();
  });
  for (const kind of ["assignment.acknowledged", "unit.status", "assignment.moved"]) {
    live.on(kind, (event) => { if (mine(event.payload)) reload(); });
  }
  live.on("incident.attachment", (event) => {
    if (!mine(event.payload) || !event.payload.channel) return;
    notify(t("newVoice", { by: event.payload.from }), { kind: "info" });
    navigator.vibrate?.(200);
    reload();
  });
  live.on("resync", reload);
  live.on("synced", reload);
  setupNotes(live);
  live.connect();
}

$("#ack").addEventListener("click", acknowledge);
if ("serviceWorker" in navigator) navigator.serviceWorker.register(config.serviceWorker, { scope: "./" }).catch(() => {});
showNet(outbox.pending, outbox.online);
await reload();
setupMedia();
setupLive();
watchPosition();
// the page's test hook
window.fieldApp = { outbox, reload, get state() { return state; }, get lastFix() { return lastFix; },
  get live() { return live; }, get alarm() { return alarmFor; } };

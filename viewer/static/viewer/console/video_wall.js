// The video wall: a 2×2 or 3×3 grid over the map with the cameras linked to an incident and the
// nearest ones (the API picks them and audits the opening).  HLS plays in the page through hls.js
// (served from the platform's static files, loaded on first use), or the browser's own HLS where
// there is no Media Source Extensions (iPhone Safari);
// a camera that cannot play shows its still image.  FLV and WebRTC streams of a GB/T 28181 gateway
// are offered as a link to the gateway's own player: no FLV or WebRTC player is bundled.
import { errorText, getJSON, withParams } from "../common/http.js";
import { config, fmtDistance, t } from "./i18n.js";
import { el, fill } from "./ui.js";

const GATEWAY_PLAYER = new Set(["flv", "webrtc"]);
let hlsModule = null;

async function loadHls() {
  hlsModule ??= import(config.hlsModule).then((m) => m.default);
  return hlsModule;
}

export class VideoWall {
  constructor() {
    this.box = null;
    this.players = [];
    this.incident = null;
    this.size = 4;
    this.onKey = (e) => { if (e.key === "Escape") this.close(); };
  }

  /** The wall's frame over the map: a title, extra header controls and an empty grid of `columns`. */
  frame(title, columns, ...controls) {
    this.close();
    this.grid = el("div", { class: `video-grid n${columns}` });
    this.status = el("span", { class: "muted small" }, t("loading"));
    this.box = el("section", { class: "video-wall", role: "dialog", "aria-label": t("videoWall") },
      el("header", {}, el("b", {}, title), this.status, el("span", { class: "spacer" }), ...controls,
        el("button", { type: "button", class: "icon", "aria-label": t("close"), onclick: () => this.close() }, "✕")),
      this.grid);
    document.querySelector(".console-centre").append(this.box);
    document.addEventListener("keydown", this.onKey);
  }

  async open(incident, size = this.size) {
    const sizeButton = (n, text) => el("button", {
      type: "button", class: `small${n === size ? " active" : ""}`, "aria-pressed": String(n === size),
      onclick: () => this.open(incident, n),
    }, text);
    this.frame(`${t("videoWall")} · ${incident.number}`, size === 9 ? 3 : 2, sizeButton(4, "2×2"), sizeButton(9, "3×3"));
    this.incident = incident;
    this.size = size;
    let wall;
    try {
      wall = await getJSON(withParams(`${config.api.incidents}${incident.id}/video-wall/`, { size }));
    } catch (error) {
      fill(this.status, el("span", { class: "error" }, errorText(error)));
      return;
    }
    if (this.incident !== incident || this.size !== size) return;
    fill(this.status, t("videoWallCount", { n: wall.cameras.length, km: (wall.radius_m / 1000).toFixed(0) }));
    const tiles = wall.cameras.map((camera) => this.tile(camera));
    for (let i = wall.cameras.length; i < size; i += 1) {
      tiles.push(el("div", { class: "video-tile empty" }, el("span", { class: "muted" }, t("videoNoCamera"))));
    }
    fill(this.grid, ...tiles);
  }

  /** One camera (a camera picked on the map), opened through the audited stream endpoint. */
  async openCamera(id, title) {
    this.frame(title, 1);
    const box = this.box;
    try {
      const camera = await getJSON(`${config.api.cameras}${id}/stream/`);
      if (this.box !== box) return;
      fill(this.status);
      fill(this.grid, this.tile(camera));
    } catch (error) {
      fill(this.status, el("span", { class: "error" }, errorText(error)));
    }
  }

  tile(camera) {
    const caption = el("figcaption", {},
      el("b", {}, camera.name || camera.code),
      el("span", { class: "muted small" }, [camera.protocol_label, camera.distance_m != null ? fmtDistance(camera.distance_m) : null,
        camera.linked ? t("linked") : null].filter(Boolean).join(" · ")));
    const figure = el("figure", { class: "video-tile", "data-camera": camera.code }, caption);
    if (camera.playable) this.play(figure, camera);
    else this.still(figure, camera, GATEWAY_PLAYER.has(camera.protocol) ? "gateway" : "unsupported");
    return figure;
  }

  still(figure, camera, reason, video = null) {
    // The last frame a stopped <video> shows is the fallback when there is no snapshot.
    const picture = camera.snapshot_url && !video
      ? el("img", { src: camera.snapshot_url, alt: camera.name || camera.code, loading: "lazy" })
      : video || el("div", { class: "video-blank" });
    const note = reason === "gateway"
      ? el("p", { class: "video-note" }, t("videoGatewayOnly", { p: camera.protocol_label }), " ",
        el("a", { href: camera.stream_url, target: "_blank", rel: "noopener noreferrer" }, t("videoOpenGateway")))
      : el("p", { class: "video-note" }, t(reason === "failed" ? "videoFailed" : "videoUnsupported", { p: camera.protocol_label }));
    figure.dataset.state = reason;
    figure.querySelector("video, img, .video-blank")?.remove();
    figure.querySelector(".video-note")?.remove();
    figure.prepend(picture, note);
  }

  async play(figure, camera) {
    const video = el("video", { muted: true, autoplay: true, playsinline: true, poster: camera.snapshot_url || null });
    video.muted = true; // the attribute alone does not allow autoplay everywhere
    video.addEventListener("ended", () => { video.currentTime = 0; video.play().catch(() => {}); });
    video.addEventListener("playing", () => { figure.dataset.state = "playing"; });
    figure.dataset.state = "loading";
    figure.prepend(video);
    const fail = () => this.still(figure, camera, "failed", camera.snapshot_url ? null : video);
    // hls.js wherever Media Source Extensions exist (the same player everywhere); the browser's own
    // HLS only where they do not (iPhone Safari).
    const Hls = await loadHls().catch(() => null);
    if (!Hls || !Hls.isSupported()) {
      if (!video.canPlayType("application/vnd.apple.mpegurl")) { fail(); return; }
      video.src = camera.stream_url;
      video.addEventListener("error", fail, { once: true });
      return;
    }
    // Workers from blob: URLs are allowed, but the main thread is enough for a few small streams.
    const hls = new Hls({ enableWorker: false, maxBufferLength: 10, manifestLoadingMaxRetry: 2 });
    this.players.push(hls);
    hls.on(Hls.Events.ERROR, (_event, data) => {
      if (!data.fatal) return;
      hls.destroy();
      fail();
    });
    hls.loadSource(camera.stream_url);
    hls.attachMedia(video);
    hls.on(Hls.Events.MANIFEST_PARSED, () => video.play().catch(() => {}));
  }

  close() {
    for (const hls of this.players) hls.destroy();
    this.players = [];
    this.box?.remove();
    this.box = null;
    this.incident = null;
    document.removeEventListener("keydown", this.onKey);
  }
}

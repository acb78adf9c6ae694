// The live operations feed shared by the console and the dashboard: one WebSocket to the ASGI
// server's /ws/ops/, resumed by the last event id after any drop, reconnected with backoff.
//
//   const live = new LiveClient({ wsBase: config.wsUrl, lastEventId: config.lastEventId });
//   live.on("incident.created", (event) => …);   // one event kind
//   live.on("event", (event) => …);              // every event
//   live.on("positions", (items, message) => …); // coalesced unit positions (message.snapshot on connect)
//   live.on("stale", (unitIds) => …);            // the complete set of units whose position is stale
//   live.on("resync", () => …);                  // the server lost our place: reload over REST
//   live.on("state", (state, detail) => …);      // connecting | live | retrying | denied | closed
//   live.connect();

const PING_EVERY_MS = 20000;
const SILENT_LIMIT_MS = 50000; // no frame (not even a pong) for this long: the link is dead
const BACKOFF_START_MS = 1000;
const BACKOFF_MAX_MS = 30000;
const DENIED_CODES = new Set([4401, 4403]);

/** ws(s)://host of the page, or the configured base without a trailing slash. */
export function wsOrigin(wsBase) {
  if (wsBase) return wsBase.replace(/\/+$/, "");
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${window.location.host}`;
}

export class LiveClient {
  constructor({ wsBase = "", lastEventId = 0, path = "/ws/ops/" } = {}) {
    this.origin = wsOrigin(wsBase);
    this.path = path;
    this.lastEventId = Number(lastEventId) || 0;
    this.listeners = new Map();
    this.socket = null;
    this.state = "idle";
    this.backoff = BACKOFF_START_MS;
    this.retryTimer = null;
    this.pingTimer = null;
    this.lastFrameAt = 0;
    this.stopped = false;
    this.stats = { connects: 0, events: 0, positions: 0, replayed: 0, resyncs: 0, lastPingMs: null };
    this.synced = false;
    this.pingSentAt = 0;
    this.seen = new Set(); // recent event ids: a late event (lower id, "late": true) still counts once
  }

  /** Listen to an event kind, "event" (all), "positions", "synced", "resync" or "state". */
  on(name, fn) {
    if (!this.listeners.has(name)) this.listeners.set(name, new Set());
    this.listeners.get(name).add(fn);
    return () => this.listeners.get(name).delete(fn);
  }

  emit(name, ...args) {
    for (const fn of this.listeners.get(name) || []) {
      try {
        fn(...args);
      } catch (error) {
        console.error(`live listener for ${name} failed`, error); // a bad listener must not stop the feed
      }
    }
  }

  setState(state, detail = null) {
    this.state = state;
    this.emit("state", state, detail);
  }

  get url() {
    return `${this.origin}${this.path}?after=${this.lastEventId}`;
  }

  connect() {
    this.stopped = false;
    clearTimeout(this.retryTimer);
    if (this.socket && this.socket.readyState <= WebSocket.OPEN) return;
    this.synced = false;
    this.setState("connecting");
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch (error) {
      this.scheduleRetry(String(error));
      return;
    }
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.stats.connects += 1;
      this.lastFrameAt = performance.now();
      this.startPinging();
    });
    socket.addEventListener("message", (message) => {
      this.lastFrameAt = performance.now();
      let data;
      try {
        data = JSON.parse(message.data);
      } catch {
        return; // not ours
      }
      this.handle(data);
    });
    socket.addEventListener("close", (event) => {
      if (this.socket === socket) this.socket = null;
      this.stopPinging();
      if (this.stopped) {
        this.setState("closed");
      } else if (DENIED_CODES.has(event.code)) {
        this.setState("denied", event.code);
      } else {
        this.scheduleRetry(event.code);
      }
    });
  }

  handle(data) {
    switch (data.type) {
      case "event": {
        const id = Number(data.id);
        if (id) {
          if (this.seen.has(id) || (id <= this.lastEventId && !data.late)) return; // already had it
          this.remember(id);
          if (id > this.lastEventId) this.lastEventId = id;
        }
        this.stats.events += 1;
        if (!this.synced) this.stats.replayed += 1;
        this.emit(data.kind, data);
        this.emit("event", data);
        break;
      }
      case "synced":
        this.synced = true;
        if (Number(data.last_id) > this.lastEventId) this.lastEventId = Number(data.last_id);
        this.backoff = BACKOFF_START_MS;
        this.setState("live");
        this.emit("synced", data);
        break;
      case "positions":
        this.stats.positions += (data.items || []).length;
        this.emit("positions", data.items || [], data);
        break;
      case "stale":
        this.emit("stale", data.units || []);
        break;
      case "resync_required":
        this.stats.resyncs += 1;
        this.emit("resync", data);
        break;
      case "notification":
        this.emit("notification", data);
        break;
      case "pong":
        if (this.pingSentAt) this.stats.lastPingMs = Math.round(performance.now() - this.pingSentAt);
        break;
      default:
        break;
    }
  }

  remember(id) {
    this.seen.add(id);
    if (this.seen.size > 5000) {
      const oldest = [...this.seen].sort((a, b) => a - b).slice(0, 2500);
      for (const old of oldest) this.seen.delete(old);
    }
  }

  /** After a REST reload the page state is as new as `id`: resume from there. */
  advanceTo(id) {
    if (Number(id) > this.lastEventId) this.lastEventId = Number(id);
  }

  send(payload) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(payload));
      return true;
    }
    return false;
  }

  startPinging() {
    this.stopPinging();
    this.pingTimer = setInterval(() => {
      if (performance.now() - this.lastFrameAt > SILENT_LIMIT_MS) {
        this.socket?.close(4000, "silent");
        return;
      }
      this.pingSentAt = performance.now();
      this.send({ type: "ping" });
    }, PING_EVERY_MS);
  }

  stopPinging() {
    clearInterval(this.pingTimer);
    this.pingTimer = null;
  }

  scheduleRetry(reason) {
    const wait = Math.min(BACKOFF_MAX_MS, this.backoff) * (0.8 + Math.random() * 0.4);
    this.backoff = Math.min(BACKOFF_MAX_MS, this.backoff * 2);
    this.setState("retrying", { reason, inMs: Math.round(wait) });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), wait);
  }

  /** Drop the link now and come back at once (tests; the "reconnect" button). */
  reconnect() {
    this.backoff = BACKOFF_START_MS;
    if (this.socket) {
      this.socket.close(4000, "reconnect"); // the close handler schedules the retry
    } else {
      this.connect();
    }
  }

  close() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.stopPinging();
    this.socket?.close(1000, "bye");
  }
}

// The field app's outbox: every operation (acknowledgement, status change, batch of position
// fixes) gets a device id and the time the crew made it, is kept in localStorage until the
// server has answered it, and is sent in order, one at a time. Offline the outbox waits and
// is sent on reconnect with the original times; an operation resent after a lost answer is
// applied once (the server keys it by the device id and replays its first answer).

import { ApiError, post } from "../common/http.js";

const RETRY_MS = 5000;

function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export class Outbox {
  constructor({ url, storageKey, onAnswer, onChange }) {
    this.url = url;
    this.key = storageKey;
    this.onAnswer = onAnswer; // (op, httpStatus, body) for every answered operation
    this.onChange = onChange; // (pending count, online?) whenever either changes
    this.sending = false;
    this.online = navigator.onLine;
    this.items = this.load();
    window.addEventListener("online", () => { this.online = true; this.changed(); this.flush(); });
    window.addEventListener("offline", () => { this.online = false; this.changed(); });
    setInterval(() => this.flush(), RETRY_MS);
  }

  load() {
    try {
      const items = JSON.parse(localStorage.getItem(this.key) || "[]");
      return Array.isArray(items) ? items : [];
    } catch {
      return [];
    }
  }

  save() {
    localStorage.setItem(this.key, JSON.stringify(this.items));
  }

  changed() {
    this.onChange?.(this.items.length, this.online);
  }

  get pending() {
    return this.items.length;
  }

  /** Queue an operation ({type, …}); it gets its id and time now. Returns the operation. */
  add(fields) {
    const op = { id: newId(), at: new Date().toISOString(), ...fields };
    this.items.push(op);
    this.save();
    this.changed();
    this.flush();
    return op;
  }

  async flush() {
    if (this.sending || !this.items.length) return;
    this.sending = true;
    try {
      while (this.items.length) {
        const op = this.items[0];
        let status = 200;
        let body;
        try {
          body = await post(this.url, op);
        } catch (error) {
          if (!(error instanceof ApiError) || [0, 401, 403, 429].includes(error.status) || error.status >= 500) {
            // no answer (offline, server down, throttled, signed out): keep it, in order, for later
            if (!(error instanceof ApiError)) this.online = false;
            break;
          }
          status = error.status;
          body = error.body;
        }
        this.online = true;
        this.items.shift();
        this.save();
        this.onAnswer?.(op, status, body || {});
      }
    } finally {
      this.sending = false;
      this.changed();
    }
  }
}

// One progress indicator for everything that loads: 3D tiles, terrain, vector layers.

import { $ } from "./dom.js";

export class Progress {
  constructor() {
    this.box = $("#progress");
    this.fill = $("#progress-fill");
    this.text = $("#progress-text");
    this.tasks = new Map(); // key → {text, fraction}
    this.order = [];
  }

  /** Start or update a task; `fraction` in [0, 1] or null for "busy". */
  set(key, text, fraction = null) {
    if (!this.tasks.has(key)) this.order.push(key);
    this.tasks.set(key, { text, fraction });
    this.render();
  }

  done(key) {
    this.tasks.delete(key);
    this.order = this.order.filter((k) => k !== key);
    this.render();
  }

  get busy() {
    return this.tasks.size > 0;
  }

  render() {
    if (!this.tasks.size) {
      this.box.hidden = true;
      return;
    }
    const key = this.order[this.order.length - 1];
    const { text, fraction } = this.tasks.get(key);
    const extra = this.tasks.size > 1 ? ` (+${this.tasks.size - 1})` : "";
    this.box.hidden = false;
    this.text.textContent = text + extra;
    this.box.classList.toggle("indeterminate", fraction === null);
    this.fill.style.width = fraction === null ? "" : `${Math.round(Math.min(1, fraction) * 100)}%`;
  }
}

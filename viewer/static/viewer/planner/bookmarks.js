// Camera bookmarks: built-in views of the city (from the API) and the planner's own, saved in
// this browser's localStorage.

import { cameraState, flyToCamera, flyToView } from "../common/scene.js";
import { isEnglish, t } from "./i18n.js";
import { $, el } from "./ui.js";

const STORAGE_KEY = "cim.planner.bookmarks.v1";

export function loadSaved() {
  try {
    const list = JSON.parse(window.localStorage.getItem(STORAGE_KEY) || "[]");
    return Array.isArray(list) ? list.filter((b) => b && b.name && b.camera) : [];
  } catch {
    return [];
  }
}

function store(list) {
  window.localStorage.setItem(STORAGE_KEY, JSON.stringify(list));
}

export class Bookmarks {
  constructor(viewer) {
    this.viewer = viewer;
    this.list = $("#bookmark-list");
    this.builtIn = [];
    this.lastFlight = null;
    $("#bookmark-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.save($("#bookmark-name").value.trim());
      $("#bookmark-name").value = "";
    });
  }

  setBuiltIn(marks) {
    this.builtIn = marks || [];
    this.render();
  }

  save(name) {
    const saved = loadSaved();
    const label = name || t("bookmarkDefaultName", { n: saved.length + 1 });
    const camera = cameraState(this.viewer.camera);
    const existing = saved.findIndex((b) => b.name === label);
    const entry = { name: label, camera, savedAt: new Date().toISOString() };
    if (existing >= 0) saved[existing] = entry; else saved.push(entry);
    store(saved);
    this.render();
    return entry;
  }

  remove(name) {
    store(loadSaved().filter((b) => b.name !== name));
    this.render();
  }

  go(mark) {
    this.lastFlight = mark.view ? flyToView(this.viewer, mark.view) : flyToCamera(this.viewer, mark.camera);
    return this.lastFlight;
  }

  render() {
    const rows = this.builtIn.map((mark) => el("li", { dataset: { key: mark.key } },
      el("button", { type: "button", class: "go", onclick: () => this.go(mark) },
        isEnglish() ? mark.name_en || mark.name : mark.name),
      el("span", { class: "tag" }, t("builtIn"))));
    for (const mark of loadSaved()) {
      rows.push(el("li", { dataset: { saved: mark.name } },
        el("button", { type: "button", class: "go", onclick: () => this.go(mark) }, mark.name),
        el("button", { type: "button", class: "ghost", title: t("bookmarkDelete"),
          "aria-label": t("bookmarkDelete"), onclick: () => this.remove(mark.name) }, "×")));
    }
    this.list.replaceChildren(...rows);
  }
}

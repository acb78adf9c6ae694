// The console's "who is on duty now" panel: the current shift's leader, duty officers and
// dispatchers with masked phones, from /api/emergency/duty/now/ (refreshed every minute).
// Labels come translated from the API and the template; `window.cimDuty` is the test hook.
import { getJSON } from "../common/http.js";
import { el, fill } from "../common/dom.js";

const REFRESH_MS = 60000;

class DutyPanel {
  constructor(root) {
    this.root = root;
    this.url = root.dataset.url;
    this.rows = [];
    this.loaded = false;
  }

  async refresh() {
    const error = this.root.querySelector("#duty-error");
    try {
      this.rows = await getJSON(this.url);
      error.hidden = true;
    } catch {
      this.rows = [];
      error.hidden = false;
    }
    this.render();
    this.loaded = true;
  }

  render() {
    const shifts = [...new Set(this.rows.map((r) => r.shift_name))];
    this.root.querySelector("#duty-shift").textContent = shifts.join(" / ");
    this.root.querySelector("#duty-empty").hidden = this.rows.length > 0 || !this.root.querySelector("#duty-error").hidden;
    fill(this.root.querySelector("#duty-list"), this.rows.map((r) => el("li", { dataset: { position: r.position } },
      el("span", { class: `pos ${r.position}` }, r.position_label),
      el("span", { class: "nm", title: r.agency_name || "" }, r.person_name),
      el("span", { class: "ph" }, r.phone || ""))));
  }
}

const root = document.getElementById("duty-panel");
if (root) {
  const panel = new DutyPanel(root);
  window.cimDuty = panel;
  panel.refresh();
  setInterval(() => panel.refresh(), REFRESH_MS);
}

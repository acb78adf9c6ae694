// 编辑属性: planners correct a building's name, use, floors, height and year, with a reason
// (PATCH /api/cim/buildings/<id>/, audited and kept in the building's history); the server
// queues the incremental tiles build, which re-encodes the building's tile.

import { errorText, getJSON, send } from "../common/http.js";
import { config, t } from "./i18n.js";
import { $, el } from "./ui.js";

const FIELDS = { name: "ed-name", use: "ed-use", floors: "ed-floors", height: "ed-height", year_built: "ed-year" };

export class BuildingEditor {
  constructor(hooks) {
    this.hooks = hooks;
    this.form = $("#edit-form");
    this.button = $("#info-edit");
    this.id = null;
    if (!this.form || !config.canEditBuildings) return;
    $("#ed-use").replaceChildren(...Object.entries(config.useLabels).map(([value, label]) =>
      el("option", { value }, label)));
    this.button.hidden = false;
    this.button.addEventListener("click", () => this.open(this.hooks.selectedBuilding()));
    $("#ed-cancel").addEventListener("click", () => this.close());
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.save();
    });
  }

  url(id) {
    return `${config.buildingsUrl}${id}/`;
  }

  async open(id) {
    if (!id) return;
    try {
      const record = await getJSON(this.url(id));
      this.id = id;
      for (const [field, input] of Object.entries(FIELDS)) $(`#${input}`).value = record[field] ?? "";
      $("#ed-reason").value = "";
      this.form.hidden = false;
    } catch (error) {
      this.hooks.toast(errorText(error));
    }
  }

  close() {
    this.form.hidden = true;
    this.id = null;
  }

  async save() {
    const number = (input) => ($(`#${input}`).value === "" ? null : Number($(`#${input}`).value));
    const body = {
      name: $("#ed-name").value, use: $("#ed-use").value, floors: number("ed-floors"),
      height: number("ed-height"), year_built: number("ed-year"), reason: $("#ed-reason").value,
    };
    try {
      await send("PATCH", this.url(this.id), body);
      this.hooks.toast(t("edSaved"), { kind: "info", ms: 5000 });
      this.close();
    } catch (error) {
      this.hooks.toast(errorText(error));
    }
  }
}

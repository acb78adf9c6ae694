// DOM helpers of the console's panels (the element builder and queries are the shared ones).
import { el, messageBox } from "../common/dom.js";

export { $, $$, debounce, el, fill } from "../common/dom.js";

/** A short message at the bottom of the screen (errors red, success green, information blue). */
export const notify = messageBox("#ops-toast", "ops-toast");

/** Run `job` with the button disabled and marked busy; returns the job's result. */
export async function busy(button, job) {
  if (!button) return job();
  button.disabled = true;
  button.classList.add("busy");
  try {
    return await job();
  } finally {
    button.disabled = false;
    button.classList.remove("busy");
  }
}

/** A <select> of `choices` ({value: label}). */
export function select(name, choices, selected = null, attrs = {}) {
  return el("select", { name, ...attrs },
    Object.entries(choices).map(([value, text]) => el("option", { value, selected: value === selected }, text)));
}

/** A section heading with optional buttons on the right. */
export function heading(text, ...buttons) {
  return el("div", { class: "sec-head" }, el("h3", {}, text), el("span", { class: "sec-tools" }, ...buttons));
}

export function kv(rows) {
  return el("dl", { class: "kv" }, rows.filter(Boolean).flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v ?? "—")]));
}

/** A placeholder that shows work in progress inside a panel. */
export const loading = (text) => el("div", { class: "loading" }, el("i", { class: "spinner" }), text);

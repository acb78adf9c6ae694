// DOM helpers of the operations pages (element builder and queries from the planner's ui.js).
import { $, $$, debounce, el } from "../planner/ui.js";

export { $, $$, debounce, el };

let toastTimer = null;

/** A short message at the bottom of the screen (errors red, success green, information blue). */
export function notify(message, { kind = "error", ms = 6000 } = {}) {
  const box = $("#ops-toast");
  if (!box) return;
  box.textContent = message;
  box.className = `ops-toast ${kind}`;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, ms);
}

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

/** Replace a node's children, leaving out null/false/undefined (conditional parts). */
export function fill(node, ...children) {
  node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

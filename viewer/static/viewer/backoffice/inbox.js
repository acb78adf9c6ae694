// The department inbox (联动任务) live: a new task, an escalation or any in-app message for the
// user arrives on /ws/notify/ and the task list, the counts and the messages are read again from
// the page itself (the server renders them), without a reload. A form being filled in is not
// swept away: the refresh waits until the focus leaves it, and what was typed is kept.

import { $ } from "../common/dom.js";
import { LiveClient } from "../common/live.js";

const config = JSON.parse($("#inbox-config").textContent);
const PARTS = ["#inbox-stats", "#inbox-tasks", "#inbox-messages", "#inbox-empty-slot"];
let pending = false;
let refreshes = 0;

function editing() {
  const active = document.activeElement;
  return Boolean(active && active.closest("#inbox-tasks form") && active.matches("input, textarea, select"));
}

async function refresh() {
  if (editing()) {
    pending = true;
    return;
  }
  pending = false;
  const response = await fetch(window.location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } });
  if (!response.ok) return;
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
  // what was typed and not yet sent stays (by task and field)
  const typed = [...document.querySelectorAll("#inbox-tasks li[id] input[name]")]
    .filter((input) => input.value !== input.defaultValue)
    .map((input) => [input.closest("li[id]").id, input.name, input.value]);
  for (const selector of PARTS) {
    const now = $(selector);
    const next = fresh.querySelector(selector);
    if (now && next) now.replaceWith(document.importNode(next, true));
  }
  for (const [task, name, value] of typed) {
    const input = document.querySelector(`#${task} input[name="${name}"]`);
    if (input) input.value = value;
  }
  refreshes += 1;
}

document.addEventListener("focusout", () => {
  setTimeout(() => { if (pending) refresh(); }, 0);
});

const live = new LiveClient({ wsBase: config.wsUrl, path: config.wsPath });
let first = true;
live.on("notification", () => refresh());
live.on("synced", () => {
  if (!first) refresh(); // back after a drop: what came meanwhile
  first = false;
});
live.connect();

// the page's test hook
window.inboxApp = { live, refresh, get refreshes() { return refreshes; } };

// Assignments the crew has not acknowledged on its field device: after the configured time
// (EMERGENCY["FIELD_ACK_TIMEOUT_S"]) they turn red, in the dispatch table and in a banner
// over the map, until the acknowledgement arrives (the "assignment.acknowledged" event).

import { config, t } from "./i18n.js";

function overdueSeconds(assignedAt, now) {
  const waited = (now - Date.parse(assignedAt)) / 1000;
  return waited > config.fieldAckTimeoutS ? Math.floor(waited) : 0;
}

/** Mark overdue assignments; `assignments` are the console's active ones. */
export function markUnacknowledged(assignments) {
  const now = Date.now();
  const late = assignments.filter((a) => a.active && !a.acknowledged_at && overdueSeconds(a.assigned_at, now));
  let banner = document.getElementById("ack-overdue");
  if (!banner) {
    banner = document.createElement("div");
    banner.id = "ack-overdue";
    banner.className = "ack-overdue-banner";
    banner.setAttribute("role", "alert");
    document.querySelector(".console-centre")?.append(banner);
  }
  banner.hidden = !late.length;
  banner.textContent = late.length ? t("ackOverdueBanner", { units: late.map((a) => `${a.unit_code}（${a.incident_number || a.incident}）`).join("、") }) : "";
  for (const cell of document.querySelectorAll(".ack-cell[data-assigned-at]")) {
    const s = overdueSeconds(cell.dataset.assignedAt, now);
    cell.classList.toggle("ack-overdue", Boolean(s));
    cell.textContent = s ? t("ackOverdue", { s }) : t("ackWaiting");
  }
}

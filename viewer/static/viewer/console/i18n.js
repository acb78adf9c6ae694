// UI strings (rendered by the Django view in the active language) and the page configuration
// of the operations pages; the console and the dashboard each put theirs in the page as
// #ops-config and #ops-i18n.
const catalogue = JSON.parse(document.getElementById("ops-i18n").textContent);

export const config = JSON.parse(document.getElementById("ops-config").textContent);
export const labels = config.labels || {};

/** The translated string for `key`, with `{name}` placeholders filled from `params`. */
export function t(key, params = {}) {
  let text = catalogue[key] ?? key;
  for (const [name, value] of Object.entries(params)) text = text.replaceAll(`{${name}}`, String(value));
  return text;
}

export const isEnglish = () => (config.language || "").startsWith("en");

/** The display label of a choice value (`label("unitStatus", "en_route")`). */
export function label(group, value) {
  return (labels[group] && labels[group][value]) || value || "";
}

const locale = () => (isEnglish() ? "en-GB" : "zh-CN");

export const fmtInt = (value) => new Intl.NumberFormat(locale()).format(Math.round(value));

/** "3 分 20 秒" / "3 min 20 s"; null → "—". */
export function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined || !Number.isFinite(Number(seconds))) return "—";
  const s = Math.max(0, Math.round(Number(seconds)));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  if (h) return t("durationHM", { h, m });
  if (m) return t("durationMS", { m, s: rest });
  return t("durationS", { s: rest });
}

/** Beijing time of an ISO timestamp: "14:03:22" today, "11-26 14:03" otherwise. */
export function fmtTime(iso, { seconds = true } = {}) {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "—";
  const options = { timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  if (seconds) options.second = "2-digit";
  const today = new Date().toLocaleDateString("en-CA", { timeZone: "Asia/Shanghai" });
  const day = date.toLocaleDateString("en-CA", { timeZone: "Asia/Shanghai" });
  const time = date.toLocaleTimeString(locale(), options);
  return day === today ? time : `${day.slice(5)} ${time}`;
}

export function fmtDistance(metres) {
  if (metres === null || metres === undefined) return "—";
  return metres >= 1000 ? t("km", { v: (metres / 1000).toFixed(1) }) : t("m", { v: Math.round(metres) });
}

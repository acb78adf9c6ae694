// Translation and formatting for every page.  Nothing here reads the page: each page reads its
// own configuration and strings (readJSON) and builds its translator with createI18n, then
// hands shared modules what they need explicitly.

/** The JSON a Django view embedded with `json_script` under `id` (null when absent). */
export function readJSON(id) {
  const node = document.getElementById(id);
  return node ? JSON.parse(node.textContent) : null;
}

/**
 * The translator of one page: `catalogue` (key → string in the active language), `language`
 * ("zh-hans", "en", …) and `labels` (choice group → {value: label}).
 */
export function createI18n({ catalogue = {}, language = "", labels = {} } = {}) {
  const english = (language || "").startsWith("en");
  const locale = english ? "en-GB" : "zh-CN";

  /** The translated string for `key`, with `{name}` placeholders filled from `params`. */
  function t(key, params = {}) {
    let text = catalogue[key] ?? key;
    for (const [name, value] of Object.entries(params)) text = text.replaceAll(`{${name}}`, String(value));
    return text;
  }

  /** The display label of a choice value (`label("unitStatus", "en_route")`). */
  const label = (group, value) => (labels[group] && labels[group][value]) || value || "";

  /** The right-language name of a record that carries `name` and maybe `name_en`. */
  function localName(record) {
    if (english && record.name_en) return record.name_en;
    return record.name || record.name_en || "";
  }

  const fmt = (value, digits = 1) => new Intl.NumberFormat(locale, { maximumFractionDigits: digits }).format(value);
  const fmtInt = (value) => new Intl.NumberFormat(locale).format(Math.round(value));

  /** "3 分 20 秒" / "3 min 20 s"; null → "—". */
  function fmtDuration(seconds) {
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
  function fmtTime(iso, { seconds = true } = {}) {
    if (!iso) return "—";
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return "—";
    const options = { timeZone: "Asia/Shanghai", hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    if (seconds) options.second = "2-digit";
    const today = new Date().toLocaleDateString("en-CA", { timeZone: "Asia/Shanghai" });
    const day = date.toLocaleDateString("en-CA", { timeZone: "Asia/Shanghai" });
    const time = date.toLocaleTimeString(locale, options);
    return day === today ? time : `${day.slice(5)} ${time}`;
  }

  function fmtDistance(metres) {
    if (metres === null || metres === undefined) return "—";
    return metres >= 1000 ? t("km", { v: (metres / 1000).toFixed(1) }) : t("m", { v: Math.round(metres) });
  }

  return {
    language, english, isEnglish: () => english, labels,
    t, label, localName, fmt, fmtInt, fmtDuration, fmtTime, fmtDistance,
  };
}

// UI strings rendered by the Django view in the active language, and the page's configuration.
const catalogue = JSON.parse(document.getElementById("planner-i18n").textContent);

export const config = JSON.parse(document.getElementById("planner-config").textContent);

/** The translated string for `key`, with `{name}` placeholders filled from `params`. */
export function t(key, params = {}) {
  let text = catalogue[key] ?? key;
  for (const [name, value] of Object.entries(params)) {
    text = text.replaceAll(`{${name}}`, String(value));
  }
  return text;
}

export const isEnglish = () => (config.language || "").startsWith("en");

/** Pick the right-language name of a record that carries `name` and maybe `name_en`. */
export function localName(record) {
  if (isEnglish() && record.name_en) return record.name_en;
  return record.name || record.name_en || "";
}

const numberFormat = new Intl.NumberFormat(isEnglish() ? "en" : "zh-CN", { maximumFractionDigits: 1 });

export const fmt = (value, digits = 1) =>
  new Intl.NumberFormat(isEnglish() ? "en" : "zh-CN", { maximumFractionDigits: digits }).format(value);

export const fmtInt = (value) => numberFormat.format(Math.round(value));

// The console page's configuration and UI strings (#console-config, #console-i18n, rendered
// by the Django view in the active language).
import { createI18n, readJSON } from "../common/i18n.js";

export const config = readJSON("console-config");
export const labels = config.labels || {};

export const i18n = createI18n({ catalogue: readJSON("console-i18n"), language: config.language, labels });

export const { t, label, isEnglish, fmtInt, fmtDuration, fmtTime, fmtDistance } = i18n;

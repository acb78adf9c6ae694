// The dashboard page's configuration and UI strings (#dashboard-config, #dashboard-i18n,
// rendered by the Django view in the active language).
import { createI18n, readJSON } from "../common/i18n.js";

export const config = readJSON("dashboard-config");

export const i18n = createI18n({ catalogue: readJSON("dashboard-i18n"), language: config.language, labels: config.labels || {} });

export const { t, label, isEnglish, fmtInt, fmtDuration, fmtTime } = i18n;

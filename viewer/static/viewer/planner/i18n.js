// The planner page's configuration and UI strings (#planner-config, #planner-i18n, rendered by
// the Django view in the active language).
import { createI18n, readJSON } from "../common/i18n.js";

export const config = readJSON("planner-config");

export const i18n = createI18n({ catalogue: readJSON("planner-i18n"), language: config.language });

export const { t, isEnglish, localName, fmt, fmtInt } = i18n;

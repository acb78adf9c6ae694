// ESLint (flat config) for the pages' own JavaScript: browser ES modules, no bundler.
// Run from the repository root: scripts/lint.sh (or viewer/node_modules/.bin/eslint
// --config viewer/eslint.config.js viewer/static).  Cesium is a classic-script global: each
// module that uses it says so with `/* global Cesium */`.
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["node_modules/**", "static/vendor/**", "**/*.min.js", "**/*.min.mjs"] },
  js.configs.recommended,
  {
    files: ["static/**/*.js", "static/**/*.mjs"],
    languageOptions: {
      ecmaVersion: 2024,
      sourceType: "module",
      globals: { ...globals.browser },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "no-unused-vars": ["error", { args: "after-used", argsIgnorePattern: "^_", caughtErrors: "none" }],
      "no-var": "error",
      "prefer-const": ["error", { destructuring: "all" }],
      eqeqeq: ["error", "smart"],
      "no-shadow": ["error", { builtinGlobals: false }],
      "no-implicit-globals": "error",
      "no-use-before-define": ["error", { functions: false, classes: true, variables: true }],
      "object-shorthand": ["error", "properties"],
    },
  },
  {
    files: ["eslint.config.js"],
    languageOptions: { ecmaVersion: 2024, sourceType: "module" },
  },
];

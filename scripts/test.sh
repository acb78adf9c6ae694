#!/usr/bin/env bash
# Run the linters, then the whole suite: unit, database and API tests first, then the browser tests
# (one Playwright per process, after everything else; see RECIPES.md): two processes by default, a
# module's tests on one of them (CIM_BROWSER_WORKERS=0 for one process).
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE=config.settings.test
# Lint first (ruff, ESLint): a finding fails the run like a failing test.
scripts/lint.sh
# Unit, database and API tests on every core (pytest-xdist; one test database and one Redis
# namespace per worker, a module's tests on one worker); CIM_TEST_WORKERS=0 for one process.
.venv/bin/python -m pytest -m "not browser" -n "${CIM_TEST_WORKERS:-auto}" --dist loadfile "$@"
if [ -z "${SKIP_BROWSER_TESTS:-}" ]; then
  rc=0
  .venv/bin/python -m pytest -m browser -n "${CIM_BROWSER_WORKERS:-2}" --dist loadfile "$@" || rc=$?
  # 5 = no browser test selected (e.g. a -k filter that matched none)
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 5 ]; then exit "$rc"; fi
fi

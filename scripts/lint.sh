#!/usr/bin/env bash
# Lint the Python (ruff) and the pages' JavaScript (ESLint, viewer/eslint.config.js).
# Fails on any finding.  ESLint comes from viewer/package.json (devDependencies) and is
# installed with the other browser libraries by scripts/setup.sh (npm ci, offline after that).
set -uo pipefail
cd "$(dirname "$0")/.."
rc=0

if [ -x .venv/bin/ruff ]; then
  echo "ruff check ."
  .venv/bin/ruff check . || rc=1
else
  echo "lint: .venv/bin/ruff is missing: run scripts/setup.sh test (requirements-dev.lock)" >&2
  rc=1
fi

if [ -x viewer/node_modules/.bin/eslint ]; then
  echo "eslint viewer/static"
  # Run from viewer/ so that ESLint finds viewer/eslint.config.js and resolves its imports
  # (@eslint/js, globals) from viewer/node_modules.
  (cd viewer && node_modules/.bin/eslint --max-warnings 0 static) || rc=1
else
  echo "lint: viewer/node_modules/.bin/eslint is missing: run scripts/setup.sh (npm ci in viewer/)" >&2
  rc=1
fi

exit "$rc"

# Tianshui CIM platform: the two commands of the quick start are `make demo` and `make test`.
SHELL := /bin/bash
PY := .venv/bin/python

.PHONY: demo test test-deploy setup setup-test serve bench lint clean-demo

demo: ## install what is missing, build and load the demo city, serve on http://127.0.0.1:8000
	scripts/setup.sh demo
	scripts/demo.sh

test: ## install what is missing and run the whole test suite
	scripts/setup.sh test
	scripts/test.sh

test-deploy: ## the deployment tests only: nginx + 2 gunicorn + 2 ASGI over HTTPS, backups (also in make test)
	scripts/setup.sh test
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) -m pytest tests/deploy tests/test_deployment.py -m "not browser"

setup:
	scripts/setup.sh demo

serve: ## serve without rebuilding anything
	scripts/serve.sh

bench: ## run every benchmark and print the figures for docs/benchmarks.md
	scripts/bench_all.sh

lint: ## ruff and ESLint (also run first by make test)
	scripts/lint.sh

# The two commands of the README. Both create .venv with a Python >= 3.12 (scripts/venv.sh).
SCENARIO ?= scenarios/baseline.toml
OUT ?= results/baseline
LANG_ARG ?= zh
PYTEST_ARGS ?=

.PHONY: run test venv dashboard

venv:
	@scripts/venv.sh >/dev/null

run: venv
	.venv/bin/iursim run $(SCENARIO) --out $(OUT) --lang $(LANG_ARG)

test: venv
	.venv/bin/python -m pytest $(PYTEST_ARGS)

# The Solara dashboard on http://127.0.0.1:8765 (offline assets, no telemetry).
dashboard: venv
	.venv/bin/python -m iursim.dashboard

# Two commands do all the set-up (see README): `make run` and `make test`.
PY := .venv/bin/python
ARGS ?=

.PHONY: run test test-all venv clean

venv:
	@bash scripts/ensure-venv.sh

run: venv
	$(PY) -m sim.report $(ARGS)

test: venv
	$(PY) -m pytest -q $(ARGS)

test-all: venv
	$(PY) -m pytest -q -m "slow or not slow" $(ARGS)

clean:
	rm -rf .venv outputs multirun

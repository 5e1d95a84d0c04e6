# `make run` runs the default tournament, `make test` the tests; both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test test-all test-repeat bench docs clean

$(STAMP): pyproject.toml constraints-cpu.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints-cpu.txt -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	WANDB_MODE=$${WANDB_MODE:-offline} $(PY) -m arena $(ARGS)

test: $(STAMP)
	WANDB_MODE=offline $(PY) -m pytest -m "not slow" -q $(ARGS)

# the default suite N times, beside LOAD busy processes pinned to the cores (.ci/repeat)
N ?= 5
LOAD ?= 0
test-repeat: $(STAMP)
	N=$(N) LOAD=$(LOAD) bash .ci/repeat

test-all: $(STAMP)
	WANDB_MODE=offline $(PY) -m pytest -q $(ARGS)

bench: $(STAMP)
	$(PY) benchmarks/population.py $(ARGS)

docs: $(STAMP)
	$(PY) -m mkdocs build --strict $(ARGS)

clean:
	rm -rf $(VENV) outputs multirun

# `make run` runs the default tournament, `make test` the tests; both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test test-all test-repeat lint typecheck bench docs clean wheelhouse install-offline

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

lint: $(STAMP)
	$(PY) -m ruff check arena attackers defenders

# mypy over arena/, attackers/ and defenders/ ([tool.mypy] in pyproject.toml)
typecheck: $(STAMP)
	$(PY) -m mypy

test-all: $(STAMP)
	WANDB_MODE=offline $(PY) -m pytest -q $(ARGS)

bench: $(STAMP)
	$(PY) benchmarks/population.py $(ARGS)

docs: $(STAMP)
	$(PY) -m mkdocs build --strict $(ARGS)

# Air-gapped GPU nodes: `make wheelhouse` (here, online) writes every wheel the arena needs beyond
# torch; `make install-offline` (there) installs from it with no index. WHEEL_PYTHON is the target's
# Python; WHEEL_SKIP names packages the target already has (GPU images with torch carry both).
WHEELHOUSE ?= wheelhouse
WHEEL_PYTHON ?= 3.12
WHEEL_SKIP ?= numpy scipy

wheelhouse: $(STAMP)
	$(PY) .ci/wheelhouse.py --out $(WHEELHOUSE) --python-version $(WHEEL_PYTHON) --skip $(WHEEL_SKIP)

install-offline:
	$(PYTHON) -m pip install --no-index --find-links $(WHEELHOUSE) -r $(WHEELHOUSE)/requirements.txt

clean:
	rm -rf $(VENV) outputs multirun

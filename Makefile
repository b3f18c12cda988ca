# Ailurus developer entry points. `make run` and `make test` work on a fresh machine.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATA_DIR ?= $(CURDIR)/.ailurus-data

.PHONY: install run test lint fuzz sim cluster image bench clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/ailurus --dev --data-dir $(DATA_DIR) \
		--pandaproxy-addr 127.0.0.1:8082 --schema-registry-addr 127.0.0.1:8081

lint: install
	$(BIN)/lint-imports
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Parallel workers (pytest-xdist); each worker starts its own brokers on ephemeral ports.
# --dist loadfile keeps a module's tests on one worker, so a module-scoped broker is started
# once and tests that build on each other's state stay in order.
TEST_WORKERS ?= 3
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider

test: lint
	$(PYTEST) -q -n $(TEST_WORKERS) --dist loadfile --durations=15 tests

# The fuzz suite at length (make test runs it bounded to about a minute). A failure prints
# FUZZ_SEED=N: rerun with that variable set to replay it.
FUZZ_EXAMPLES ?= 5000
fuzz: install
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PYTEST) -q -s tests/fuzz

# The seeded Raft and group-coordinator simulations at length (make test runs 200 seeds).
# A failure prints SIM_SEED=N: rerun with that variable set to replay it.
SIM_SEEDS ?= 5000
sim: install
	SIM_SEEDS=$(SIM_SEEDS) $(PYTEST) -q tests/sim

# The multi-process cluster tests alone (make test runs them too): kill -9, SIGSTOP and link
# cuts under idempotent producers and a consumer group, checked by tests/support/jepsen.py.
cluster: install
	$(PYTEST) -q -m cluster -n $(TEST_WORKERS) --dist loadfile tests

# The image `rpk container start` runs (built on first use when missing; this rebuilds it).
image: install
	$(BIN)/python -m cli.container.image

bench: install
	$(BIN)/python -m bench
	$(BIN)/python -m bench.proxy_load
	$(BIN)/python -m bench.startup
	$(BIN)/python -m bench.registry_load
	$(BIN)/python -m bench.raft_heartbeat
	$(BIN)/python -m bench.cluster_load
	$(BIN)/python -m bench.cluster_idle
	$(BIN)/python -m bench.move_load
	$(BIN)/python -m bench.container_start
	$(BIN)/python -m bench.security_load
	$(BIN)/python -m bench.txn_load
	$(BIN)/python -m bench.txn_fetch
	$(BIN)/python -m bench.maintenance_drain
	$(BIN)/python -m bench.failover

clean:
	rm -rf $(VENV) $(DATA_DIR) *.egg-info

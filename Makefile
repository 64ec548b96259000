# Set-up and everyday commands. `make demo` and `make test` each install everything first.
PYTHON ?= python3
PIP := $(PYTHON) -m pip
SUBMISSIONS := $(wildcard examples/submissions/tp-attention/*.ipynb)

.PHONY: install demo test lint

install:
	@if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && apt-get install -y -qq bubblewrap libseccomp2 util-linux chromium >/dev/null; \
	else echo "note: not root with apt-get: install bubblewrap yourself for the sandbox"; fi
	$(PIP) install -q torch==2.13.0  # first: a CPU build; a later range must not pull CUDA
	$(PIP) install -q -e '.[dev]'

# Grades the bundled class; grader exits 1 because some students fail checks, as they should.
demo: install
	grader grade assignments/tp-attention $(SUBMISSIONS) --out out/demo || [ $$? -eq 1 ]
	@echo "open out/demo/summary.html and out/demo/reports/<student>.html"

lint:
	ruff check grader tests benchmarks
	ruff format --check grader tests benchmarks
	mypy grader

test: install lint
	$(PYTHON) -m pytest

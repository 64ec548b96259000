# Set-up and everyday commands. `make demo` and `make test` each install what they need first.
PYTHON ?= python3
PIP := $(PYTHON) -m pip
SUBMISSIONS := $(wildcard examples/submissions/tp-attention/*.ipynb)
# Another apt (unattended-upgrades, a provisioning script) may hold the dpkg lock: wait for it,
# five minutes at most, rather than fail at once.
APT := apt-get -o DPkg::Lock::Timeout=300 -o Acquire::Retries=3
DEMO_PACKAGES := bubblewrap libseccomp2 util-linux
TEST_PACKAGES := $(DEMO_PACKAGES) chromium

.PHONY: install install-demo demo test lint

# What grading needs: the sandbox's packages, the CPU build of torch, grader.
install-demo:
	$(call apt_install,$(DEMO_PACKAGES))
	$(PIP) install -q torch==2.13.0  # first: a CPU build; a later range must not pull CUDA
	$(PIP) install -q -e '.[instructor]'  # every extra: the demo grades a class in the sandbox

# What the tests need besides: Chromium (the reports are opened in it) and the dev tools.
install:
	$(call apt_install,$(TEST_PACKAGES))
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[dev]'

define apt_install
	@if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
		$(APT) update -qq && $(APT) install -y -qq $(1) >/dev/null; \
	else echo "note: not root with apt-get: install $(1) yourself"; fi
endef

# Grades the bundled class; grader exits 1 because some students fail checks, as they should.
demo: install-demo
	grader grade assignments/tp-attention $(SUBMISSIONS) --out out/demo || [ $$? -eq 1 ]
	@echo "open out/demo/summary.html and out/demo/reports/<student>.html"

lint:
	ruff check grader tests benchmarks
	ruff format --check grader tests benchmarks
	mypy grader

# Two workers, whole test files each (a module's graded class is built once): a kernel's start
# keeps one core busy and leaves the other idle. CI's time: benchmarks/README.md.
# PYTEST_ARGS: more of pytest's options (.ci/run leaves out what it runs from a clone instead).
PYTEST_ARGS ?=
test: install lint
	$(PYTHON) -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

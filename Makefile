# The course's commands. Everything runs from this folder, in .venv, with the
# exact versions of requirements.lock.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: setup sandbox browser release demo report test bench clean

setup: $(STAMP) sandbox

$(STAMP): requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements.lock
	touch $@

# bubblewrap is the sandbox; Debian's package. Installed here when missing
# (as root, as CI runs), otherwise the command to run is printed.
sandbox:
	@command -v bwrap >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get install -y -qq bubblewrap || (apt-get update -qq && apt-get install -y -qq bubblewrap)) >/dev/null; \
	  else echo "bubblewrap is missing: sudo apt-get install bubblewrap" >&2; exit 1; fi; }
	@bwrap --ro-bind / / --unshare-net --unshare-pid --dev /dev --proc /proc true || \
	  { echo "bubblewrap cannot create namespaces on this machine" >&2; exit 1; }

# Headless Chromium (Debian's chromium) loads feedback pages in the tests, to
# check that no student script runs in them. Installed like bubblewrap.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get install -y -qq chromium || (apt-get update -qq && apt-get install -y -qq chromium)) >/dev/null; \
	  else echo "chromium is missing: sudo apt-get install chromium" >&2; exit 1; fi; }

# Regenerate the student release (assignments/conv2d) from source/.
release: setup
	nbgrader generate_assignment conv2d --force

# Build the demo class into submitted/, grade it, write feedback, grades.csv,
# grades_by_part.csv and the report (DEMO_ARGS=--zip: collect it from an LMS zip).
DEMO_ARGS ?= --zip
demo: setup
	$(VENV)/bin/python -m autograder.demo $(DEMO_ARGS)

# The instructor report of what has been autograded: reports/conv2d.html.
report: setup
	$(VENV)/bin/python -m autograder.report

# Two workers (one per core); each test module stays on one worker, so a module's
# graded class is built once. Every sandbox has its own uid, so they do not share limits.
PYTEST_ARGS ?= -n 2 --dist loadfile
test: setup browser
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS) tests

bench: setup
	$(VENV)/bin/python -m autograder.bench $(BENCH_ARGS)

clean:
	rm -rf submitted autograded feedback downloaded reports gradebook.db grades.csv grades_by_part.csv .nbgrader.log .autograder-cache

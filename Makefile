# Two commands on a fresh machine: `make demo` and `make test`. Both set everything up.
VENV   ?= .venv
PYTHON ?= python3
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.installed

.PHONY: install system-deps demo test lint bench clean

$(STAMP): pyproject.toml setup.py monitor/text/_fold.c  # the C module is built by the install
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Debian's chromium (browser tests) and PostgreSQL (store tests on a real server).
system-deps:
	@scripts/install-system-deps.sh

demo: install
	$(PY) scripts/demo.py

test: install system-deps
	$(VENV)/bin/pytest -q -p no:cacheprovider -n 2 --dist loadfile --durations=15

lint: install
	$(VENV)/bin/ruff check monitor spiders tests bench scripts
	$(VENV)/bin/mypy monitor spiders

bench: install
	for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) data .pytest_cache

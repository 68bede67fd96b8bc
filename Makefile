# The two commands of the README: `make run` and `make test`.
VENV := .venv
PYTHON := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test lint

$(VENV)/.installed: requirements.txt
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.test-installed: $(VENV)/.installed requirements-test.txt
	$(PYTHON) -m pip install -q --disable-pip-version-check -r requirements-test.txt
	touch $@

run: $(VENV)/.installed
	$(PYTHON) -m data_layer init
	$(PYTHON) -m data_layer sample --if-empty
	$(VENV)/bin/streamlit run app.py --server.port $(PORT) --server.headless true

lint: $(VENV)/.test-installed
	$(VENV)/bin/ruff check .

test: lint
	$(VENV)/bin/pytest

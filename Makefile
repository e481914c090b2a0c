# The two commands of the course (see README.md):
#   make book   builds the website into _build/html (creates .venv and installs into it if needed)
#   make test   runs every test: pytest over tests/, coursekit's doctests, nbval over every chapter
#               notebook (then the notebooks again with one thread), the homework autograder checks and
#               the browser tests of the built site
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard book/*.ipynb book/0*/*.ipynb))
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg --nbval-cell-timeout=1200

.PHONY: book test unit notebooks homework bench clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -r requirements.txt
	$(BIN)/python -m pip install --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build . -W --keep-going
	@echo "The website is built: open $(CURDIR)/_build/html/index.html in a browser."

test: book
	$(BIN)/python -m pytest -n 2 --dist loadfile tests coursekit $(NBVAL) $(NOTEBOOKS)
	@echo "Notebooks again with one thread: an output that depends on the summation order fails here too."
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -n 2 --dist loadfile $(NBVAL) $(NOTEBOOKS)

unit: $(STAMP)
	$(BIN)/python -m pytest -n 2 tests coursekit

notebooks: $(STAMP)
	$(BIN)/python -m pytest $(NBVAL) $(NOTEBOOKS)

homework: $(STAMP)
	$(BIN)/python -m homework build

bench: $(STAMP)
	$(BIN)/python -m coursekit.bench

clean:
	rm -rf _build

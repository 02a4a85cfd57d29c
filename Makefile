# Build and test the book.  `make book` and `make test` are the two commands;
# the rest are helpers.  Everything runs inside .venv, created on first use.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
JB     := $(VENV)/bin/jupyter-book
# Re-install only when the pins or the package metadata change.
STAMP  := $(VENV)/.requirements-installed

HTML_INDEX := _build/html/index.html
# Notebooks run with the inline backend, as a reader's would, both when they
# are re-executed (make notebooks) and when nbval re-computes them.
KERNEL_ENV := env -u MPLBACKEND
NBVAL_ARGS := --nbval --nbval-current-env --nbval-cell-timeout=600 \
              --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: help env book test portable notebooks student ipyw7 bench clean distclean

help:
	@echo "make book       build the HTML book (notebooks executed and cached)"
	@echo "make test       run every test: unit, nbval over chapters/, book build, browser, portability"
	@echo "make portable   only the portability check: nbval (and unit tests) as other CPUs compute"
	@echo "make notebooks  re-execute every chapter notebook in place (fresh kernel); NB=path for one"
	@echo "make student    write student copies of the notebooks, solutions removed, to _build/student/"
	@echo "make jupyter    the reader and student editions (plain Jupyter notebooks) to _build/jupyter/"
	@echo "                and to jupyter/reader/, jupyter/student/ (what Binder and Colab open)"
	@echo "make pdf        the whole book as one PDF, _build/latex/adam-and-its-variants.pdf"
	@echo "make bench      run benchmarks/run_all.py if present"
	@echo "make clean      remove _build and caches (keeps .venv); distclean also removes .venv"

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): requirements.txt pyproject.toml | $(PY)
	$(PY) -m pip install --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --disable-pip-version-check --no-deps -e .
	touch $@

env: $(STAMP)

# The live JupyterLab test's pins (tests/requirements-live.txt), added to .venv for make
# test only: requirements.txt, which Binder reads, stays without them.
LIVE_STAMP := $(VENV)/.live-requirements-installed
$(LIVE_STAMP): tests/requirements-live.txt $(STAMP)
	$(PY) -m pip install --disable-pip-version-check -r tests/requirements-live.txt
	touch $@

# A throwaway environment with ipywidgets 7.7 (what Colab ships): tests/test_ipywidgets7.py
# builds every explorer and exercise widget in it, so make test checks 7.7 and 8.
IPYW7 := .venv-ipyw7
$(IPYW7)/.installed:
	$(PYTHON) -m venv $(IPYW7)
	$(IPYW7)/bin/pip install --disable-pip-version-check "ipywidgets==7.7.*" numpy matplotlib
	touch $@
ipyw7: $(IPYW7)/.installed

# Student copies: the student edition of tools/jupyter_edition.py (MyST resolved as the
# HTML shows it; solution cells, {solution} blocks and what lies between
# {solution-start} and {solution-end} removed; outputs cleared).
student: $(STAMP)
	$(PY) tools/make_student.py --out _build/student

# The Jupyter editions: every chapter notebook as a plain notebook that JupyterLab,
# Notebook 7 and Colab show as the HTML book does (glued numbers, equation, figure and
# exercise numbers, citations), from the executed notebooks and the Sphinx environment
# of the last build (made without executing when missing or older than a source).
# reader: outputs kept, solutions folded; student: no solutions, no outputs. Both go to
# _build/jupyter/ and to the committed jupyter/ (tests/test_editions.py keeps them equal).
.PHONY: jupyter
jupyter: $(STAMP)
	rm -rf _build/jupyter/reader _build/jupyter/student
	$(PY) tools/jupyter_edition.py --edition reader --out _build/jupyter/reader --quiet
	$(PY) tools/jupyter_edition.py --edition student --out _build/jupyter/student --quiet
	rm -rf jupyter/reader jupyter/student
	mkdir -p jupyter
	cp -r _build/jupyter/reader _build/jupyter/student jupyter/
	@echo "Jupyter editions: jupyter/reader/ and jupyter/student/ (also in _build/jupyter/)"

book: $(STAMP)
	$(JB) build . --builder html
	@echo
	@echo "Open the book:  file://$(CURDIR)/$(HTML_INDEX)"

# The PDF edition: the whole book as one PDF, _build/latex/adam-and-its-variants.pdf,
# built offline from the notebooks' stored outputs by Jupyter Book's LaTeX builder and
# XeLaTeX through latexmk (_ext/pdf_build.py; about a minute). Debian's TeX Live
# packages (about 400 MB installed) are installed first when missing: with apt-get as
# root, otherwise the command is printed. Elsewhere TeX Live must be there already.
PDF_DEBS := texlive-xetex texlive-latex-extra texlive-fonts-recommended fonts-freefont-otf \
            latexmk xindy poppler-utils
.PHONY: pdf pdf-deps
pdf: pdf-deps $(STAMP)
	$(PY) _ext/pdf_build.py

# The TeX Live packages alone (.ci/run calls this too, so the list is written once).
pdf-deps:
	@if command -v dpkg-query >/dev/null 2>&1; then \
	  missing=$$(for p in $(PDF_DEBS); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	  if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ]; then \
	    echo "+ apt-get install -y --no-install-recommends" $$missing; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -q --no-install-recommends $$missing || exit 1; \
	  elif [ -n "$$missing" ]; then \
	    echo "make pdf needs:" sudo apt-get install -y --no-install-recommends $$missing; exit 1; \
	  fi; \
	fi

# Three steps: pytest over tests/ (unit, parity, book build with -W, browser);
# strict nbval over every chapter notebook in a process of its own, so nothing
# a test module puts in os.environ (MPLBACKEND=Agg, say) reaches the notebook
# kernels; and the portability check (below). All always run; the target fails
# if any does. PORTABLE=0 skips the portability check.
PORTABLE ?= 1
test: $(STAMP) $(IPYW7)/.installed $(LIVE_STAMP)
	@status=0; \
	echo "+ $(PY) -m pytest tests"; \
	CC_REQUIRE_IPYW7=1 CC_IPYW7=$(abspath $(IPYW7)) $(PY) -m pytest tests || status=$$?; \
	if ls chapters/*.ipynb >/dev/null 2>&1; then \
	  echo "+ $(KERNEL_ENV) $(PY) -m pytest chapters $(NBVAL_ARGS)"; \
	  $(KERNEL_ENV) $(PY) -m pytest chapters $(NBVAL_ARGS) || status=$$?; \
	else echo "no notebooks in chapters/: nbval skipped"; fi; \
	if [ "$(PORTABLE)" != 0 ]; then $(MAKE) --no-print-directory portable || status=$$?; fi; \
	exit $$status

# The stored outputs must be what every CPU prints: strict nbval again under
# other OpenBLAS core types and numpy SIMD levels (tools/portable.py), and the
# unit tests under the oldest of them.
portable: $(STAMP)
	$(KERNEL_ENV) $(PY) tools/portable.py --unit sandybridge

# Re-execute chapter notebooks top to bottom, each in a fresh kernel, in place,
# so the committed outputs are exactly what nbval will recompute.
# All of chapters/*.ipynb, or only some: make notebooks NB=chapters/02_momentum.ipynb
NB ?= $(wildcard chapters/*.ipynb)
notebooks: $(STAMP)
	@set -e; [ -n "$(strip $(NB))" ] || echo "no notebooks in chapters/"; \
	for nb in $(NB); do \
	  echo "executing $$nb"; \
	  $(KERNEL_ENV) $(PY) -c 'import sys, os, nbformat, nbclient; p = sys.argv[1]; \
nb = nbformat.read(p, as_version=4); \
nbclient.NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=False, store_widget_state=False, \
resources={"metadata": {"path": os.path.dirname(p)}}).execute(); \
nbformat.write(nb, p)' "$$nb"; \
	done

bench: $(STAMP)
	@if [ -f benchmarks/run_all.py ]; then $(PY) benchmarks/run_all.py; \
	else echo "benchmarks/run_all.py not found: nothing to run"; fi

clean:
	rm -rf _build .pytest_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
	find chapters -name .ipynb_checkpoints -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) $(IPYW7)

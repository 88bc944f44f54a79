# softmax-notes: `make book` builds the site, `make test` runs everything CI checks.
# The first target to run creates .venv and installs the pinned-range requirements
# and the package (editable), so a fresh clone needs only Python >= 3.10 and make.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The strict check builds into its own, always-fresh directory so that an
# incremental no-op build can never hide a broken page.
CHECK_BUILD := _build/check
NB ?= book/*.ipynb
PORT ?= 8000

# Notebook outputs must not depend on the CPU: NumPy picks its SIMD kernels (exp,
# sums) by the CPU's features, and an AVX-512 kernel can round the last bit of a
# float differently from the AVX2 one. Tests and stored runs use at most AVX2
# kernels, on every machine that has them. `make bench` measures each level.
NO_AVX512 := NPY_DISABLE_CPU_FEATURES="X86_V4 AVX512_ICL AVX512_SPR"

# A failing command anywhere in a recipe line fails the target.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c

.PHONY: book test lint pytest site-check browser translations repository execute lab serve bench clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -e .
	touch $@

## book: build the HTML site into _build/html, English at the root and the Chinese
## edition under zh_CN/ (incremental; outputs come from the committed notebooks)
book: $(STAMP)
	$(BIN)/jupyter-book build .
	$(BIN)/python book/_ext/editions.py zh_CN
	@echo "Site built: open _build/html/index.html, or run 'make serve'."

## test: everything CI checks — lint, unit/property/doctests, nbval, notebook hygiene, strict site build, browser
# browser opens the site that site-check has just built (it depends on it, so even under -j).
test: lint pytest site-check browser

# Notebook code lines stay within 79 characters, so that a cell fits the page
# (and a phone) without sideways scrolling; the package and tests use 100.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff check --line-length 79 --select E501 --config "lint.ignore = []" book/*.ipynb
	$(BIN)/actionlint .github/workflows/*.yml

# One pytest run: tests/ (unit, property, reference, notebook hygiene), the package's
# doctests, and nbval re-executing every notebook (strict: every output compared).
pytest: $(STAMP)
	$(NO_AVX512) $(BIN)/python -m pytest -n 2 --dist loadscope \
		--nbval --nbval-current-env --nbval-sanitize-with book/nbval_sanitize.cfg \
		--ignore=tests/browser tests softmax_notes book

site-check: $(STAMP)
	rm -rf $(CHECK_BUILD)
	$(BIN)/jupyter-book build . --all -W -n --keep-going --path-output $(CHECK_BUILD)
	$(BIN)/python book/_ext/editions.py zh_CN --strict \
		--site $(CHECK_BUILD)/_build/html --work $(CHECK_BUILD)/zh_CN

## browser: open every page of the strict build in headless Chromium (skips, saying why, without Chromium)
browser: $(STAMP) site-check
	$(NO_AVX512) $(BIN)/python -m pytest -rs tests/browser

## translations: after the English text changed, update the Chinese catalogs in
## locales/ (new and changed messages appear untranslated; tests fail until translated)
translations: $(STAMP)
	rm -rf _build/gettext
	$(BIN)/jupyter-book build . --builder custom --custom-builder gettext --path-output _build/gettext
	$(BIN)/sphinx-intl update --no-obsolete --pot-dir _build/gettext/_build/gettext --language zh_CN --locale-dir locales

## repository: set the book's repository (URL=https://github.com/OWNER/NAME, or URL= for
## none) in _config.yml and in every chapter's install cell; commit the change
repository: $(STAMP)
	$(BIN)/python book/_ext/repository.py $(if $(URL),$(URL),--unset)

## execute: re-run notebooks in place from a fresh kernel (NB=book/03-*.ipynb for one)
execute: $(STAMP)
	$(NO_AVX512) $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
		--ExecutePreprocessor.kernel_name=python3 --ExecutePreprocessor.timeout=600 $(NB)

## lab: open the chapters in JupyterLab (LAB_ARGS="--port 8890" to pass options)
# Jupyter refuses to start as root without --allow-root, and a container runs as
# root; for any other user the flag changes nothing.
lab: $(STAMP)
	$(BIN)/jupyter lab --allow-root $(LAB_ARGS) book/

## serve: preview the built site on http://127.0.0.1:$(PORT)
serve: book
	$(BIN)/python -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

## bench: speed and memory against SciPy (never part of make test)
bench: $(STAMP)
	for script in benchmarks/bench_*.py; do $(BIN)/python "$$script"; done

clean:
	rm -rf _build .pytest_cache .hypothesis
	find . -name __pycache__ -not -path "./$(VENV)/*" -prune -exec rm -rf {} +

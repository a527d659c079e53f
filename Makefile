# depthlens: `make run` to launch, `make test` to test. Both set everything up first.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

# Debian packages Qt needs: offscreen (tests, export) and a real window (xcb).
QT_LIBS_OFFSCREEN := libgl1 libegl1 libfontconfig1 fonts-dejavu-core libglib2.0-0 libxkbcommon0 libdbus-1-3
QT_LIBS_WINDOW    := $(QT_LIBS_OFFSCREEN) libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 \
                     libxcb-render-util0 libxcb-shape0 libxkbcommon-x11-0
# Tools the tests run: desktop-file-validate checks the launcher entry of install-desktop;
# rsvg-convert (librsvg, the SVG renderer of most Linux viewers) renders the chart's SVG export.
TEST_TOOLS        := desktop-file-utils librsvg2-bin

.PHONY: run test bench fuzz lint venv syslibs-offscreen syslibs-test syslibs-window clean

run: syslibs-window $(STAMP)
	$(VENV)/bin/depthlens $(ARGS)

test: syslibs-test $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q $(PYTEST_ARGS)

bench: syslibs-offscreen $(STAMP)
	@$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install -q 'torch==2.13.0' \
		|| echo "bench: torch could not be installed; the torch column will be blank"
	QT_QPA_PLATFORM=offscreen $(PY) -m bench.engine_bench
	QT_QPA_PLATFORM=offscreen $(PY) -m bench.gui_bench
	QT_QPA_PLATFORM=offscreen $(PY) -m bench.views_bench
	QT_QPA_PLATFORM=offscreen $(PY) -m bench.train_bench

fuzz: syslibs-offscreen $(STAMP)
	QT_QPA_PLATFORM=offscreen PYTHONPATH=. $(PY) tests/app/gui_fuzz.py --events $(or $(EVENTS),10000)

# mypy and import-linter read the installed layout (depthlens <- app/, ...), built as links in build/lint.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) tools/lint_tree.py build/lint -- $(VENV)/bin/mypy
	$(PY) tools/lint_tree.py build/lint -- $(VENV)/bin/lint-imports

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "depthlens needs Python >= 3.11 (found $$($(PYTHON) --version))"; exit 1; }
	@$(PYTHON) -m venv --help >/dev/null 2>&1 && $(PYTHON) -c 'import ensurepip' 2>/dev/null \
		|| sh tools/syslibs.sh python3-venv
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,lint]'
	@touch $(STAMP)

syslibs-offscreen:
	@sh tools/syslibs.sh $(QT_LIBS_OFFSCREEN)

syslibs-test:
	@sh tools/syslibs.sh $(QT_LIBS_OFFSCREEN) $(TEST_TOOLS)

syslibs-window:
	@sh tools/syslibs.sh $(QT_LIBS_WINDOW)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache

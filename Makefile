# 推荐材料邮件受理 — the two commands a newcomer runs: `make demo` and `make test`.
SHELL := /bin/bash
# The interpreter the venv is made from: Debian's own python3 where there is one (built with
# profile-guided optimisation and LTO, unlike a source build such as pyenv's: `make test` took
# 3-10 % less CPU with it, pure-Python test files ~17 % less; python3-venv and python3-uno
# are installed for it), else whatever python3 is on PATH.
PYTHON ?= $(shell [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages the tests need: IMAP server, document converters, media, archives, CJK
# fonts (the tests render scans of the form), and the GL/GLib libraries OpenCV (PyPI's
# opencv-python, used by the OCR) loads, and Chromium for the console's browser tests: Debian's
# chromium-headless-shell (the same Chromium built for headless use, as Playwright itself runs
# headless; it took 0.6 CPU-seconds a page where the full chromium took 1.5) and chromium.
# OCR itself is PP-OCR from PyPI (pyproject.toml).
APT_PACKAGES := dovecot-imapd libreoffice-writer-nogui libreoffice-calc-nogui \
	ffmpeg unar fonts-noto-cjk libgl1 libglib2.0-0 openssl python3-venv python3-uno postgresql chromium \
	chromium-headless-shell
# What `make demo` needs of them: the font its scanned form is drawn with, OpenCV's
# libraries for reading that scan, LibreOffice for showing Word/Excel originals in the console.
DEMO_PACKAGES := fonts-noto-cjk libgl1 libglib2.0-0 libreoffice-writer-nogui libreoffice-calc-nogui
DEMO_CHECK := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc /usr/share/doc/libgl1/copyright \
	/usr/share/doc/libglib2.0-0/copyright /usr/bin/soffice
# One file per package proves it is installed.
APT_CHECK := /usr/sbin/dovecot /usr/bin/soffice /usr/bin/ffprobe /usr/bin/unar \
	/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc /usr/share/doc/libgl1/copyright \
	/usr/share/doc/libglib2.0-0/copyright /usr/bin/openssl \
	/usr/lib/python3/dist-packages/uno.py /usr/lib/postgresql /usr/bin/chromium /usr/bin/chromium-headless-shell

.PHONY: demo test test-fast lint bench system-deps demo-deps venv clean migration

$(STAMP): pyproject.toml
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { $(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@touch $@

venv: $(STAMP)

system-deps:
	@missing=0; for f in $(APT_CHECK); do [ -e $$f ] || missing=1; done; \
	if [ $$missing = 1 ]; then \
		echo "安装测试所需的系统软件包（dovecot、LibreOffice、ffmpeg、中文字体…）"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
			--no-install-recommends $(APT_PACKAGES); \
	fi

demo-deps:
	@missing=0; for f in $(DEMO_CHECK); do [ -e $$f ] || missing=1; done; \
	if [ $$missing = 1 ]; then \
		echo "安装演示所需的系统软件包（中文字体、OpenCV 所需的库、LibreOffice）"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
			--no-install-recommends $(DEMO_PACKAGES); \
	fi

demo: $(STAMP) demo-deps
	$(PY) examples/make_demo.py
	$(PY) examples/run_demo.py

# One pytest-xdist worker per core and one more; a file's tests stay on one worker (--dist
# loadfile), so its module fixtures (a console, converted documents) are built once. With one
# worker per core the cores were busy only ~78 % of `make test` (a worker waits on its servers,
# children and browser); with one more, 99 %: 5 min 32 s instead of 6 min 10 s on 2 cores, and
# two more (4) took 6 min 00 s (2026-12-07). PYTEST_JOBS=0: one process.
PYTEST_JOBS ?= $(shell echo $$(( $$(nproc) + 1 )))
# --no-loadscope-reorder: files go out in the order tests/conftest.py gives them (costliest
# first), not xdist's default of most tests first, which left a long file for last.
PYTEST := $(PY) -m pytest -q -n $(PYTEST_JOBS) --dist loadfile --no-loadscope-reorder
# Compiled modules (and pytest's rewritten test modules) are kept in __pycache__ even where
# the environment says not to write them: otherwise each worker and every run.py a test
# starts compiles the whole project again, run after run.
test test-fast: export PYTHONDONTWRITEBYTECODE :=
# glibc's malloc gives big blocks (page images, OCR tensors: most over its 128 KB-32 MB
# mmap threshold) their own fresh pages and hands them back on free, so every page of a scan
# is zero-filled again for the next one (perf: clear_page, unmap and page faults were the top
# kernel symbols of the test processes). Kept in the heap and reused instead: test_ocr_pages + test_scan_prep took 1.5 s of
# system time instead of 4.4-6.4 (430 k page faults instead of 1.6-2.1 M) and 23-25 s
# instead of 26-29 s. The memory stays with each process until it exits.
test test-fast: export GLIBC_TUNABLES := glibc.malloc.mmap_threshold=1073741824:glibc.malloc.trim_threshold=4294967296

# Everything; 3 min 42 s - 5 min 07 s on a 2-core machine, as fast as the VM is that hour (README: which command when).
test: $(STAMP) system-deps
	$(PYTEST)

# The edit-test loop: 46-75 s (the same), every package still runs (the `slow` list is in tests/conftest.py).
test-fast: $(STAMP) system-deps
	$(PYTEST) -m "not slow"

# ruff (style and format); the layer and no-cycle contracts of pyproject.toml's [tool.importlinter];
# mypy on the core packages listed in pyproject.toml.
lint: $(STAMP)
	$(VENV)/bin/ruff check pipeline tests bench examples run.py
	$(VENV)/bin/ruff format --check pipeline tests bench examples run.py
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

bench: $(STAMP) system-deps
	@for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# After changing pipeline/ledger/schema.py: write the ledger's next migration (README, For developers).
migration: $(STAMP)
	@[ -n "$(MSG)" ] || { echo 'usage: make migration MSG="what changed"'; exit 2; }
	$(PY) -m pipeline.ledger.migrations "$(MSG)"
	$(VENV)/bin/ruff format -q pipeline/ledger/migrations/versions

# Only what the demo wrote: a live installation's ledger (data/) and outbox are never removed here.
clean:
	rm -rf data/demo outbox/demo

# Thin wrapper over CMake. `make run` and `make test` install what is missing first.
JOBS ?= $(shell nproc)
PYTEST ?= /usr/bin/python3 -m pytest

.PHONY: all build run test ui-deps unit san integration integration-san fuzz bench format clean

all: build

build:
	@scripts/bootstrap build
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build -j$(JOBS)

run: build
	build/cairn agent -dev -ui

# Every test: unit tests (plain and under ASan+UBSan), fuzz corpora, integration tests.
test:
	@scripts/bootstrap test
	@$(MAKE) --no-print-directory ui-deps build
	@$(MAKE) --no-print-directory unit san integration integration-san

unit: build
	cd build && ctest --output-on-failure -j$(JOBS)

san:
	@cmake -S . -B build-san -DCMAKE_BUILD_TYPE=Debug -DCAIRN_SANITIZE=ON -DCMAKE_C_COMPILER=clang >/dev/null
	@cmake --build build-san -j$(JOBS)
	cd build-san && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j$(JOBS)

# The browser tests' npm packages, pinned by ui/package-lock.json (npm's cache
# first; nothing from it is built into the binary).
ui-deps:
	@[ -d ui/node_modules/playwright-core ] || { command -v npm >/dev/null || \
		{ echo "ui-deps: npm is missing (Debian: apt-get install npm)" >&2; exit 1; }; \
		cd ui && npm ci --prefer-offline --no-audit --no-fund; }

integration: build
	$(PYTEST) -q -x tests/integration

# The same suite against the ASan+UBSan agent; any sanitizer report fails it.
integration-san: san
	@rm -rf build-san/sanitizer-logs && mkdir -p build-san/sanitizer-logs
	CAIRN_BIN=$(CURDIR)/build-san/cairn \
	ASAN_OPTIONS=detect_leaks=1:log_path=$(CURDIR)/build-san/sanitizer-logs/asan \
	UBSAN_OPTIONS=print_stacktrace=1:log_path=$(CURDIR)/build-san/sanitizer-logs/ubsan \
	$(PYTEST) -q -x -p no:cacheprovider tests/integration
	@if ls build-san/sanitizer-logs/* >/dev/null 2>&1; then \
		cat build-san/sanitizer-logs/*; echo "sanitizer reports above"; exit 1; fi

# libFuzzer builds of every target under tests/fuzz (clang).
fuzz:
	@cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCAIRN_FUZZ=ON -DCAIRN_SANITIZE=ON >/dev/null
	@cmake --build build-fuzz -j$(JOBS)

bench: build
	@scripts/bootstrap bench
	bench/kv.sh
	bench/catalog.sh
	bench/dns.sh
	bench/gossip.sh

format:
	git ls-files '*.c' '*.h' | xargs clang-format -i

clean:
	rm -rf build build-san build-fuzz

# Thin wrapper over CMake + Ninja. `make run` and `make test` work on a fresh Debian machine.
JOBS ?= $(shell nproc)
RELEASE_DIR := build
DEV_DIR := build/dev
FUZZ_DIR := build/fuzz
CTEST_ARGS ?=

.PHONY: all deps build dev run lab test unit bench fuzz tsan clean format tidy

all: build

deps:
	@scripts/install-deps

# Release build: build/causeway
build: deps
	@cmake -S . -B $(RELEASE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=release >/dev/null
	@cmake --build $(RELEASE_DIR) -j $(JOBS) --target causeway
	@ln -sf src/cli/causeway $(RELEASE_DIR)/causeway

# Debug + ASan/UBSan build used by the tests
dev: deps
	@cmake -S . -B $(DEV_DIR) -G Ninja -DCMAKE_BUILD_TYPE=dev >/dev/null
	@cmake --build $(DEV_DIR) -j $(JOBS)

run: build
	@scripts/run-demo

# The transit network of three clouds in network namespaces (root), until Ctrl-C
lab: build
	@CAUSEWAY_BIN=$(RELEASE_DIR)/causeway python3 tests/integration/transit_lab.py up

test: dev
	@cd $(DEV_DIR) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)

unit: dev
	@cd $(DEV_DIR) && ctest --output-on-failure -j $(JOBS) -L unit

bench: deps
	@cmake -S . -B $(RELEASE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=release >/dev/null
	@cmake --build $(RELEASE_DIR) -j $(JOBS)
	@ln -sf src/cli/causeway $(RELEASE_DIR)/causeway
	@bench/run-all

# libFuzzer binaries (clang); FUZZ_SECONDS per target
FUZZ_SECONDS ?= 60
FUZZERS := $(notdir $(basename $(wildcard fuzz/*_fuzzer.cc)))
fuzz: deps
	@CXX=clang++ cmake -S . -B $(FUZZ_DIR) -G Ninja -DCMAKE_BUILD_TYPE=fuzz >/dev/null
	@cmake --build $(FUZZ_DIR) -j $(JOBS) --target $(FUZZERS)
	@for n in $(FUZZERS); do \
	  echo "== $$n ($(FUZZ_SECONDS)s; new inputs go to $(FUZZ_DIR)/corpus/$$n)"; \
	  mkdir -p $(FUZZ_DIR)/corpus/$$n; \
	  $(FUZZ_DIR)/fuzz/$$n -max_total_time=$(FUZZ_SECONDS) $(FUZZ_DIR)/corpus/$$n fuzz/corpus/$$n \
	    || exit 1; done

tsan: deps
	@cmake -S . -B build/tsan -G Ninja -DCMAKE_BUILD_TYPE=tsan >/dev/null
	@cmake --build build/tsan -j $(JOBS)
	@cd build/tsan && ctest --output-on-failure -L unit

format:
	@find src tests bench fuzz -name '*.cc' -o -name '*.h' | xargs clang-format -i

tidy: dev
	@find src -name '*.cc' | xargs clang-tidy -p $(DEV_DIR) --quiet

clean:
	@rm -rf build

# Bailey — thin wrapper over Meson/Ninja. `make` installs missing Debian
# packages (scripts/deps.sh), configures build/ and compiles.
.PHONY: all deps build check demo spec fuzz format format-check bench clean help

BUILD ?= build

all: build

help:
	@echo "make            install missing packages, configure $(BUILD)/, compile"
	@echo "make demo       all set-up, then the main job (see README)"
	@echo "make check      all set-up, then every test; last line: N passed, N failed"
	@echo "make spec       the WebAssembly spec testsuite only; last line: spec: N passed, N failed, N skipped"
	@echo "make fuzz       build the libFuzzer harnesses in build-fuzz/"
	@echo "make format     rewrite sources with clang-format; format-check only checks"
	@echo "make bench      run the benchmarks in bench/ (each against a peer)"
	@echo "make clean      remove the build trees"

deps:
	@scripts/deps.sh

$(BUILD)/build.ninja: | deps
	meson setup $(BUILD)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

check: deps
	@scripts/check.sh

spec: build
	@tests/spec/run.sh $(BUILD)/tests/spec/spec-runner $(BUILD)/tests/spec/json

demo: build
	@scripts/demo.sh

fuzz: deps
	@[ -f build-fuzz/build.ninja ] || CC=clang meson setup build-fuzz -Dfuzz=true -Dtests=false \
		-Dc_args=-fsanitize=fuzzer-no-link,address,undefined \
		-Dc_link_args=-fsanitize=address,undefined -Db_lundef=false
	ninja -C build-fuzz

format:
	@scripts/format.sh

format-check:
	@scripts/format.sh --check

bench: build
	@for b in bench/*/run.sh; do [ -x "$$b" ] && "$$b"; done; true

clean:
	rm -rf build build-asan build-fuzz build*.log

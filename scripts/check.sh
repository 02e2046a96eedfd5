#!/usr/bin/env bash
# `make check`: every test Bailey has, in one run, ending with the line
# "N passed, N failed[, N skipped]" over everything it ran.
#
# Stages: format check; build (build/) and every meson test suite (unit,
# spec, wasi, attest, registry, e2e … as they exist); a second tree with
# -fsanitize=address,undefined (build-asan/) running the unit tests, where any
# sanitizer report fails; libFuzzer harnesses (build-fuzz/, clang) run for
# FUZZ_SECONDS each over their seed corpora.
set -uo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-5}
JOBS=${JOBS:-$(nproc)}
passed=0 failed=0 skipped=0
failures=()

note() { printf '\n== %s\n' "$*"; }
add() { # passed failed skipped stage
	passed=$((passed + $1)) failed=$((failed + $2)) skipped=$((skipped + $3))
	[ "$2" -gt 0 ] && failures+=("$4: $2 failed")
	return 0
}
setup() { # dir [meson options...]
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || {
			cat "$dir.setup.log"
			return 1
		}
	else
		# A part that appeared since (src/<part>/meson.build) joins the build.
		meson setup --reconfigure "$dir" >"$dir.setup.log" 2>&1 || {
			cat "$dir.setup.log"
			return 1
		}
	fi
	ninja -C "$dir" -j "$JOBS" >"$dir.build.log" 2>&1 || {
		tail -50 "$dir.build.log"
		return 1
	}
}
count_log() { # build dir, stage
	local c
	c=$(python3 scripts/testcount.py "$1/meson-logs/testlog.json") || c="0 1 0"
	# shellcheck disable=SC2086
	add $c "$2"
	echo "$2: $(echo "$c" | awk '{printf "%d passed, %d failed, %d skipped", $1, $2, $3}')"
}

note "format check"
if scripts/format.sh --check; then add 1 0 0 format; else add 0 1 0 format; fi

note "build and test (build/)"
if setup build; then
	meson test -C build --num-processes "$JOBS" --print-errorlogs \
		--no-rebuild >build.test.log 2>&1 || tail -60 build.test.log
	grep -E '^ *[0-9]+/[0-9]+ ' build.test.log | sed 's/^/  /'
	count_log build tests
else
	add 0 1 0 build
fi

note "sanitizers: -fsanitize=address,undefined (build-asan/)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}
if setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug; then
	meson test -C build-asan --suite unit --num-processes "$JOBS" --print-errorlogs \
		--no-rebuild >build-asan.test.log 2>&1 || tail -60 build-asan.test.log
	if grep -qE 'runtime error:|AddressSanitizer|LeakSanitizer' build-asan/meson-logs/testlog.txt; then
		grep -E 'runtime error:|ERROR: (Address|Leak)Sanitizer' build-asan/meson-logs/testlog.txt | head
		add 0 1 0 "sanitizer report"
	fi
	count_log build-asan "tests under ASan+UBSan"
else
	add 0 1 0 build-asan
fi

note "fuzz: each harness ${FUZZ_SECONDS}s over its seed corpus (build-fuzz/)"
if CC=clang setup build-fuzz -Dfuzz=true -Dtests=false -Dbuildtype=debugoptimized \
	-Dc_args=-fsanitize=fuzzer-no-link,address,undefined \
	-Dc_link_args=-fsanitize=address,undefined -Db_lundef=false; then
	for f in build-fuzz/tests/fuzz/fuzz_*; do
		[ -f "$f" ] && [ -x "$f" ] || continue
		name=${f##*/fuzz_}
		seeds=tests/fuzz/corpus/$name
		work=$(mktemp -d)
		extra=$(mktemp -d)
		# Seeds made from ../shared at test time (tests/fuzz/shared-seeds.txt).
		python3 scripts/shared-seeds.py tests/fuzz/shared-seeds.txt ../shared "$name" "$extra"
		dirs=()
		[ -d "$seeds" ] && dirs+=("$seeds")
		[ -n "$(ls -A "$extra")" ] && dirs+=("$extra")
		if "$f" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 "$work" \
			"${dirs[@]}" >"build-fuzz/$name.log" 2>&1; then
			echo "  fuzz_$name: ok ($(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' \
				"build-fuzz/$name.log" | grep -o '[0-9]*$') runs)"
			add 1 0 0 fuzz
		else
			echo "  fuzz_$name: FAILED (crash input kept in build-fuzz/)"
			tail -30 "build-fuzz/$name.log"
			add 0 1 0 "fuzz_$name"
		fi
		rm -rf "$work" "$extra"
	done
else
	add 0 1 0 build-fuzz
fi

echo
if [ "${#failures[@]}" -gt 0 ]; then
	printf 'failed: %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]

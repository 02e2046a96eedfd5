#!/usr/bin/env bash
# clang-format over Bailey's own C sources: `--check` reports files that
# differ from .clang-format's style and fails; without it, rewrites them.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files -co --exclude-standard -- '*.c' '*.h' | grep -v '^build')
[ "${#files[@]}" -eq 0 ] && exit 0
if [ "${1:-}" = --check ]; then
	bad=0
	for f in "${files[@]}"; do
		[ -f "$f" ] || continue
		if ! clang-format --style=file "$f" | cmp -s - "$f"; then
			echo "format: $f differs from .clang-format (run 'make format')"
			bad=1
		fi
	done
	[ "$bad" -eq 0 ] && echo "format: ${#files[@]} files clean"
	exit "$bad"
fi
clang-format --style=file -i "${files[@]}"

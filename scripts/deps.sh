#!/usr/bin/env bash
# Install the Debian 12 packages Bailey builds, tests and benchmarks with (DESIGN.md,
# "Dependencies"). Installs exactly what is missing, says what, and does nothing when
# everything is already there. Run as root (CI and `make` do); set BAILEY_NO_DEPS=1 to skip.
set -euo pipefail

pkgs=(
	# build
	build-essential meson ninja-build pkg-config
	# libraries (DESIGN.md)
	libssl-dev libmicrohttpd-dev libhttp-parser-dev libjansson-dev libcjose-dev
	libsqlite3-dev libcmocka-dev
	# the registry server reads the TLS client certificate from microhttpd's GnuTLS session
	libgnutls28-dev
	# clang: fuzzing (libFuzzer), wasm32-wasi test workloads
	clang lld libclang-rt-14-dev wasi-libc libclang-rt-14-dev-wasm32
	# tools used by tests: spec-test conversion, format check, openssl CLI
	wabt clang-format openssl
	# peers for benchmarks (bench/)
	nodejs nginx-light
)

[ "${BAILEY_NO_DEPS:-0}" = 1 ] && exit 0

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
# A Node.js from another source also serves the benchmarks.
if command -v node >/dev/null 2>&1; then
	missing=("${missing[@]/nodejs/}")
fi
read -r -a missing <<<"${missing[*]:-}"
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages: ${missing[*]}" >&2
	echo "deps: run 'sudo scripts/deps.sh' (or install them) and try again" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"

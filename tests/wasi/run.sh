#!/usr/bin/env bash
# WASI conformance of `bailey run`: each C program in tests/wasi/, built for
# wasm32-wasi, runs under bailey and checks itself (exit status = failures);
# where Node.js's WASI supports the calls, the same module runs under Node and
# the transcripts must be identical. Last line: "wasi: N passed, N failed, N skipped".
set -uo pipefail
bailey=$1
wasmdir=$2
here=$(cd "$(dirname "$0")" && pwd)
pass=0 fail=0 skip=0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

ok() { echo "ok   $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

# expect NAME WANT_RC CMD... : run, compare the exit code, keep output in $work/out
expect() {
	local name=$1 want=$2
	shift 2
	"$@" >"$work/out" 2>"$work/err"
	local rc=$?
	if [ "$rc" -eq "$want" ]; then
		ok "$name (exit $rc)"
	else
		bad "$name: exit $rc, want $want"
		sed 's/^/    /' "$work/out" "$work/err" | head -40
	fi
}

node_same() { # name wasm preopen-dir args...: Node's transcript must equal bailey's
	local name=$1 wasm=$2 dir=$3
	shift 3
	if ! command -v node >/dev/null; then
		echo "skip $name under node: node not installed"
		skip=$((skip + 1))
		return
	fi
	# Node 18's WASI (Debian 12's nodejs) gets readlink and stat through symlinks
	# wrong; compare only with Node 20 or later.
	if ! node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)'; then
		echo "skip $name under node: Node $(node --version) is older than 20"
		skip=$((skip + 1))
		return
	fi
	cp "$work/out" "$work/bailey.out"
	node --no-warnings "$here/node_wasi.mjs" "$wasm" "$dir" "$@" >"$work/node.out" 2>&1
	if cmp -s "$work/bailey.out" "$work/node.out"; then
		ok "$name: Node's WASI prints the same transcript"
	else
		bad "$name: Node's transcript differs"
		diff "$work/bailey.out" "$work/node.out" | head -20
	fi
}

# args and environment: Enarx.toml, then the command line
mkdir -p "$work/data"
cat >"$work/args.toml" <<'TOML'
args = ["from-config", "two words"]
[env]
FOO = "from config"
BAR = "from config"
TOML
expect args_env 0 "$bailey" run --wasmcfgfile "$work/args.toml" --dir "$work/data::/data" \
	--env FOO=overridden "$wasmdir/t_args_env.wasm" from-cli

# files and directories, and the same under Node
mkdir -p "$work/fs"
expect fs 0 "$bailey" run --dir "$work/fs::/data" "$wasmdir/t_fs.wasm"
rm -rf "$work/fs" && mkdir -p "$work/fs"
node_same fs "$wasmdir/t_fs.wasm" "$work/fs"

# readdir over 300 entries: several fd_readdir calls resumed by cookie
mkdir -p "$work/rd"
expect readdir 0 "$bailey" run --dir "$work/rd::/data" "$wasmdir/t_readdir.wasm"
rm -rf "$work/rd" && mkdir -p "$work/rd"
node_same readdir "$wasmdir/t_readdir.wasm" "$work/rd"
rm -rf "$work/rd" && mkdir -p "$work/rd"
expect "readdir while unlinking" 0 "$bailey" run --dir "$work/rd::/data" \
	"$wasmdir/t_readdir.wasm" unlink-while-reading

# a preopen after a socket and /dev/null is still found (wasi-libc scans fd 3, 4, ...)
mkdir -p "$work/fs2"
cat >"$work/mixed.toml" <<TOML
[[files]]
kind = "stdin"
[[files]]
kind = "stdout"
[[files]]
kind = "stderr"
[[files]]
kind = "listen"
name = "L"
prot = "tcp"
addr = "127.0.0.1"
port = 0
[[files]]
kind = "null"
[[files]]
kind = "dir"
path = "$work/fs2"
guest = "/data"
TOML
expect "dir after a socket and null" 0 "$bailey" run --wasmcfgfile "$work/mixed.toml" "$wasmdir/t_fs.wasm"

# sandbox: a secret beside the preopen, a symlink pointing at it, a read-only view
mkdir -p "$work/box/root"
echo secret >"$work/box/secret"
echo inside >"$work/box/root/inside"
ln -s ../secret "$work/box/root/out"
cat >"$work/sandbox.toml" <<TOML
[[files]]
kind = "stdin"
[[files]]
kind = "stdout"
[[files]]
kind = "stderr"
[[files]]
kind = "dir"
path = "$work/box/root"
guest = "/data"
[[files]]
kind = "dir"
path = "$work/box/root"
guest = "/ro"
readonly = true
TOML
touch -d '2001-01-01' "$work/box"
expect sandbox 0 "$bailey" run --wasmcfgfile "$work/sandbox.toml" "$wasmdir/t_sandbox.wasm"
if [ -e "$work/box/made" ] || [ -e "$work/box/stolen" ] || [ ! -e "$work/box/root/inside" ] ||
	[ "$(date -r "$work/box" +%Y)" != 2001 ]; then
	bad "sandbox: the host directory outside the preopen changed"
else
	ok "sandbox: nothing outside the preopen changed"
fi

# errno values the WebAssembly wasi-testsuite checks (regressions found with it)
mkdir -p "$work/errno"
expect errno 0 "$bailey" run --dir "$work/errno::/data" "$wasmdir/t_errno.wasm"

expect clock_random 0 "$bailey" run "$wasmdir/t_clock_random.wasm"

# standard streams: poll on stdin, a pipe in, upper case out, a line on stderr
expect stdio 0 sh -c "printf 'piped text' | '$bailey' run '$wasmdir/t_stdio.wasm'"
if [ "$(cat "$work/out")" = "PIPED TEXT" ] && grep -q '^read 10 bytes$' "$work/err"; then
	ok "stdio: stdin to stdout and stderr"
else
	bad "stdio: got '$(cat "$work/out")' / '$(cat "$work/err")'"
fi

if python3 "$here/net_driver.py" "$bailey" "$wasmdir/t_net.wasm" >"$work/out" 2>&1; then
	ok "net: listen and connect sockets from Enarx.toml"
else
	bad "net"
	sed 's/^/    /' "$work/out" | head -40
fi

# a closed stdout pipe: the workload sees EPIPE (t_stdio exits 2), the Keep is not killed
head -c 4000000 /dev/zero >"$work/zeros"
set +o pipefail
"$bailey" run "$wasmdir/t_stdio.wasm" <"$work/zeros" 2>/dev/null | head -c 1 >/dev/null
rc=${PIPESTATUS[0]}
set -o pipefail
if [ "$rc" -eq 2 ]; then ok "closed stdout: the workload gets EPIPE (exit 2)"; else bad "closed stdout: exit $rc, want 2"; fi

# exit codes, traps and bad input
expect "exit code" 7 "$bailey" run "$wasmdir/t_exit_trap.wasm" exit 7
expect "trap" 134 "$bailey" run "$wasmdir/t_exit_trap.wasm" trap
if grep -q '^trap: unreachable in ' "$work/err"; then ok "trap message"; else bad "trap message: $(cat "$work/err")"; fi
printf 'not wasm' >"$work/x.wasm"
expect "not wasm" 2 "$bailey" run "$work/x.wasm"
printf '\0asm\1\0\0\0\1\5\1\x60' >"$work/trunc.wasm"
expect "invalid module" 2 "$bailey" run "$work/trunc.wasm"
printf 'args = [1]\n' >"$work/bad.toml"
expect "bad config" 2 "$bailey" run --wasmcfgfile "$work/bad.toml" "$wasmdir/t_exit_trap.wasm"
if grep -q 'bad.toml:1: args\[0\]: expected a string' "$work/err"; then ok "bad config names line and key"; else bad "bad config message: $(cat "$work/err")"; fi
expect "missing module" 2 "$bailey" run "$work/none.wasm"
expect "missing --dir" 2 "$bailey" run --dir "$work/nope::/x" "$wasmdir/t_exit_trap.wasm"

echo "wasi: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]

#!/usr/bin/env python3
"""Drive t_net.wasm: serve the workload's `connect` peer, run bailey, then
connect to the workload's `listen` socket. Exit 0 when both exchanges worked
and bailey exited 0. Loopback only; every wait is bounded."""
import socket
import subprocess
import sys
import tempfile
import time
import os

bailey, wasm = sys.argv[1], sys.argv[2]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


peer = socket.socket()
peer.bind(("127.0.0.1", 0))
peer.listen(1)
peer.settimeout(20)
peer_port = peer.getsockname()[1]
listen_port = free_port()

cfg = tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False)
cfg.write(f"""
[[files]]
kind = "stdin"
[[files]]
kind = "stdout"
[[files]]
kind = "stderr"
[[files]]
kind = "listen"
name = "LISTEN"
prot = "tcp"
addr = "127.0.0.1"
port = {listen_port}
[[files]]
kind = "connect"
name = "PEER"
prot = "tcp"
host = "127.0.0.1"
port = {peer_port}
""")
cfg.close()
proc = subprocess.Popen([bailey, "run", "--wasmcfgfile", cfg.name, wasm])
ok = True
try:
    conn, _ = peer.accept()
    conn.settimeout(20)
    got = conn.recv(64)
    if got != b"hello\n":
        print(f"FAIL peer got {got!r}")
        ok = False
    conn.sendall(b"echo:\n")
    c = socket.create_connection(("127.0.0.1", listen_port), timeout=20)
    c.sendall(b"ping\n")
    reply = c.recv(64)
    if reply != b"PING\n":
        print(f"FAIL listen reply {reply!r}")
        ok = False
    else:
        print("ok   the workload answered on its listen socket")
    c.close()
    rc = proc.wait(timeout=30)
    if rc != 0:
        print(f"FAIL bailey exited {rc}")
        ok = False
finally:
    if proc.poll() is None:
        proc.kill()
    os.unlink(cfg.name)
sys.exit(0 if ok else 1)

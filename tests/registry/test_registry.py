#!/usr/bin/env python3
"""Registry tests: bailey-drawbridge on loopback, every route and status code.

Usage: test_registry.py PATH/TO/bailey-drawbridge

Starts the real server (--dev issuer, ephemeral port, a fresh store in a
temporary directory), talks HTTP/1.1 to it with http.client, and checks
status codes, headers and bodies. Signatures for RS256 tokens and signed
tags are made with the `openssl` command. Prints one line per case and the
closing line "N passed, N failed, N skipped"; exits 1 on any failure.
"""
import base64
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

BIN = os.path.abspath(sys.argv[1])
API = "/api/v0.1.0"
DIR_T = "application/vnd.drawbridge.directory.v1+json"
ENTRY_T = "application/vnd.drawbridge.entry.v1+json"
JWS_T = "application/jose+json"

passed = failed = skipped = 0


def check(name, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok - {name}")
    else:
        failed += 1
        print(f"FAIL - {name} {detail}")
    return cond


def b64(b):
    return base64.b64encode(b).decode()


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def cdigest(body, algs=("sha-256",)):
    parts = []
    for a in algs:
        h = hashlib.new(a.replace("-", ""), body).digest()
        parts.append(f"{a}=:{b64(h)}:")
    return ",".join(parts)


def canon(obj):
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


def entry(body, typ, algs=("sha-256", "sha-384")):
    return {"digest": {a: b64(hashlib.new(a.replace("-", ""), body).digest()) for a in algs},
            "length": len(body), "type": typ}


class Server:
    def __init__(self, root, name, extra=()):
        self.store = os.path.join(root, name)
        self.log = os.path.join(root, name + ".log")
        self.extra = list(extra)
        self.proc = None
        self.port = None
        self.log_pos = 0  # each run of the server is judged on its own log lines

    def start(self):
        pf = self.store + ".port"
        if os.path.exists(pf):
            os.unlink(pf)
        args = [BIN, "--store", self.store, "--listen", "127.0.0.1:0", "--port-file", pf,
                "--threads", "2"] + self.extra
        self.logf = open(self.log, "a")
        self.proc = subprocess.Popen(args, stdout=self.logf, stderr=self.logf)
        for _ in range(200):
            if os.path.exists(pf):
                with open(pf) as f:
                    self.port = int(f.read())
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise RuntimeError("server did not start: " + open(self.log).read()[-2000:])

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=60)
        self.logf.close()
        self.proc = None
        with open(self.log, errors="replace") as f:
            f.seek(self.log_pos)
            log = f.read()
            self.log_pos = f.tell()
        bad = [w for w in ("runtime error:", "AddressSanitizer", "LeakSanitizer") if w in log]
        check(f"server log has no sanitizer report ({os.path.basename(self.log)})", not bad,
              log[-3000:] if bad else "")

    def token(self, sub, scope=None, ttl=None, aud=None, iss=None):
        args = [BIN, "dev-token", "--store", self.store, sub]
        if scope is not None:
            args += ["--scope", scope]
        if ttl is not None:
            args += ["--ttl", str(ttl)]
        if aud:
            args += ["--audience", aud]
        if iss:
            args += ["--issuer", iss]
        return subprocess.run(args, check=True, capture_output=True, text=True).stdout.strip()

    def req(self, method, path, body=None, headers=None, token=None, ctype=None):
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + token
        if ctype:
            h["Content-Type"] = ctype
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        c.close()
        return r.status, hdrs, data

    def put_json(self, path, obj, token, extra=None):
        body = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
        return self.req("PUT", API + path, body, extra, token, "application/json")[0]

    def put_node(self, path, body, typ, token, digest=None, length=None):
        h = {"Content-Digest": digest if digest is not None else cdigest(body)}
        if digest == "":
            del h["Content-Digest"]
        if length is not None:
            return raw_put(self.port, API + path, body, dict(h, **{"Content-Type": typ,
                           "Authorization": "Bearer " + token}), length)
        return self.req("PUT", API + path, body, h, token, typ)[0]


def raw_put(port, path, body, headers, length):
    """A PUT whose Content-Length we choose (possibly not the body's)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.putrequest("PUT", path, skip_accept_encoding=True)
    for k, v in (headers.items() if isinstance(headers, dict) else headers):
        c.putheader(k, v)
    if length is not False:
        c.putheader("Content-Length", str(length))
    c.endheaders()
    try:
        if body:
            c.send(body)
        r = c.getresponse()
        r.read()
        return r.status
    except (BrokenPipeError, ConnectionResetError):
        return -1
    finally:
        c.close()


def short_put(s, path, body, length, token):
    """Send fewer body bytes than Content-Length, then drop the connection."""
    sk = socket.create_connection(("127.0.0.1", s.port), timeout=30)
    head = (f"PUT {path} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
            f"Content-Digest: {cdigest(b'hello world')}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Length: {length}\r\n\r\n").encode()
    sk.sendall(head + body)
    time.sleep(0.2)
    sk.close()


def wait_empty(d, secs=10):
    end = time.time() + secs
    while time.time() < end:
        if not os.listdir(d):
            return True
        time.sleep(0.05)
    return False


def tree_entries(tree):
    """Return (root_body, root_entry, [(path, body, type)]) in upload order."""
    nodes = []

    def walk(t, prefix):
        d = {}
        kids = []
        for name, v in sorted(t.items()):
            p = prefix + "/" + name if prefix else name
            if isinstance(v, dict):
                body, e, sub = walk(v, p)
                d[name] = e
                kids.append((p, body, DIR_T, sub))
            else:
                body, typ = (v if isinstance(v, tuple) else (v, "application/octet-stream"))
                d[name] = entry(body, typ)
                kids.append((p, body, typ, None))
        body = canon(d)
        return body, entry(body, DIR_T), kids

    root_body, root_e, kids = walk(tree, "")
    order = [("", root_body, DIR_T)]

    def flatten(ks):
        for p, body, typ, sub in ks:
            order.append((p, body, typ))
        for p, body, typ, sub in ks:
            if sub:
                flatten(sub)

    flatten(kids)
    return root_e, order


def publish(s, user, repo, tag, tree, token, signed_body=None):
    root_e, order = tree_entries(tree)
    body = signed_body if signed_body is not None else canon(root_e)
    st = s.req("PUT", f"{API}/{user}/{repo}/_tag/{tag}", body,
               {"Content-Digest": cdigest(body)}, token,
               JWS_T if signed_body is not None else ENTRY_T)[0]
    codes = [st]
    for p, b, typ in order:
        codes.append(s.put_node(f"/{user}/{repo}/_tag/{tag}/tree/{p}".rstrip("/")
                                if p else f"/{user}/{repo}/_tag/{tag}/tree", b, typ, token))
    return codes


def openssl(*args, inp=None):
    return subprocess.run(["openssl"] + list(args), input=inp, check=True,
                          capture_output=True).stdout


def rsa_key(path):
    openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", path)
    mod = openssl("rsa", "-in", path, "-noout", "-modulus").decode().strip().split("=")[1]
    return {"kty": "RSA", "n": b64url(bytes.fromhex(mod)), "e": "AQAB"}


def rs256(keypath, signing_input):
    return openssl("dgst", "-sha256", "-sign", keypath, inp=signing_input)


def jwt_rs256(keypath, kid, claims):
    h = b64url(json.dumps({"alg": "RS256", "kid": kid, "typ": "JWT"}).encode())
    p = b64url(json.dumps(claims).encode())
    si = f"{h}.{p}".encode()
    return f"{h}.{p}.{b64url(rs256(keypath, si))}"


# ---------------------------------------------------------------------------


def test_basics(s):
    st, h, b = s.req("GET", "/health")
    check("GET /health is 200", st == 200)
    st, h, b = s.req("GET", "/metrics")
    check("GET /metrics exposes counters", st == 200 and b"drawbridge_requests_total" in b)
    check("unknown route is 404", s.req("GET", "/nothing")[0] == 404)
    check("a body on a GET is ignored", s.req("GET", "/health", b"hello")[0] == 200)
    check("newer minor API at 0.x is 501", s.req("GET", "/api/v0.2.0/alice")[0] == 501)
    check("newer major API is 501", s.req("GET", "/api/v1.0.0/alice")[0] == 501)
    check("bad API version is 400", s.req("GET", "/api/vx/alice")[0] == 400)
    check("empty user path is 404", s.req("GET", "/api/v0.1.0/")[0] == 404)
    check("bad user name is 400", s.req("GET", API + "/al-ice")[0] == 400)
    check("bad repo name is 400", s.req("GET", API + "/alice/re.po")[0] == 400)
    check("bad tag name is 400", s.req("GET", API + "/alice/repo/_tag/v1")[0] == 400)
    check("unknown repo sub-route is 404", s.req("GET", API + "/alice/repo/_nope")[0] == 404)
    check("path climbing is 400",
          s.req("GET", API + "/alice/repo/_tag/1.0.0/tree/a/../b")[0] == 400)
    check("POST on a user is 405", s.req("POST", API + "/alice", b"")[0] == 405)


def test_tokens(s):
    ok = s.token("alice")
    body = json.dumps({"subject": "alice"}).encode()
    check("PUT user without token is 401", s.put_json("/alice", body, None) == 401)
    for name, tok in [
        ("expired", s.token("alice", ttl=-30)),
        ("wrong audience", s.token("alice", aud="someone-else")),
        ("wrong issuer", s.token("alice", iss="https://evil.example")),
        ("bad signature", ok[:-4] + ("AAAA" if not ok.endswith("AAAA") else "BBBB")),
        ("alg none", b64url(b'{"alg":"none"}') + "." + ok.split(".")[1] + "."),
        ("garbage", "not-a-token"),
        ("missing scope", s.token("alice", scope="read:drawbridge_users")),
    ]:
        check(f"PUT user with {name} token is 401", s.put_json("/alice", body, tok) == 401)
    st = s.req("PUT", API + "/alice", body, {"Authorization": "Basic YTpi"}, None,
               "application/json")[0]
    check("Basic authorization is 401", st == 401)
    st, h, _ = s.req("GET", API + "/alice")
    check("401 carries WWW-Authenticate: Bearer", st == 401 and h.get("www-authenticate") == "Bearer")


def test_users(s, alice, bob):
    check("PUT user with another subject is 401",
          s.put_json("/alice", {"subject": "mallory"}, alice) == 401)
    check("PUT user wrong content type is 415",
          s.req("PUT", API + "/alice", b'{"subject":"alice"}', None, alice, "text/plain")[0] == 415)
    check("PUT user bad JSON is 400", s.put_json("/alice", b"{nope", alice) == 400)
    check("PUT user unknown field is 400",
          s.put_json("/alice", {"subject": "alice", "x": 1}, alice) == 400)
    body = json.dumps({"subject": "alice"}).encode()
    check("PUT user bad Content-Digest is 400",
          s.put_json("/alice", body, alice, {"Content-Digest": cdigest(b"other")}) == 400)
    check("PUT user is 201", s.put_json("/alice", body, alice, {"Content-Digest": cdigest(body)}) == 201)
    check("PUT user again is 409", s.put_json("/alice", body, alice) == 409)
    check("PUT user bob is 201", s.put_json("/bob", {"subject": "bob"}, bob) == 201)
    st, h, b = s.req("GET", API + "/alice", token=alice)
    check("GET own user is 200 with the record", st == 200 and json.loads(b) == {"subject": "alice"})
    check("GET user has Content-Digest of the body", h.get("content-digest") == cdigest(b))
    n = len(b)
    st, h, b = s.req("HEAD", API + "/alice", token=alice)
    check("HEAD own user is 200, no body", st == 200 and b == b"" and h.get("content-length") == str(n))
    check("GET another's user is 401", s.req("GET", API + "/alice", token=bob)[0] == 401)
    check("GET user without token is 401", s.req("GET", API + "/alice")[0] == 401)
    check("GET missing user is 401 (as Drawbridge)", s.req("GET", API + "/nobody", token=alice)[0] == 401)


def test_repos(s, alice, bob):
    check("PUT repo bad config is 400", s.put_json("/alice/pub", {"public": "yes"}, alice) == 400)
    check("PUT repo extra field is 400",
          s.put_json("/alice/pub", {"public": True, "x": 1}, alice) == 400)
    check("PUT repo on another's user is 401", s.put_json("/alice/pub", {"public": True}, bob) == 401)
    check("PUT repo missing scope is 401",
          s.put_json("/alice/pub", {"public": True},
                     s.token("alice", scope="manage:drawbridge_users")) == 401)
    check("PUT public repo is 201", s.put_json("/alice/pub", {"public": True}, alice) == 201)
    check("PUT repo again is 409", s.put_json("/alice/pub", {"public": True}, alice) == 409)
    check("PUT private repo is 201", s.put_json("/alice/priv", {"public": False}, alice) == 201)
    st, h, b = s.req("GET", API + "/alice/pub", token=alice)
    check("GET own repo is 200", st == 200 and json.loads(b) == {"public": True})
    check("HEAD own repo is 200", s.req("HEAD", API + "/alice/pub", token=alice)[0] == 200)
    check("GET another's repo is 401", s.req("GET", API + "/alice/pub", token=bob)[0] == 401)
    check("GET missing repo is 404", s.req("GET", API + "/alice/none", token=alice)[0] == 404)
    check("tag list of missing repo is 404", s.req("GET", API + "/alice/none/_tag")[0] == 404)


TREE = {
    "Enarx.toml": (b'[[files]]\nkind = "stdin"\n', "text/plain"),
    "main.wasm": (b"\0asm\1\0\0\0" + bytes(range(256)) * 40, "application/wasm"),
    "sub": {"deep": {"file.txt": (b"deep file\n", "text/plain")}, "same.txt": (b"hello", "text/plain")},
    "same.txt": (b"hello", "text/plain"),
    "empty": (b"", "text/plain"),
}


def test_publish(s, alice, bob):
    codes = publish(s, "alice", "pub", "1.0.0", TREE, alice)
    check("publish: tag and every node are 201", all(c == 201 for c in codes), str(codes))
    root_e, order = tree_entries(TREE)
    st, h, b = s.req("GET", API + "/alice/pub/_tag/1.0.0")
    check("GET tag (anonymous, public) is the entry", st == 200 and json.loads(b) == root_e)
    check("GET tag has entry content type", h.get("content-type") == ENTRY_T)
    good = True
    for p, body, typ in order:
        url = API + "/alice/pub/_tag/1.0.0/tree" + ("/" + p if p else "")
        st, h, b = s.req("GET", url)
        good &= st == 200 and b == body and h.get("content-type") == typ
        good &= ("sha-256=:" + b64(hashlib.sha256(body).digest()) + ":") in h.get("content-digest", "")
    check("GET every node returns its bytes, type and Content-Digest", good)
    st, h, b = s.req("HEAD", API + "/alice/pub/_tag/1.0.0/tree/main.wasm")
    check("HEAD node gives its length without a body",
          st == 200 and b == b"" and int(h["content-length"]) == len(TREE["main.wasm"][0]))
    check("GET tree/ (trailing slash) is the root",
          s.req("GET", API + "/alice/pub/_tag/1.0.0/tree/")[2] == order[0][1])
    check("GET missing node is 404", s.req("GET", API + "/alice/pub/_tag/1.0.0/tree/none")[0] == 404)
    check("GET missing tag is 404", s.req("GET", API + "/alice/pub/_tag/9.9.9")[0] == 404)
    # re-putting is 409
    body = TREE["same.txt"][0]
    check("re-PUT node is 409",
          s.put_node("/alice/pub/_tag/1.0.0/tree/same.txt", body, "text/plain", alice) == 409)
    rb = canon(root_e)
    st = s.req("PUT", API + "/alice/pub/_tag/1.0.0", rb, {"Content-Digest": cdigest(rb)}, alice,
               ENTRY_T)[0]
    check("re-PUT tag is 409 (tags are immutable)", st == 409)
    # identical files are stored once
    h = hashlib.sha256(b"hello").hexdigest()
    check("identical files are stored once",
          os.path.exists(os.path.join(s.store, "blobs", h[:2], h)) and
          len([1 for r, d, f in os.walk(os.path.join(s.store, "blobs")) for x in f if x == h]) == 1)
    check("PUT node by another user is 401",
          s.put_node("/alice/pub/_tag/1.0.0/tree/x", b"x", "text/plain", bob) == 401)
    check("PUT tag without tags scope is 401",
          s.req("PUT", API + "/alice/pub/_tag/5.0.0", rb, {"Content-Digest": cdigest(rb)},
                s.token("alice", scope="manage:drawbridge_repositories"), ENTRY_T)[0] == 401)
    check("HEAD on the tag list is 405", s.req("HEAD", API + "/alice/pub/_tag")[0] == 405)
    check("DELETE on a tag is 405", s.req("DELETE", API + "/alice/pub/_tag/1.0.0", token=alice)[0] == 405)


def test_mismatch(s, alice):
    tree = {"a.txt": (b"hello world", "text/plain")}
    root_e, order = tree_entries(tree)
    rb = canon(root_e)
    base = "/alice/pub/_tag/2.0.0"
    check("PUT tag without Content-Digest is 400",
          s.req("PUT", API + base, rb, None, alice, ENTRY_T)[0] == 400)
    check("PUT tag with wrong Content-Digest is 400",
          s.req("PUT", API + base, rb, {"Content-Digest": cdigest(b"x")}, alice, ENTRY_T)[0] == 400)
    check("PUT tag with bad content type is 400",
          s.req("PUT", API + base, rb, {"Content-Digest": cdigest(rb)}, alice, "text/plain")[0] == 400)
    md5 = "md5=:" + b64(hashlib.md5(rb).digest()) + ":"
    check("PUT tag whose Content-Digest names no supported algorithm is 400 (nothing is verified)",
          s.req("PUT", API + base, rb, {"Content-Digest": md5}, alice, ENTRY_T)[0] == 400)
    bad = b'{"digest":{},"length":1,"type":"x/y"}'
    check("PUT tag with a bad entry is 400",
          s.req("PUT", API + base, bad, {"Content-Digest": cdigest(bad)}, alice, ENTRY_T)[0] == 400)
    check("PUT node before its tag is 404",
          s.put_node(base + "/tree", order[0][1], DIR_T, alice) == 404)
    check("PUT tag is 201",
          s.req("PUT", API + base, rb, {"Content-Digest": cdigest(rb)}, alice, ENTRY_T)[0] == 201)
    check("PUT child before its parent directory is 400",
          s.put_node(base + "/tree/a.txt", b"hello world", "text/plain", alice) == 400)
    wrong_root = canon({"a.txt": entry(b"HELLO WORLD", "text/plain")})
    check("PUT root that is not the tag's entry is 400 (parent mismatch)",
          s.put_node(base + "/tree", wrong_root, DIR_T, alice) == 400)
    check("PUT root is 201", s.put_node(base + "/tree", order[0][1], DIR_T, alice) == 201)
    check("PUT node without Content-Digest is 400",
          s.put_node(base + "/tree/a.txt", b"hello world", "text/plain", alice, digest="") == 400)
    check("PUT node whose Content-Digest names no supported algorithm is 400",
          s.put_node(base + "/tree/a.txt", b"hello world", "text/plain", alice,
                     digest="md5=:" + b64(hashlib.md5(b"hello world").digest()) + ":") == 400)
    check("PUT node with a wrong Content-Digest is 400 (digest mismatch)",
          s.put_node(base + "/tree/a.txt", b"hello world", "text/plain", alice,
                     digest=cdigest(b"hello worle")) == 400)
    check("PUT node whose bytes differ from the parent's entry is 400 (parent mismatch)",
          s.put_node(base + "/tree/a.txt", b"HELLO WORLD", "text/plain", alice) == 400)
    check("PUT node with another type than the parent's is 400",
          s.put_node(base + "/tree/a.txt", b"hello world", "text/html", alice) == 400)
    check("PUT node with another length than the parent's is 400 (length mismatch)",
          s.put_node(base + "/tree/a.txt", b"hello worl", "text/plain", alice) == 400)
    short_put(s, API + base + "/tree/a.txt", b"hello worl", 11, alice)
    check("an upload cut short by the client leaves no temporary file",
          wait_empty(os.path.join(s.store, "tmp")))
    check("an upload cut short by the client is not stored",
          s.req("GET", API + base + "/tree/a.txt")[0] == 404)
    check("PUT node the parent does not list is 400",
          s.put_node(base + "/tree/b.txt", b"hello world", "text/plain", alice) == 400)
    check("PUT node without Content-Length is 411",
          raw_put(s.port, API + base + "/tree/a.txt", b"",
                  {"Content-Type": "text/plain", "Content-Digest": cdigest(b"hello world"),
                   "Authorization": "Bearer " + alice}, False) == 411)
    check("nothing was half-stored: the retry is 201",
          s.put_node(base + "/tree/a.txt", b"hello world", "text/plain", alice) == 201)
    check("tmp/ is empty after failed uploads", wait_empty(os.path.join(s.store, "tmp")))
    big = {"big.bin": {"digest": {"sha-256": b64(bytes(32))}, "length": 300 << 20,
                       "type": "application/octet-stream"}}
    bb = canon(big)
    be = canon(entry(bb, DIR_T))
    s.req("PUT", API + "/alice/pub/_tag/2.0.1", be, {"Content-Digest": cdigest(be)}, alice, ENTRY_T)
    s.put_node("/alice/pub/_tag/2.0.1/tree", bb, DIR_T, alice)
    st = raw_put(s.port, API + "/alice/pub/_tag/2.0.1/tree/big.bin", b"",
                 {"Content-Type": "application/octet-stream", "Content-Digest": cdigest(b""),
                  "Authorization": "Bearer " + alice}, 300 << 20)
    check("PUT file above --max-file is 413 before the body is sent", st == 413)
    st = raw_put(s.port, API + "/alice/pub/_tag/2.0.1/tree/big.bin", b"",
                 {"Content-Type": "application/octet-stream", "Content-Digest": cdigest(b""),
                  "Authorization": "Bearer " + s.token("bob"), "Expect": "100-continue"}, 1 << 20)
    check("a refused PUT with Expect: 100-continue is answered before the body", st == 401)


def test_digest_algorithms(s, alice):
    body = b"four algorithms"
    root = canon({"f": entry(body, "text/plain", algs=("sha-512",))})
    re_ = canon(entry(root, DIR_T, algs=("sha-224",)))
    base = "/alice/pub/_tag/6.0.0"
    st = s.req("PUT", API + base, re_, {"Content-Digest": cdigest(re_, ("sha-384",))}, alice, ENTRY_T)[0]
    check("tag with a sha-384 Content-Digest is 201", st == 201)
    check("root checked against a sha-224 entry is 201",
          s.put_node(base + "/tree", root, DIR_T, alice, digest=cdigest(root, ("sha-512",))) == 201)
    all4 = cdigest(body, ("sha-224", "sha-256", "sha-384", "sha-512"))
    check("file with all four algorithms in Content-Digest is 201",
          s.put_node(base + "/tree/f", body, "text/plain", alice, digest=all4) == 201)
    st, h, b = s.req("GET", API + base + "/tree/f")
    check("GET answers the uploader's algorithms", st == 200 and h.get("content-digest") == all4,
          h.get("content-digest"))
    st, h, b = s.req("GET", API + base + "/tree")
    check("GET adds sha-256 to the uploader's algorithms",
          h.get("content-digest") == cdigest(root, ("sha-256", "sha-512")), h.get("content-digest"))
    base = "/alice/pub/_tag/6.0.1"
    s.req("PUT", API + base, re_, {"Content-Digest": cdigest(re_)}, alice, ENTRY_T)
    s.put_node(base + "/tree", root, DIR_T, alice)
    st = s.put_node(base + "/tree/f", body, "text/plain", alice,
                    digest="sha-256=:" + b64(hashlib.sha256(body).digest()) + ":, sha-512=:" +
                    b64(hashlib.sha512(b"x").digest()) + ":")
    check("one wrong algorithm among several fails the whole Content-Digest", st == 400)
    # The same, with the wrong algorithm on a second Content-Digest line (RFC 9110
    # 5.3: field lines combine into one list); every line must be checked.
    st = raw_put(s.port, API + base + "/tree/f", body,
                 [("Content-Type", "text/plain"), ("Authorization", "Bearer " + alice),
                  ("Content-Digest", "sha-256=:" + b64(hashlib.sha256(body).digest()) + ":"),
                  ("Content-Digest", "sha-512=:" + b64(hashlib.sha512(b"x").digest()) + ":")],
                 len(body))
    check("a wrong algorithm on a second Content-Digest line fails too", st == 400)
    check("…and the same upload with the right ones is 201",
          s.put_node(base + "/tree/f", body, "text/plain", alice, digest=all4) == 201)
    st, h, b = s.req("GET", "/metrics")
    m = dict(l.rsplit(" ", 1) for l in b.decode().splitlines() if l and not l.startswith("#"))
    check("metrics count responses and uploads",
          int(m['drawbridge_responses_total{class="2xx"}']) > 10 and
          int(m['drawbridge_uploads_total{result="ok"}']) > 5 and
          int(m['drawbridge_uploads_total{result="failed"}']) > 0, str(m))


def test_tag_order(s, alice):
    tree = {"f": (b"f", "text/plain")}
    for t in ["1.10.0", "1.2.0", "1.2.0-rc.1", "0.9.0", "1.2.0-alpha", "10.0.0"]:
        publish(s, "alice", "pub", t, tree, alice)
    st, h, b = s.req("GET", API + "/alice/pub/_tag")
    check("tag list is JSON", st == 200 and h.get("content-type") == "application/json")
    check("tag list is sorted by semantic version",
          json.loads(b) == ["0.9.0", "1.0.0", "1.2.0-alpha", "1.2.0-rc.1", "1.2.0", "1.10.0",
                            "2.0.0", "2.0.1", "6.0.0", "6.0.1", "10.0.0"], b.decode())


def test_private_and_sharing(s, alice, bob):
    codes = publish(s, "alice", "priv", "1.0.0", {"secret.txt": (b"secret", "text/plain")}, alice)
    check("publish to a private repo", all(c == 201 for c in codes))
    check("private tag list anonymously is 401", s.req("GET", API + "/alice/priv/_tag")[0] == 401)
    check("private tag anonymously is 401", s.req("GET", API + "/alice/priv/_tag/1.0.0")[0] == 401)
    check("private node anonymously is 401",
          s.req("GET", API + "/alice/priv/_tag/1.0.0/tree/secret.txt")[0] == 401)
    check("private node by a non-member is 401",
          s.req("GET", API + "/alice/priv/_tag/1.0.0/tree/secret.txt", token=bob)[0] == 401)
    st, h, b = s.req("GET", API + "/alice/priv/_tag/1.0.0/tree/secret.txt", token=alice)
    check("private node by its owner is 200", st == 200 and b == b"secret")
    check("private read needs the read scope",
          s.req("GET", API + "/alice/priv/_tag", token=s.token("alice", scope="read:drawbridge_tags"))[0]
          == 401)
    acl = API + "/alice/priv/_access"
    check("grant to a missing user is 404",
          s.req("PUT", acl + "/carolx", b'{"access":"read"}', None, alice, "application/json")[0] == 404)
    check("grant with a bad body is 400",
          s.req("PUT", acl + "/bob", b'{"access":"all"}', None, alice, "application/json")[0] == 400)
    check("grant by a non-owner is 401",
          s.req("PUT", acl + "/bob", b'{"access":"read"}', None, bob, "application/json")[0] == 401)
    check("grant read is 201",
          s.req("PUT", acl + "/bob", b'{"access":"read"}', None, alice, "application/json")[0] == 201)
    st, h, b = s.req("GET", acl, token=alice)
    check("members are listed", st == 200 and json.loads(b) == {"bob": "read"})
    check("members list by a non-owner is 401", s.req("GET", acl, token=bob)[0] == 401)
    st, h, b = s.req("GET", API + "/alice/priv/_tag/1.0.0/tree/secret.txt", token=bob)
    check("a read member reads the private repo", st == 200 and b == b"secret")
    check("a read member lists its tags", s.req("GET", API + "/alice/priv/_tag", token=bob)[0] == 200)
    check("a read member reads the repository config",
          s.req("GET", API + "/alice/priv", token=bob)[0] == 200)
    tree = {"b.txt": (b"by bob", "text/plain")}
    check("a read-only member cannot publish",
          publish(s, "alice", "priv", "2.0.0", tree, bob)[0] == 401)
    check("raise to write is 200",
          s.req("PUT", acl + "/bob", b'{"access":"write"}', None, alice, "application/json")[0] == 200)
    check("a write member publishes",
          all(c == 201 for c in publish(s, "alice", "priv", "2.0.0", tree, bob)))
    check("a member cannot create repos for the owner",
          s.put_json("/alice/other", {"public": True}, bob) == 401)
    check("revoke is 204", s.req("DELETE", acl + "/bob", token=alice)[0] == 204)
    check("revoke again is 404", s.req("DELETE", acl + "/bob", token=alice)[0] == 404)
    check("a revoked member loses read access",
          s.req("GET", API + "/alice/priv/_tag/1.0.0/tree/secret.txt", token=bob)[0] == 401)
    check("a revoked member cannot publish",
          publish(s, "alice", "priv", "3.0.0", tree, bob)[0] == 401)
    check("members list is empty", json.loads(s.req("GET", acl, token=alice)[2]) == {})
    # The server caches nodes per thread: reads by the owner and by a member must not
    # let anyone else (on any thread) read the node afterwards, nor a revoked member.
    node = API + "/alice/priv/_tag/1.0.0/tree/secret.txt"
    for _ in range(6):
        s.req("GET", node, token=alice)
        s.req("HEAD", node, token=alice)
    check("after the owner's reads a private node stays 401 anonymously and to others",
          all(s.req(m, node, token=t)[0] == 401 for _ in range(6) for m in ("GET", "HEAD")
              for t in (None, bob)))
    check("a repository's visibility cannot change (PUT again is 409)",
          s.put_json("/alice/pub", {"public": False}, alice) == 409 and
          s.put_json("/alice/priv", {"public": True}, alice) == 409)


def test_signed_tags(s, tmp):
    k1, k2 = os.path.join(tmp, "k1.pem"), os.path.join(tmp, "k2.pem")
    jwk1, jwk2 = rsa_key(k1), rsa_key(k2)
    jwk1["kid"] = "k1"
    jwk2["kid"] = "k1"  # same kid, other key: a forgery attempt
    carol = s.token("carol")
    check("PUT user with a bad JWK set is 400",
          s.put_json("/carol", {"subject": "carol", "jwks": {"keys": [{"kty": "oct", "k": "AA"}]}},
                     carol) == 400)
    check("PUT user with a JWK set is 201",
          s.put_json("/carol", {"subject": "carol", "jwks": {"keys": [jwk1]}}, carol) == 201)
    check("PUT carol's repo", s.put_json("/carol/app", {"public": True}, carol) == 201)
    tree = {"main.wasm": (b"\0asm\1\0\0\0", "application/wasm")}
    root_e, order = tree_entries(tree)

    def jws(key, payload_obj):
        prot = b64url(json.dumps({"alg": "RS256", "kid": "k1"}).encode())
        pl = b64url(canon(payload_obj))
        sig = b64url(rs256(key, f"{prot}.{pl}".encode()))
        return prot, pl, sig

    prot, pl, sig = jws(k1, root_e)
    flat = canon({"payload": pl, "protected": prot, "signature": sig})
    codes = publish(s, "carol", "app", "1.0.0", tree, carol, signed_body=flat)
    check("signed tag (flattened JWS) with the registered key is 201", all(c == 201 for c in codes),
          str(codes))
    st, h, b = s.req("GET", API + "/carol/app/_tag/1.0.0")
    check("GET signed tag returns the JWS", st == 200 and b == flat and h["content-type"] == JWS_T)
    general = canon({"payload": pl, "signatures": [{"protected": prot, "signature": sig}]})
    check("signed tag (general JWS) with the registered key is 201",
          publish(s, "carol", "app", "1.0.1", tree, carol, signed_body=general)[0] == 201)
    prot, pl, sig = jws(k2, root_e)
    forged = canon({"payload": pl, "protected": prot, "signature": sig})
    check("signed tag with an unregistered key is 400",
          publish(s, "carol", "app", "1.0.2", tree, carol, signed_body=forged)[0] == 400)
    prot, pl, sig = jws(k1, root_e)
    tampered = canon({"payload": b64url(canon(dict(root_e, length=1))), "protected": prot,
                      "signature": sig})
    check("signed tag with a changed payload is 400",
          publish(s, "carol", "app", "1.0.3", tree, carol, signed_body=tampered)[0] == 400)
    none_h = b64url(b'{"alg":"none"}')
    check("unsigned JWS (alg none) is 400",
          publish(s, "carol", "app", "1.0.4", tree, carol,
                  signed_body=canon({"payload": pl, "protected": none_h, "signature": ""}))[0] == 400)
    alice = s.token("alice")
    check("signed tag for a user without keys is 400",
          publish(s, "alice", "pub", "7.0.0", tree, alice, signed_body=flat)[0] == 400)
    # tree nodes of a signed tag are checked against the signed entry
    st = s.req("PUT", API + "/carol/app/_tag/1.0.5", general, {"Content-Digest": cdigest(general)},
               carol, JWS_T)[0]
    check("signed tag alone is 201", st == 201)
    check("a root that differs from the signed entry is 400",
          s.put_node("/carol/app/_tag/1.0.5/tree", canon({}), DIR_T, carol) == 400)
    check("the root the signed entry names is 201",
          s.put_node("/carol/app/_tag/1.0.5/tree", order[0][1], DIR_T, carol) == 201)


def test_rs256_jwks(tmp):
    key = os.path.join(tmp, "idp.pem")
    jwk = rsa_key(key)
    jwk["kid"] = "idp1"
    jwks = os.path.join(tmp, "idp.jwks")
    with open(jwks, "w") as f:
        json.dump({"keys": [jwk]}, f)
    s = Server(tmp, "oidc", ["--oidc-issuer", "https://idp.example", "--oidc-audience", "drawbridge",
                             "--jwks", jwks])
    s.start()
    try:
        now = int(time.time())
        claims = {"iss": "https://idp.example", "aud": ["drawbridge"], "sub": "auth0|dave",
                  "iat": now, "exp": now + 300, "scope": "write:drawbridge_users read:drawbridge_users"}
        tok = jwt_rs256(key, "idp1", claims)
        check("RS256 token from a JWKS file is accepted",
              s.put_json("/dave", {"subject": "auth0|dave"}, tok) == 201)
        check("RS256 token reads its user", s.req("GET", API + "/dave", token=tok)[0] == 200)
        bad = jwt_rs256(key, "idp1", dict(claims, exp=now - 5))
        check("expired RS256 token is 401", s.req("GET", API + "/dave", token=bad)[0] == 401)
        bad = jwt_rs256(key, "idp1", dict(claims, aud="other"))
        check("RS256 token for another audience is 401", s.req("GET", API + "/dave", token=bad)[0] == 401)
        # Hostile tokens: each must be refused.
        import hmac
        pub_pem = openssl("pkey", "-in", key, "-pubout")

        def hs256(secret, hdr, cl):
            si = f"{b64url(json.dumps(hdr).encode())}.{b64url(json.dumps(cl).encode())}"
            return si + "." + b64url(hmac.new(secret, si.encode(), hashlib.sha256).digest())

        def raw_rs256(hdr, cl):
            si = f"{b64url(json.dumps(hdr).encode())}.{b64url(json.dumps(cl).encode())}"
            return si + "." + b64url(rs256(key, si.encode()))

        no_exp = {k: v for k, v in claims.items() if k != "exp"}
        no_sub = {k: v for k, v in claims.items() if k != "sub"}
        hostile = [
            ("HS256 keyed with the public key PEM", hs256(pub_pem, {"alg": "HS256", "kid": "idp1"}, claims)),
            ("HS256 keyed with the JWK", hs256(json.dumps(jwk).encode(), {"alg": "HS256"}, claims)),
            ("alg none", b64url(b'{"alg":"none"}') + "." + b64url(json.dumps(claims).encode()) + "."),
            ("PS256 header over an RS256 signature", raw_rs256({"alg": "PS256", "kid": "idp1"}, claims)),
            ("unknown kid", jwt_rs256(key, "idp2", claims)),
            ("a critical header", raw_rs256({"alg": "RS256", "kid": "idp1", "crit": ["x"], "x": 1}, claims)),
            ("no exp", jwt_rs256(key, "idp1", no_exp)),
            ("exp as a string", jwt_rs256(key, "idp1", dict(claims, exp=str(now + 300)))),
            ("nbf an hour ahead", jwt_rs256(key, "idp1", dict(claims, nbf=now + 3600))),
            ("issuer with a trailing slash", jwt_rs256(key, "idp1", dict(claims, iss="https://idp.example/"))),
            ("no issuer", jwt_rs256(key, "idp1", {k: v for k, v in claims.items() if k != "iss"})),
            ("audience array without ours", jwt_rs256(key, "idp1", dict(claims, aud=["a", "drawbridgex"]))),
            ("no sub", jwt_rs256(key, "idp1", no_sub)),
            ("a look-alike scope", jwt_rs256(key, "idp1", dict(claims, scope="read:drawbridge_users_extra"))),
            ("a scope prefix", jwt_rs256(key, "idp1", dict(claims, scope="read:drawbridge_user"))),
            ("scope as a list", jwt_rs256(key, "idp1", dict(claims, scope=["read:drawbridge_users"]))),
        ]
        for name, t in hostile:
            check(f"RS256 issuer: token with {name} is 401", s.req("GET", API + "/dave", token=t)[0] == 401)
        check("RS256 token without kid verifies against the set",
              s.req("GET", API + "/dave", token=raw_rs256({"alg": "RS256"}, claims))[0] == 200)
        check("RS256 token with nbf within the clock skew is accepted",
              s.req("GET", API + "/dave", token=jwt_rs256(key, "idp1", dict(claims, nbf=now + 20)))[0] == 200)
        dev = s.token("auth0|dave")
        check("a dev token is refused without --dev", s.req("GET", API + "/dave", token=dev)[0] == 401)
    finally:
        s.stop()
        shutil.rmtree(s.store, ignore_errors=True)


def test_oidc_discovery(tmp):
    import http.server
    k1, k2 = os.path.join(tmp, "d1.pem"), os.path.join(tmp, "d2.pem")
    j1, j2 = rsa_key(k1), rsa_key(k2)
    j1["kid"], j2["kid"] = "d1", "d2"
    state = {"jwks": {"keys": [j1]}, "issuer": None, "gets": 0}

    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            state["gets"] += 1
            if self.path == "/.well-known/openid-configuration":
                body = json.dumps({"issuer": state["issuer"], "jwks_uri": iss + "/jwks"}).encode()
            elif self.path == "/jwks":
                body = json.dumps(state["jwks"]).encode()
            else:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    idp = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    iss = f"http://127.0.0.1:{idp.server_address[1]}"
    threading.Thread(target=idp.serve_forever, daemon=True).start()
    args = ["--oidc-issuer", iss, "--oidc-audience", "drawbridge", "--jwks-refresh", "0"]
    try:
        state["issuer"] = "https://someone-else.example"
        s = Server(tmp, "disc-bad", args)
        try:
            s.start()
            started = True
            s.stop()
        except RuntimeError:
            started = False
        check("OIDC: a discovery document naming another issuer stops the server", not started)
        s = Server(tmp, "disc-http", ["--oidc-issuer", "http://idp.example", "--oidc-audience", "a"])
        try:
            s.start()
            started = True
            s.stop()
        except RuntimeError:
            started = False
        check("OIDC: a plain-http issuer that is not loopback is refused", not started)
        state["issuer"] = iss
        s = Server(tmp, "disc", args)
        s.start()
        try:
            now = int(time.time())
            claims = {"iss": iss, "aud": "drawbridge", "sub": "erin", "iat": now, "exp": now + 300,
                      "scope": "manage:drawbridge_users"}
            check("OIDC: a token signed with a discovered key is accepted",
                  s.put_json("/erin", {"subject": "erin"}, jwt_rs256(k1, "d1", claims)) == 201)
            state["jwks"] = {"keys": [j2]}
            check("OIDC: after key rotation a token with the new key is accepted (keys refetched)",
                  s.req("GET", API + "/erin", token=jwt_rs256(k2, "d2", claims))[0] == 200)
            check("OIDC: the retired key no longer verifies",
                  s.req("GET", API + "/erin", token=jwt_rs256(k1, "d1", claims))[0] == 401)
        finally:
            s.stop()
    finally:
        idp.shutdown()


def test_body_budget(tmp):
    s = Server(tmp, "budget", ["--dev", "--body-memory", "1000", "--log-format", "json",
                               "--log-level", "debug"])
    s.start()
    try:
        eve = s.token("eve")
        check("budget: small bodies fit", s.put_json("/eve", {"subject": "eve"}, eve) == 201 and
              s.put_json("/eve/r", {"public": True}, eve) == 201)
        tree = {f"file{i}.txt": (b"x" * i, "text/plain") for i in range(12)}
        root_e, order = tree_entries(tree)
        rb = canon(root_e)
        s.req("PUT", API + "/eve/r/_tag/1.0.0", rb, {"Content-Digest": cdigest(rb)}, eve, ENTRY_T)
        check("budget: a directory body larger than the memory budget is 503",
              len(order[0][1]) > 1000 and s.put_node("/eve/r/_tag/1.0.0/tree", order[0][1], DIR_T, eve) == 503)
        check("budget: the budget is given back after each request",
              all(s.put_json(f"/eve/r{i}", {"public": True}, eve) == 201 for i in range(5)))
    finally:
        s.stop()
    lines = [json.loads(l) for l in open(s.log) if l.strip()]
    acc = [l for l in lines if "access" in json.dumps(l)]
    check("JSON log: every line is a JSON object, access lines carry their fields",
          acc and all(isinstance(l, dict) for l in lines) and
          all(all(k in json.dumps(l) for k in ("id", "method", "path", "status", "bytes", "us"))
              for l in acc), str(acc[:2]))
    check("JSON log at debug level holds no token", eve.split(".")[2] not in open(s.log).read())
    shutil.rmtree(s.store, ignore_errors=True)


def test_chunked_overflow(s, alice):
    """A chunked body longer than its Content-Length (which the parent's entry fixed)
    must not stream past it to disk: neither --max-file nor the entry's length would
    bound the temporary file otherwise."""
    tree = {"f.txt": (b"hello", "text/plain")}
    root_e, order = tree_entries(tree)
    rb = canon(root_e)
    s.req("PUT", API + "/alice/pub/_tag/3.5.0", rb, {"Content-Digest": cdigest(rb)}, alice, ENTRY_T)
    s.put_node("/alice/pub/_tag/3.5.0/tree", order[0][1], DIR_T, alice)
    tmpdir = os.path.join(s.store, "tmp")
    sk = socket.create_connection(("127.0.0.1", s.port), timeout=30)
    sk.sendall((f"PUT {API}/alice/pub/_tag/3.5.0/tree/f.txt HTTP/1.1\r\nHost: x\r\n"
                f"Content-Type: text/plain\r\nContent-Digest: {cdigest(b'hello')}\r\n"
                f"Authorization: Bearer {alice}\r\nContent-Length: 5\r\n"
                "Transfer-Encoding: chunked\r\n\r\n").encode())
    chunk = b"A" * (1 << 16)
    held = 0
    try:
        for _ in range(512):  # 32 MiB, far more than the socket buffers hold
            sk.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
        held = sum(os.path.getsize(os.path.join(tmpdir, f)) for f in os.listdir(tmpdir))
        sk.sendall(b"0\r\n\r\n")
        answer = sk.recv(200)
    except OSError:
        answer = b"closed"
    sk.close()
    check("chunked body beyond Content-Length is not written to disk", held <= 5, f"held={held}")
    check("chunked body beyond Content-Length is refused", not answer.startswith(b"HTTP/1.1 201"),
          repr(answer[:60]))
    check("after the refused chunked body tmp/ is empty", wait_empty(tmpdir))
    check("the node can then be uploaded",
          s.put_node("/alice/pub/_tag/3.5.0/tree/f.txt", b"hello", "text/plain", alice) == 201)


def test_tools_beside_upload(s, alice):
    """gc and fsck run beside a live server (gc's --grace exists for that), and a second
    server on the same store must not start: none of them may touch an upload in flight."""
    big = os.urandom(8 << 20)
    root_e, order = tree_entries({"big.bin": (big, "application/octet-stream")})
    rb = canon(root_e)
    s.req("PUT", API + "/alice/pub/_tag/3.7.0", rb, {"Content-Digest": cdigest(rb)}, alice, ENTRY_T)
    s.put_node("/alice/pub/_tag/3.7.0/tree", order[0][1], DIR_T, alice)
    c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=60)
    c.putrequest("PUT", API + "/alice/pub/_tag/3.7.0/tree/big.bin")
    for k, v in {"Content-Type": "application/octet-stream", "Content-Digest": cdigest(big),
                 "Content-Length": str(len(big)), "Authorization": "Bearer " + alice}.items():
        c.putheader(k, v)
    c.endheaders()
    c.send(big[: 4 << 20])
    tmpdir = os.path.join(s.store, "tmp")
    end = time.time() + 10
    while not os.listdir(tmpdir) and time.time() < end:
        time.sleep(0.05)
    before = os.listdir(tmpdir)
    subprocess.run([BIN, "gc", "--store", s.store], capture_output=True)
    subprocess.run([BIN, "fsck", "--store", s.store], capture_output=True)
    second = Server(os.path.dirname(s.store), os.path.basename(s.store))
    try:
        second.start()
        started = True
        second.stop()
    except RuntimeError:
        started = False
        second.logf.close()
    check("a second server on a store in use refuses to start", not started)
    check("gc, fsck and a second server leave an upload in flight alone",
          before and os.listdir(tmpdir) == before, f"{before} -> {os.listdir(tmpdir)}")
    c.send(big[4 << 20:])
    r = c.getresponse()
    r.read()
    c.close()
    check("the upload in flight then completes", r.status == 201, str(r.status))


def test_crash_mid_upload(s, alice):
    big = os.urandom(48 << 20)
    tree = {"big.bin": (big, "application/octet-stream")}
    root_e, order = tree_entries(tree)
    rb = canon(root_e)
    s.req("PUT", API + "/alice/pub/_tag/3.0.0", rb, {"Content-Digest": cdigest(rb)}, alice, ENTRY_T)
    s.put_node("/alice/pub/_tag/3.0.0/tree", order[0][1], DIR_T, alice)
    c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=60)
    c.putrequest("PUT", API + "/alice/pub/_tag/3.0.0/tree/big.bin")
    for k, v in {"Content-Type": "application/octet-stream", "Content-Digest": cdigest(big),
                 "Content-Length": str(len(big)), "Authorization": "Bearer " + alice}.items():
        c.putheader(k, v)
    c.endheaders()
    c.send(big[: 20 << 20])
    tmpdir = os.path.join(s.store, "tmp")
    partial, end = 0, time.time() + 10
    while partial < (1 << 20) and time.time() < end:  # wait until the server is writing
        time.sleep(0.05)
        partial = sum(os.path.getsize(os.path.join(tmpdir, f)) for f in os.listdir(tmpdir))
    s.stop(signal.SIGKILL)
    c.close()
    check("kill -9 hit during the upload (a partial temporary file existed)", partial > 0,
          f"partial={partial}")
    s.start()
    check("after restart tmp/ is empty", os.listdir(tmpdir) == [])
    h = hashlib.sha256(big).hexdigest()
    check("after restart no blob of the big file exists",
          not os.path.exists(os.path.join(s.store, "blobs", h[:2], h)))
    check("after restart the node does not exist",
          s.req("GET", API + "/alice/pub/_tag/3.0.0/tree/big.bin")[0] == 404)
    check("the retry succeeds",
          s.put_node("/alice/pub/_tag/3.0.0/tree/big.bin", big, "application/octet-stream", alice) == 201)
    st, hd, b = s.req("GET", API + "/alice/pub/_tag/3.0.0/tree/big.bin")
    check("the retried file reads back whole", st == 200 and b == big)


def test_kill_anywhere(s, alice):
    """kill -9 at random moments of a publish: after each restart fsck is clean,
    every node that exists reads back whole, and publishing again completes."""
    import random
    rnd = random.Random(7)
    tree = {f"f{i}.bin": (os.urandom(rnd.randint(1, 3) << 20), "application/octet-stream")
            for i in range(5)}
    tree["d"] = {"g.txt": (b"nested", "text/plain")}
    root_e, order = tree_entries(tree)
    ok = True
    for it in range(4):
        tag = f"8.0.{it}"
        th = threading.Thread(target=lambda: _ignore(publish, s, "alice", "pub", tag, tree, alice))
        th.start()
        time.sleep(rnd.uniform(0.05, 0.6))
        s.stop(signal.SIGKILL)
        th.join()
        s.start()
        r = subprocess.run([BIN, "fsck", "--store", s.store], capture_output=True, text=True)
        ok &= r.returncode == 0 and wait_empty(os.path.join(s.store, "tmp"))
        for p, body, typ in order:
            url = API + f"/alice/pub/_tag/{tag}/tree" + ("/" + p if p else "")
            st, h, b = s.req("GET", url)
            ok &= st == 404 or (st == 200 and b == body)
        codes = publish(s, "alice", "pub", tag, tree, alice)
        ok &= all(c in (201, 409) for c in codes)
        ok &= all(s.req("GET", API + f"/alice/pub/_tag/{tag}/tree" + ("/" + p if p else ""))[2] == body
                  for p, body, typ in order)
    check("kill -9 at random moments: old state or new, never a half node; publishing resumes", ok)


def _ignore(fn, *a):
    try:
        fn(*a)
    except Exception:
        pass


def test_concurrent(s, alice):
    results = {}

    def pub(tag):
        tree = {"main.wasm": (os.urandom(256 << 10), "application/wasm"), "t": (tag.encode(), "text/plain")}
        results[tag] = (publish(s, "alice", "pub", tag, tree, alice), tree)

    tags = [f"4.0.{i}" for i in range(6)]
    ths = [threading.Thread(target=pub, args=(t,)) for t in tags]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    check("concurrent publishes of different tags all succeed",
          all(all(c == 201 for c in results[t][0]) for t in tags), str({t: results[t][0] for t in tags}))
    ok = all(s.req("GET", API + f"/alice/pub/_tag/{t}/tree/main.wasm")[2] == results[t][1]["main.wasm"][0]
             for t in tags)
    check("each concurrently published tag has its own content", ok)
    listed = json.loads(s.req("GET", API + "/alice/pub/_tag")[2])
    check("all concurrent tags are listed", all(t in listed for t in tags))

    # Racing PUTs of one node and of one tag: exactly one wins, the others get 409.
    big = os.urandom(4 << 20)
    root_e, order = tree_entries({"race.bin": (big, "application/octet-stream")})
    rb = canon(root_e)
    codes = []

    def put_tag():
        codes.append(s.req("PUT", API + "/alice/pub/_tag/4.1.0", rb, {"Content-Digest": cdigest(rb)},
                           alice, ENTRY_T)[0])

    ths = [threading.Thread(target=put_tag) for _ in range(4)]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    check("racing PUTs of one tag: one 201, the rest 409", sorted(codes) == [201, 409, 409, 409], str(codes))
    s.put_node("/alice/pub/_tag/4.1.0/tree", order[0][1], DIR_T, alice)
    codes = []

    def put_node():
        codes.append(s.put_node("/alice/pub/_tag/4.1.0/tree/race.bin", big, "application/octet-stream",
                                alice))

    ths = [threading.Thread(target=put_node) for _ in range(4)]
    for t in ths:
        t.start()
    for t in ths:
        t.join()
    check("racing PUTs of one node: one 201, the rest 409", sorted(codes) == [201, 409, 409, 409], str(codes))
    check("after racing PUTs tmp/ is empty", wait_empty(os.path.join(s.store, "tmp")))
    check("the raced node reads back whole",
          s.req("GET", API + "/alice/pub/_tag/4.1.0/tree/race.bin")[2] == big)


def test_store_tools(s, alice):
    r = subprocess.run([BIN, "fsck", "--store", s.store], capture_output=True, text=True)
    check("fsck of an intact store exits 0", r.returncode == 0, r.stdout + r.stderr)
    # tamper with a stored file
    h = hashlib.sha256(TREE["main.wasm"][0]).hexdigest()
    p = os.path.join(s.store, "blobs", h[:2], h)
    os.chmod(p, 0o600)
    with open(p, "r+b") as f:
        f.seek(100)
        f.write(b"X")
    r = subprocess.run([BIN, "fsck", "--store", s.store], capture_output=True, text=True)
    check("fsck reports a tampered blob and exits 1", r.returncode == 1 and h in r.stderr,
          r.stdout + r.stderr)
    st, hd, b = s.req("GET", API + "/alice/pub/_tag/1.0.0/tree/main.wasm")
    cd = hd.get("content-digest", "")
    check("a tampered blob no longer matches the Content-Digest the server announces",
          st == 200 and ("sha-256=:" + b64(hashlib.sha256(b).digest()) + ":") not in cd)
    # gc: an unreferenced blob goes, referenced ones stay
    junk = hashlib.sha256(b"junk").hexdigest()
    jp = os.path.join(s.store, "blobs", junk[:2], junk)
    with open(jp, "wb") as f:
        f.write(b"junk")
    r = subprocess.run([BIN, "gc", "--store", s.store, "--grace", "0"], capture_output=True, text=True)
    check("gc removes unreferenced blobs", r.returncode == 0 and not os.path.exists(jp), r.stdout)
    check("gc keeps referenced blobs", os.path.exists(p))
    st, hd, b = s.req("GET", API + "/alice/pub/_tag/1.0.0/tree/same.txt")
    check("files still read after gc", st == 200 and b == b"hello")
    # publishing the same bytes again replaces the damaged copy
    codes = publish(s, "alice", "pub", "5.0.0", {"main.wasm": TREE["main.wasm"]}, alice)
    r = subprocess.run([BIN, "fsck", "--store", s.store], capture_output=True, text=True)
    check("re-uploading identical content repairs a damaged blob",
          all(c == 201 for c in codes) and r.returncode == 0, r.stdout + r.stderr)


def make_pki(d):
    """A Steward-like CA with a client certificate, a stranger CA with one, a server cert."""
    def sh(*a):
        subprocess.run(list(a), check=True, capture_output=True, cwd=d)
    for ca in ("steward", "stranger"):
        sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
           "-nodes", "-keyout", f"{ca}.key", "-out", f"{ca}.crt", "-days", "2", "-subj", f"/CN={ca} CA")
    for name, ca, ext in (("server", "steward", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth"),
                          ("client", "steward", "extendedKeyUsage=clientAuth"),
                          ("rogue", "stranger", "extendedKeyUsage=clientAuth")):
        sh("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
           "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
        with open(os.path.join(d, f"{name}.ext"), "w") as f:
            f.write(ext.replace("\\n", "\n") + "\n")
        sh("openssl", "x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
           "-CAcreateserial", "-out", f"{name}.crt", "-days", "2", "-extfile", f"{name}.ext")
    # Hostile variants: expired yesterday; issued by the (non-CA) client certificate.
    for name, ca, days in (("expired", "steward", "-1"), ("subleaf", "client", "2")):
        sh("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
           "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
        with open(os.path.join(d, f"{name}.ext"), "w") as f:
            f.write("extendedKeyUsage=clientAuth\n")
        sh("openssl", "x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
           "-CAcreateserial", "-out", f"{name}.crt", "-days", days, "-extfile", f"{name}.ext")
    with open(os.path.join(d, "subleaf.crt"), "a") as f:  # send the chain up to the Steward CA
        f.write(open(os.path.join(d, "client.crt")).read())


def tls_get(port, path, d, cert=None, token=None):
    import ssl
    ctx = ssl.create_default_context(cafile=os.path.join(d, "steward.crt"))
    if cert:
        ctx.load_cert_chain(os.path.join(d, cert + ".crt"), os.path.join(d, cert + ".key"))
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30)
    h = {"Authorization": "Bearer " + token} if token else {}
    c.request("GET", path, headers=h)
    r = c.getresponse()
    b = r.read()
    c.close()
    return r.status, b


def test_tls(tmp, store_name):
    d = os.path.join(tmp, "pki")
    os.makedirs(d)
    make_pki(d)
    s = Server(tmp, store_name, ["--dev", "--tls-cert", os.path.join(d, "server.crt"),
                                 "--tls-key", os.path.join(d, "server.key"),
                                 "--client-ca", os.path.join(d, "steward.crt")])
    s.start()
    try:
        node = API + "/alice/priv/_tag/1.0.0/tree/secret.txt"
        check("TLS: public read over HTTPS", tls_get(s.port, API + "/alice/pub/_tag", d)[0] == 200)
        check("TLS: private node without a client certificate is 401", tls_get(s.port, node, d)[0] == 401)
        st, b = tls_get(s.port, node, d, cert="client")
        check("TLS: a client certificate from the Steward CA reads a private node",
              st == 200 and b == b"secret")
        check("TLS: a client certificate from another CA is 401",
              tls_get(s.port, node, d, cert="rogue")[0] == 401)
        check("TLS: a Steward-CA certificate not meant for clients (serverAuth only) is 401",
              tls_get(s.port, node, d, cert="server")[0] == 401)
        check("TLS: an expired client certificate from the Steward CA is 401",
              tls_get(s.port, node, d, cert="expired")[0] == 401)
        check("TLS: a certificate issued by a client certificate (not a CA) is 401",
              tls_get(s.port, node, d, cert="subleaf")[0] == 401)
        check("TLS: the owner's token still works",
              tls_get(s.port, node, d, token=s.token("alice"))[0] == 200)
    finally:
        s.stop()


def test_log(s, tokens):
    # A decoded path with a space and a newline must not forge access-log fields or lines.
    s.req("GET", API + "/alice%20status=299%0Aaccess%20id=0%20status=298")
    end = time.time() + 5
    while time.time() < end:
        with open(s.log) as f:
            log = f.read()
        if "status=400" in log.split("299")[-1]:
            break
        time.sleep(0.05)
    check("a path cannot forge access-log fields or lines",
          " status=299" not in log and " status=298" not in log and "\naccess id=0" not in log,
          [l for l in log.splitlines() if "299" in l])
    check("access log lines have id, method, path, status, bytes, duration",
          "access id=" in log and "method=PUT" in log and "status=201" in log and " bytes=" in log
          and " us=" in log)
    check("no token reaches the log", not any(t in log or t.split(".")[2] in log for t in tokens))


def main():
    tmp = tempfile.mkdtemp(prefix="bailey-registry-")
    s = Server(tmp, "store", ["--dev", "--max-file", str(256 << 20)])
    try:
        s.start()
        alice, bob = s.token("alice"), s.token("bob")
        test_basics(s)
        test_tokens(s)
        test_users(s, alice, bob)
        test_repos(s, alice, bob)
        test_publish(s, alice, bob)
        test_mismatch(s, alice)
        test_digest_algorithms(s, alice)
        test_tag_order(s, alice)
        test_private_and_sharing(s, alice, bob)
        test_signed_tags(s, tmp)
        test_rs256_jwks(tmp)
        test_body_budget(tmp)
        test_oidc_discovery(tmp)
        test_concurrent(s, alice)
        test_chunked_overflow(s, alice)
        test_tools_beside_upload(s, alice)
        test_crash_mid_upload(s, alice)
        test_kill_anywhere(s, alice)
        test_store_tools(s, alice)
        test_log(s, [alice, bob])
        s.stop()
        test_tls(tmp, "store")
    except Exception as e:  # a crash of the harness is a failure, not a pass
        import traceback
        traceback.print_exc()
        check("test harness ran to the end", False, repr(e))
    finally:
        if s.proc:
            s.stop()
        if failed == 0:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"# store and logs kept in {tmp}")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""bailey-steward end to end on loopback.

Starts the real server (a CA made by `init-ca`, a policy that matches the
real Enarx CSRs of ../shared/vectors/steward, evidence judged as of their
collateral's time) and checks over HTTP: both CSRs are issued a chain that
`openssl verify` accepts, the certificate's extensions, every error status
(400, 403, 404, 405, 413, 415), the connection limit, metrics, KVM only with
--dev, and refusals of bad configurations at start.

Prints one line per check and closes with "N passed, N failed, N skipped".
Exits 77 (skip) when ../shared is absent.
"""
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time

STEWARD, OPENSSL = sys.argv[1], sys.argv[2]
SHARED = os.environ.get("BAILEY_SHARED", "")
SRC = os.environ.get("BAILEY_SRCDIR", ".")
VEC = os.path.join(SHARED, "vectors", "steward")
AT = "2023-02-01T00:00:00Z"

passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok - {name}")
    else:
        failed += 1
        print(f"not ok - {name} {detail}")


SNP_POLICY = """
[snp]
allow = true
hash = ["ff717ae719840c93c1fca3b7db96488454c3c21b43531488eecff51cfed3febcd91da8be87a4cbcbc52a3bae770987c3"]
signer = ["7dc22240a8344fce6ba5f22ffbedabc52d4123ae0ba1c59796e521b953916b503f223b15c4429e7d8c5489ad71f1e193"]
abi = "1.51"
min_tcb = { bootloader = 2, tee = 0, snp = 6, microcode = 93 }
vmpl = 0
"""
SGX_POLICY = """
[sgx]
allow = true
hash = ["4046ea255f0455131a024e1265ac1ebd131fdbd1240f1712a00381f6f04e8c15"]
signer = ["7a49a07df0f8e90a6e1d9a63e3c696d9c844f0e3f8739b21daa640f99facc48a"]
misc_select = ["EXINFO"]
allowed_tcb_status = ["OutOfDate"]
allowed_advisories = ["INTEL-SA-00586", "INTEL-SA-00614", "INTEL-SA-00615", "INTEL-SA-00657"]
min_tcb_evaluation_data_number = 14
"""


class Server:
    def __init__(self, tmp, args, name):
        self.port_file = os.path.join(tmp, name + ".port")
        self.log = open(os.path.join(tmp, name + ".log"), "w+")
        if os.path.exists(self.port_file):
            os.unlink(self.port_file)
        self.p = subprocess.Popen([STEWARD, "--listen", "127.0.0.1:0", "--port-file",
                                   self.port_file] + args, stdout=self.log, stderr=self.log)
        for _ in range(200):
            if os.path.exists(self.port_file) and open(self.port_file).read().endswith("\n"):
                break
            if self.p.poll() is not None:
                break
            time.sleep(0.02)
        self.port = int(open(self.port_file).read()) if os.path.exists(self.port_file) else 0

    def stderr(self):
        self.log.seek(0)
        return self.log.read()

    def request(self, method, path, body=None, ctype=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        h = dict(headers or {})
        if ctype:
            h["Content-Type"] = ctype
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, r.getheader("Content-Type", ""), data

    def stop(self):
        self.p.terminate()
        try:
            self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.p.kill()
        self.log.close()


def der_len(b, i):
    """Return (header length, content length) of the DER TLV at b[i]."""
    n = b[i + 1]
    if n < 0x80:
        return 2, n
    k = n & 0x7F
    return 2 + k, int.from_bytes(b[i + 2:i + 2 + k], "big")


def split_seq(b):
    h, n = der_len(b, 0)
    assert b[0] == 0x30 and h + n == len(b)
    out, i = [], h
    while i < len(b):
        hh, nn = der_len(b, i)
        out.append(b[i:i + hh + nn])
        i += hh + nn
    return out


def openssl(*args, data=None):
    return subprocess.run([OPENSSL] + list(args), input=data, capture_output=True)


def main():
    if not os.path.isdir(VEC):
        print("SKIP: ../shared/vectors/steward not present")
        return 77
    snp = open(os.path.join(VEC, "milan.signed.crl.csr"), "rb").read()
    sgx = open(os.path.join(VEC, "icelake.signed.tcb.crl.multi.xeon.csr"), "rb").read()
    kvm = open(os.path.join(SRC, "tests/fuzz/corpus/csr/kvm.der"), "rb").read()

    with tempfile.TemporaryDirectory() as tmp:
        ca_dir = os.path.join(tmp, "ca")
        r = subprocess.run([STEWARD, "init-ca", "--curve", "P-384", "--out", ca_dir],
                           capture_output=True)
        check("init-ca creates a CA", r.returncode == 0, r.stderr)
        check("init-ca key is mode 0600",
              os.stat(os.path.join(ca_dir, "ca.key")).st_mode & 0o777 == 0o600)
        r = subprocess.run([STEWARD, "init-ca", "--curve", "P-384", "--out", ca_dir],
                           capture_output=True)
        check("init-ca never overwrites", r.returncode == 1 and b"exists" in r.stderr, r.stderr)
        r = subprocess.run([STEWARD, "init-ca", "--curve", "P-521", "--out", ca_dir + "2"],
                           capture_output=True)
        check("init-ca refuses other curves", r.returncode == 2)
        ca_pem = open(os.path.join(ca_dir, "ca.crt"), "rb").read()
        ca_der = openssl("x509", "-outform", "DER", data=ca_pem).stdout

        conf = os.path.join(tmp, "steward.toml")
        with open(conf, "w") as f:
            f.write('[ca]\nkey = "ca/ca.key"\ncert = "ca/ca.crt"\nlifetime = "7d"\n\n'
                    "[server]\nmax_body = 65536\nmax_connections = 4\nthreads = 1\n"
                    + SNP_POLICY + SGX_POLICY)
        srv = Server(tmp, ["--config", conf, "--at", AT], "main")
        check("server starts", srv.port > 0, srv.stderr())
        if srv.port == 0:
            return finish()

        check("--at outside --dev warns loudly at start",
              "WARNING" in srv.stderr() and "FIXED TIME" in srv.stderr()
              and "--at " + AT in srv.stderr(), srv.stderr())

        kids = []
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    stat = open(f"/proc/{d}/stat").read()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == srv.p.pid:
                    kids.append(d)
        check("the CA key lives in a separate signer process", len(kids) == 1, kids)

        leafs = {}
        for name, body in (("snp", snp), ("sgx", sgx)):
            st, ct, data = srv.request("POST", "/", body, "application/pkcs10")
            check(f"{name}: real CSR issued (200)", st == 200, data[:200])
            if st != 200:
                continue
            certs = split_seq(data)
            check(f"{name}: chain is CA first, leaf last", len(certs) == 2 and certs[0] == ca_der)
            leaf_pem = openssl("x509", "-inform", "DER", data=certs[1]).stdout
            leafs[name] = leaf_pem
            path = os.path.join(tmp, name + ".pem")
            open(path, "wb").write(leaf_pem)
            v = openssl("verify", "-CAfile", os.path.join(ca_dir, "ca.crt"), path)
            check(f"{name}: openssl verify accepts the chain",
                  v.returncode == 0 and b": OK" in v.stdout, v.stdout + v.stderr)
            v = openssl("verify", "-purpose", "sslserver", "-CAfile",
                        os.path.join(ca_dir, "ca.crt"), path)
            check(f"{name}: usable for TLS server auth", v.returncode == 0, v.stderr)
            text = openssl("x509", "-noout", "-text", data=leaf_pem).stdout.decode()
            oid = {"snp": "1.3.6.1.4.1.58270.1.3", "sgx": "1.3.6.1.4.1.58270.1.2"}[name]
            check(f"{name}: evidence extension copied", oid in text)
            check(f"{name}: DICE MultiTcbInfo present", "2.23.133.5.4.5" in text)
            check(f"{name}: leaf is CA:FALSE, digitalSignature, server+client auth",
                  "CA:FALSE" in text and "Digital Signature" in text
                  and "TLS Web Server Authentication, TLS Web Client Authentication" in text)
            check(f"{name}: subject and authority key identifiers",
                  "Subject Key Identifier" in text and "Authority Key Identifier" in text)

        # Malformed input: 400 with a one-line reason, never 500.
        for label, body in (("garbage", b"\x30\x03abc"), ("truncated", snp[:1000]),
                            ("empty", b""), ("trailing bytes", snp + b"\x00")):
            st, ct, data = srv.request("POST", "/", body, "application/pkcs10")
            check(f"malformed ({label}) is 400 with one line",
                  st == 400 and data.count(b"\n") == 1 and ct.startswith("text/plain"),
                  (st, data))
        tampered = bytearray(snp)
        tampered[3000] ^= 1
        st, _, data = srv.request("POST", "/", bytes(tampered), "application/pkcs10")
        check("bad self-signature is 400", st == 400 and b"self-signature" in data, (st, data))
        st, _, data = srv.request("POST", "/", snp, "application/json")
        check("wrong Content-Type is 415", st == 415, st)
        st, _, data = srv.request("POST", "/", b"\x30" * 70000, "application/pkcs10")
        check("oversized body is 413", st == 413, st)
        # Announced length within the limit but chunked past it.
        c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=20)
        c.putrequest("POST", "/")
        c.putheader("Content-Type", "application/pkcs10")
        c.putheader("Transfer-Encoding", "chunked")
        c.endheaders()
        for _ in range(20):
            chunk = b"\x30" * 8192
            c.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        c.send(b"0\r\n\r\n")
        r = c.getresponse()
        r.read()
        check("chunked body past the limit is 413", r.status == 413, r.status)
        c.close()
        st, _, _ = srv.request("GET", "/nope")
        check("unknown path is 404", st == 404, st)
        st, _, _ = srv.request("PUT", "/", b"x", "application/pkcs10")
        check("other method is 405", st == 405, st)
        st, _, data = srv.request("GET", "/")
        check("health check", st == 200 and data == b"ok\n", (st, data))
        st, _, data = srv.request("POST", "/", kvm, "application/pkcs10")
        check("KVM refused without --dev (403)", st == 403 and data.startswith(b"kvm.allow"),
              (st, data))

        # Connection limit: 4 connections; the 5th is closed unanswered.
        socks = [socket.create_connection(("127.0.0.1", srv.port)) for _ in range(4)]
        time.sleep(1.0)  # let the server accept them, even on a loaded machine
        extra = socket.create_connection(("127.0.0.1", srv.port))
        extra.settimeout(5)
        extra.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            got = extra.recv(100)
        except (ConnectionResetError, socket.timeout):
            got = b""
        check("connections past the limit are refused", got == b"", got)
        for s in socks + [extra]:
            s.close()
        time.sleep(0.2)

        st, ct, data = srv.request("GET", "/metrics")
        m = data.decode()
        check("metrics: Prometheus text", st == 200 and "version=0.0.4" in ct, ct)
        check("metrics: outcomes by kind",
              'steward_requests_total{outcome="ok",kind="snp"} 1' in m
              and 'steward_requests_total{outcome="ok",kind="sgx"} 1' in m
              and 'steward_requests_total{outcome="too_large",kind="none"} 2' in m
              and 'steward_requests_total{outcome="forbidden",kind="kvm"} 1' in m, m[:2000])
        check("metrics: latency histogram",
              "steward_request_duration_seconds_bucket{le=\"+Inf\"}" in m
              and "steward_request_duration_seconds_count" in m)
        srv.stop()

        # Policy that disagrees: refused with the check's name.
        bad = os.path.join(tmp, "bad.toml")
        open(bad, "w").write('[ca]\nkey = "ca/ca.key"\ncert = "ca/ca.crt"\n'
                             + SNP_POLICY.replace('abi = "1.51"', 'abi = "1.52"'))
        srv = Server(tmp, ["--config", bad, "--at", AT], "bad")
        st, _, data = srv.request("POST", "/", snp, "application/pkcs10")
        check("policy mismatch is 403 naming the check", st == 403 and data.startswith(b"snp.abi"),
              (st, data))
        st, _, data = srv.request("POST", "/", sgx, "application/pkcs10")
        check("kind without a section is 403", st == 403 and data.startswith(b"sgx.allow"),
              (st, data))
        srv.stop()

        # The review's policy keys, one field each (VMPL, TCB evaluation data number).
        bad = os.path.join(tmp, "bad2.toml")
        open(bad, "w").write('[ca]\nkey = "ca/ca.key"\ncert = "ca/ca.crt"\n'
                             + SNP_POLICY.replace("vmpl = 0", "vmpl = [1]")
                             + SGX_POLICY.replace("data_number = 14", "data_number = 15"))
        srv = Server(tmp, ["--config", bad, "--at", AT], "bad2")
        st, _, data = srv.request("POST", "/", snp, "application/pkcs10")
        check("snp vmpl not permitted is 403 snp.vmpl", st == 403 and data.startswith(b"snp.vmpl"),
              (st, data))
        st, _, data = srv.request("POST", "/", sgx, "application/pkcs10")
        check("old TCB evaluation number is 403",
              st == 403 and data.startswith(b"sgx.min_tcb_evaluation_data_number"), (st, data))
        srv.stop()

        # Expired collateral when judged as of now.
        srv = Server(tmp, ["--config", conf], "now")
        st, _, data = srv.request("POST", "/", sgx, "application/pkcs10")
        check("expired collateral as of now is 403", st == 403, (st, data))
        check("no frozen-time warning without --at", "FIXED TIME" not in srv.stderr(),
              srv.stderr())
        srv.stop()
        srv = Server(tmp, ["--config", conf, "--tcb-signing-at", AT], "signing-at")
        check("--tcb-signing-at outside --dev warns loudly at start",
              srv.port > 0 and "FIXED TIME" in srv.stderr()
              and "--tcb-signing-at " + AT in srv.stderr(), srv.stderr())
        srv.stop()

        # --dev: throwaway CA, KVM accepted, loudly.
        srv = Server(tmp, ["--dev"], "dev")
        st, _, data = srv.request("POST", "/", kvm, "application/pkcs10")
        check("--dev issues for KVM", st == 200, (st, data))
        if st == 200:
            certs = split_seq(data)
            ca = openssl("x509", "-inform", "DER", data=certs[0]).stdout
            leaf = openssl("x509", "-inform", "DER", data=certs[1]).stdout
            open(os.path.join(tmp, "dev-ca.pem"), "wb").write(ca)
            open(os.path.join(tmp, "dev-leaf.pem"), "wb").write(leaf)
            v = openssl("verify", "-CAfile", os.path.join(tmp, "dev-ca.pem"),
                        os.path.join(tmp, "dev-leaf.pem"))
            check("--dev chain verifies", v.returncode == 0, v.stderr)
        check("--dev says so loudly", "WARNING" in srv.stderr() and "NOT" in srv.stderr())
        # A subject CN is a name (X509_check_host falls back to it without a DNS SAN):
        # a nil request made by `openssl req` with CN=victim.example is refused.
        key = os.path.join(tmp, "nil.key")
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key)
        for cn, want in (("/CN=victim.example", 403), ("/", 200)):
            req = openssl("req", "-new", "-key", key, "-subj", cn, "-outform", "DER").stdout
            st, _, data = srv.request("POST", "/", req, "application/pkcs10")
            check(f"--dev: nil request with subject {cn!r} is {want}",
                  st == want and (want == 200 or data.startswith(b"kvm.dns_names")), (st, data))
        srv.stop()

        # Configuration errors at start name the line.
        unk = os.path.join(tmp, "unknown.toml")
        open(unk, "w").write('[ca]\nkey = "ca/ca.key"\ncert = "ca/ca.crt"\n[snp]\nallow = true\n'
                             'hash = ["' + "ab" * 48 + '"]\nsignr = ["x"]\n')
        r = subprocess.run([STEWARD, "--config", unk], capture_output=True, timeout=20)
        check("unknown key refused at start, naming the line",
              r.returncode == 2 and b"line 7" in r.stderr and b"signr" in r.stderr, r.stderr)
        kv = os.path.join(tmp, "kvm.toml")
        open(kv, "w").write('[ca]\nkey = "ca/ca.key"\ncert = "ca/ca.crt"\n[kvm]\nallow = true\n')
        r = subprocess.run([STEWARD, "--config", kv], capture_output=True, timeout=20)
        check("[kvm] allow without --dev refused at start",
              r.returncode == 2 and b"--dev" in r.stderr, r.stderr)
        badcrl = os.path.join(tmp, "crl.toml")
        open(badcrl, "w").write('[ca]\nkey = "ca/ca.key"\ncert = "ca/ca.crt"\n'
                                'crls = ["steward.toml"]\n' + SNP_POLICY)
        r = subprocess.run([STEWARD, "--config", badcrl], capture_output=True, timeout=20)
        check("[ca] crls naming a file that is not a CRL refused at start",
              r.returncode == 2 and b"steward.toml: not a DER or PEM CRL" in r.stderr, r.stderr)
        r = subprocess.run([STEWARD, "--config", conf, "--at", "yesterday"],
                           capture_output=True, timeout=20)
        check("bad --at refused", r.returncode == 2 and b"RFC 3339" in r.stderr, r.stderr)
    return finish()


def finish():
    print(f"{passed} passed, {failed} failed, 0 skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

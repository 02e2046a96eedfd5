#!/usr/bin/env python3
"""Build fuzz seeds from ../shared into a directory (tests/fuzz/shared-seeds.txt).

usage: shared-seeds.py LIST SHARED HARNESS OUTDIR
Writes one file per line of LIST for HARNESS; silently writes nothing when
SHARED is absent. The CSR evidence extension is found by its DER encoding:
the OID arc 1.3.6.1.4.1.58270.1, then an optional BOOLEAN, then the OCTET
STRING whose content is the evidence.
"""
import os
import sys

ARC = bytes.fromhex("2b0601040183c71e01")  # 1.3.6.1.4.1.58270.1


def tlv(b, i):
    n = b[i + 1]
    h = 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(b[i + 2:i + 2 + k], "big")
        h = 2 + k
    return h, n


def csr_evidence(der):
    i = der.find(b"\x06" + bytes([len(ARC) + 1]) + ARC)
    if i < 0:
        raise ValueError("no Enarx evidence extension")
    i += 2 + len(ARC) + 1
    if der[i] == 0x01:  # critical BOOLEAN
        i += 3
    if der[i] != 0x04:
        raise ValueError("evidence is not an OCTET STRING")
    h, n = tlv(der, i)
    return der[i + h:i + h + n]


def main():
    lst, shared, harness, out = sys.argv[1:5]
    if not os.path.isdir(shared):
        return 0
    os.makedirs(out, exist_ok=True)
    for k, line in enumerate(open(lst)):
        f = line.split()
        if not f or f[0].startswith("#") or f[0] != harness:
            continue
        data = open(os.path.join(shared, f[2]), "rb").read()
        if len(f) > 3 and f[3] == "csr-evidence":
            data = csr_evidence(data)
        prefix = b"" if f[1] == "-" else bytes.fromhex(f[1])
        with open(os.path.join(out, f"shared-{k}"), "wb") as o:
            o.write(prefix + data)
    return 0


if __name__ == "__main__":
    sys.exit(main())

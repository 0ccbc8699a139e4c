#!/usr/bin/env python3
"""Write small pysig profiles by hand, for tests of pysig-report.

Usage: mkprofile.py KIND FILE

An encoder of doc/FORMAT.md independent of src/writer.c, so that the reader
is tested against the document rather than against its sibling.  KIND:

  good       a complete profile (HEADER, CODE, STACK, SAMPLE, STATS, TRAILER)
  newer      the same with format version 2.0
  badlen     a record whose length is over the 16 MiB limit
  shortrec   a SAMPLE record too short for its fields
  undefined  a complete profile with a sample of an undefined stack

Prints on standard output the offset of the record the test is about: the
last record (good, newer) or the bad one.
"""

import struct
import sys


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def zigzag(v):
    return (v << 1) ^ (v >> 63) if v >= 0 else ((-v) << 1) - 1


def blob(b):
    return varint(len(b)) + b


def record(rtype, payload):
    return bytes([rtype]) + varint(len(payload)) + payload


def kv(pairs):
    return b"".join(k.encode() + b"\0" + v.encode() + b"\0" for k, v in pairs)


def code(cid, first, name, path, kind=1, table=b"\x00\x01\x06\x01"):
    return record(0x02, varint(cid) + varint(zigzag(first)) + bytes([kind]) +
                  varint(0) + blob(name.encode()) + blob(path.encode()) +
                  blob(table))


def stack(sid, frames, flags=0):
    """frames: (code id, offset) pairs, innermost first."""
    body = varint(sid) + varint(flags) + varint(0) + varint(0) + \
        varint(len(frames))
    for cid, off in frames:
        body += varint(cid << 1 | 1) + varint(zigzag(off))
    return record(0x03, body)


def sample(dt_us, tid, sid):
    return record(0x04, varint(zigzag(dt_us)) + varint(tid) + varint(sid) +
                  varint(0))


def build(kind):
    major = 2 if kind == "newer" else 1
    out = bytearray(b"PYSIGPRF" + struct.pack("<HHI", major, 0, 0))
    out += record(0x01, kv([("pysig", "test"), ("pid", "1234"),
                            ("python", "3.12.1"), ("arg", "python3"),
                            ("arg", "my app.py"), ("rate", "250")]))
    out += code(1, 10, "main", "/src/app.py")
    out += code(2, 20, "compute", "/src/app.py")
    out += stack(1, [(2, 6), (1, 0)])
    out += stack(2, [(1, 2)])
    for i in range(40):
        out += sample(4000, 100 + i % 2, 1 if i % 4 else 2)
    mark = len(out)
    if kind == "badlen":
        out += bytes([0x04]) + varint(64 << 20) + b"\0" * 32
        return out, mark
    if kind == "shortrec":
        out += record(0x04, b"\x02")
    if kind == "undefined":
        out += sample(4000, 100, 9)
    out += record(0x06, kv([("samples", "40"), ("duration_ns", "160000000")]))
    if kind in ("good", "newer"):
        mark = len(out)
    out += record(0x07, kv([("samples", "41"), ("dropped", "0"),
                            ("duration_ns", "164000000")]))
    return out, mark


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    data, mark = build(sys.argv[1])
    with open(sys.argv[2], "wb") as f:
        f.write(data)
    print(mark)


if __name__ == "__main__":
    main()
